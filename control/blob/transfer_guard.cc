#include "control/blob/transfer_guard.h"

#include <chrono>

namespace unibus::control::blob {
namespace {

int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct TransferGuard::Entry {
  std::string identity;
  std::function<void()> cancel;
  std::atomic<int64_t> last_active_ns{0};
  bool cancelled = false;  // guarded by the guard's mu_
};

void TransferGuard::Ticket::Release() {
  if (entry_ != nullptr) guard_->Unregister(entry_);
  entry_.reset();
}

void TransferGuard::Ticket::Touch() {
  if (entry_ != nullptr) entry_->last_active_ns.store(MonotonicNanos(), std::memory_order_relaxed);
}

TransferGuard::TransferGuard(Options options) : options_(options) {
  scanner_ = std::thread([this] { ScanLoop(); });
}

TransferGuard::~TransferGuard() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  scanner_.join();
}

std::optional<TransferGuard::Ticket> TransferGuard::Admit(const std::string& identity,
                                                      std::function<void()> cancel) {
  auto entry = std::make_shared<Entry>();
  entry->identity = identity;
  entry->cancel = std::move(cancel);
  entry->last_active_ns = MonotonicNanos();
  absl::MutexLock lock(&mu_);
  int& running = per_identity_[identity];
  if (running >= options_.per_identity) {
    if (running == 0) per_identity_.erase(identity);
    return std::nullopt;
  }
  ++running;
  entries_[entry.get()] = entry;
  return Ticket(this, std::move(entry));
}

void TransferGuard::Unregister(const std::shared_ptr<Entry>& entry) {
  absl::MutexLock lock(&mu_);
  entries_.erase(entry.get());
  auto it = per_identity_.find(entry->identity);
  if (it != per_identity_.end() && --it->second <= 0) per_identity_.erase(it);
}

void TransferGuard::ScanLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.scan_every);
    if (stopping_) break;
    const int64_t now = MonotonicNanos();
    const int64_t limit = absl::ToInt64Nanoseconds(options_.idle_timeout);
    for (auto& [key, entry] : entries_) {
      if (!entry->cancelled &&
          now - entry->last_active_ns.load(std::memory_order_relaxed) > limit) {
        entry->cancelled = true;
        // Under the lock, so the upload cannot finish and free what `cancel` refers to
        // meanwhile (Release waits for it); cancelling only flags the call, it does not block.
        entry->cancel();
      }
    }
  }
}

}  // namespace unibus::control::blob
