// Remembers which (sender, counter) pairs of one room were delivered, so that redelivery
// (JetStream resume, reconnects) and replays by a member reach the application once.
//
// Per sender it keeps the `window` most recent counters; a counter at or below the floor (the
// newest counter that fell out of the window) is treated as seen. Senders' counters increase
// (docs/frames.md), so only frames delayed by more than `window` later frames of the same sender
// are lost to this rule.
//
// The state serializes to a line-based text form so it survives restarts (room_state.h).
// Not thread-safe: one per room subscription, used from its delivery thread.
#ifndef UNIBUS_CLIENT_INTERNAL_REPLAY_GUARD_H_
#define UNIBUS_CLIENT_INTERNAL_REPLAY_GUARD_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace unibus::client::internal {

class ReplayGuard {
 public:
  explicit ReplayGuard(size_t window = 4096) : window_(window) {}

  // True (and remembered) the first time; false for a pair already seen or below the floor.
  bool Accept(absl::string_view sender, uint64_t counter);
  // True if Accept would return false, without remembering anything.
  bool Seen(absl::string_view sender, uint64_t counter) const;

  // "sender_hex floor c1 c2 ...\n" per sender.
  std::string Serialize() const;
  // INVALID_ARGUMENT for text Serialize did not produce.
  static absl::StatusOr<ReplayGuard> Parse(absl::string_view text, size_t window = 4096);

 private:
  struct Sender {
    uint64_t floor = 0;  // counters <= floor count as seen (0: none; counters start above 0)
    std::set<uint64_t> recent;
  };
  size_t window_;
  std::map<std::string, Sender> senders_;  // key: raw 32-byte sender key
};

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_REPLAY_GUARD_H_
