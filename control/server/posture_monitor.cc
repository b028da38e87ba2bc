#include "control/server/posture_monitor.h"

#include <utility>

namespace unibus::control::server {

PostureMonitor::PostureMonitor(std::function<Posture()> probe, absl::Duration interval,
                               const common::Clock& clock)
    : probe_(std::move(probe)), interval_(interval), clock_(clock), current_(probe_()) {
  reported_ = current_.Statuses();
  thread_ = std::thread([this] { Run(); });
}

PostureMonitor::~PostureMonitor() { Stop(); }

Posture PostureMonitor::Current() const {
  absl::MutexLock lock(&mu_);
  return CurrentLocked();
}

Posture PostureMonitor::CurrentLocked() const {
  Posture posture = current_;
  if (store_failed_ || clock_.Now() - probing_since_ > 2 * interval_) posture.store_ok = false;
  return posture;
}

void PostureMonitor::StoreFailed() {
  absl::MutexLock lock(&mu_);
  ++failures_;
  store_failed_ = true;
}

void PostureMonitor::SetOnChange(std::function<void()> fn) {
  absl::MutexLock lock(&callback_mu_);
  on_change_ = std::move(fn);
}

void PostureMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void PostureMonitor::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_), interval_);
      if (stop_) return;
    }
    if (ProbeOnce()) {
      absl::MutexLock lock(&callback_mu_);
      if (on_change_) on_change_();
    }
  }
}

bool PostureMonitor::ProbeOnce() {
  uint64_t failures_before;
  {
    absl::MutexLock lock(&mu_);
    probing_since_ = clock_.Now();
    failures_before = failures_;
  }
  Posture next = probe_();  // outside the lock: readers never wait for the store
  absl::MutexLock lock(&mu_);
  probing_since_ = absl::InfiniteFuture();
  // A success counts only if no call saw the store fail since this probe began.
  if (failures_ == failures_before) store_failed_ = false;
  current_ = std::move(next);
  std::map<std::string, bool> now = CurrentLocked().Statuses();
  if (now == reported_) return false;
  reported_ = std::move(now);
  return true;
}

}  // namespace unibus::control::server
