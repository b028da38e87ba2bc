// Keeps blob transfers (one guard for uploads, one for downloads) from holding server resources
// they do not use:
//  - at most `per_identity` transfers of one identity at once (so one member cannot take the
//    whole upload budget, or every server thread), and
//  - a transfer that moves nothing for `idle_timeout` is cancelled (a stalled or deliberately
//    slow client would otherwise keep its thread, its share of the budget or an open file for
//    as long as it likes).
//
// Each transfer registers with Admit before it reads anything and reports progress through
// Ticket::Touch; a background thread cancels the ones that fell idle through the callback they
// registered. Idle time is measured on the monotonic clock.
//
// Thread-safe.
#ifndef UNIBUS_CONTROL_BLOB_TRANSFER_GUARD_H_
#define UNIBUS_CONTROL_BLOB_TRANSFER_GUARD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace unibus::control::blob {

class TransferGuard {
 public:
  struct Options {
    int per_identity = 4;
    absl::Duration idle_timeout = absl::Seconds(30);
    // How often idle uploads are looked for.
    absl::Duration scan_every = absl::Seconds(1);
  };

  struct Entry;
  // One admitted upload; unregisters when destroyed.
  class Ticket {
   public:
    Ticket(TransferGuard* guard, std::shared_ptr<Entry> entry)
        : guard_(guard), entry_(std::move(entry)) {}
    Ticket(Ticket&& other) noexcept = default;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() { Release(); }
    // Call on every chunk moved.
    void Touch();
    // Unregisters now (e.g. once every byte arrived, so a slow commit is not taken for a stall).
    void Release();

   private:
    TransferGuard* guard_;
    std::shared_ptr<Entry> entry_;
  };

  explicit TransferGuard(Options options);
  ~TransferGuard();

  // nullopt when `identity` already has `per_identity` uploads running. `cancel` is called (at
  // most once, from the guard's thread) if the upload then stays idle for idle_timeout.
  std::optional<Ticket> Admit(const std::string& identity, std::function<void()> cancel);

 private:
  void Unregister(const std::shared_ptr<Entry>& entry);
  void ScanLoop();

  const Options options_;
  absl::Mutex mu_;
  std::map<std::string, int> per_identity_ ABSL_GUARDED_BY(mu_);
  std::map<Entry*, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread scanner_;
};

}  // namespace unibus::control::blob

#endif  // UNIBUS_CONTROL_BLOB_TRANSFER_GUARD_H_
