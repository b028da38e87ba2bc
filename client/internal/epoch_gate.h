// The epoch rule of one encrypted room (docs/frames.md, "Replay and epoch rules"):
//   - a frame at the current epoch is accepted;
//   - a frame at current − 1 only within `grace` after the current epoch was first seen;
//   - a frame above the current epoch is kAhead: the caller fetches that epoch's key and, if it
//     gets one, calls Advance and accepts;
//   - anything else is kStale and dropped.
// Times are the JetStream store time for stored frames and the local receive time for live
// ones; learning an epoch from the control plane uses the local clock.
//
// Not thread-safe: one per room subscription.
#ifndef UNIBUS_CLIENT_INTERNAL_EPOCH_GATE_H_
#define UNIBUS_CLIENT_INTERNAL_EPOCH_GATE_H_

#include <cstdint>

#include "absl/time/time.h"

namespace unibus::client::internal {

class EpochGate {
 public:
  enum class Verdict { kAccept, kAhead, kStale };

  explicit EpochGate(absl::Duration grace) : grace_(grace) {}

  Verdict Check(uint64_t epoch, absl::Time at) const {
    if (epoch > current_) return Verdict::kAhead;
    if (epoch == current_) return Verdict::kAccept;
    if (epoch + 1 == current_ && at < since_ + grace_) return Verdict::kAccept;
    return Verdict::kStale;
  }

  // Moves to `epoch` if it is newer; `at` is when it was first seen.
  void Advance(uint64_t epoch, absl::Time at) {
    if (epoch <= current_) return;
    current_ = epoch;
    since_ = at;
  }

  uint64_t current() const { return current_; }

 private:
  absl::Duration grace_;
  uint64_t current_ = 0;
  absl::Time since_ = absl::InfinitePast();
};

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_EPOCH_GATE_H_
