#include "control/server/posture_monitor.h"

#include <utility>

namespace unibus::control::server {

PostureMonitor::PostureMonitor(std::function<Posture()> probe, absl::Duration interval,
                               const common::Clock& clock)
    : probe_(std::move(probe)), interval_(interval), clock_(clock), current_(probe_()) {
  thread_ = std::thread([this] { Run(); });
}

PostureMonitor::~PostureMonitor() { Stop(); }

Posture PostureMonitor::Current() const {
  absl::MutexLock lock(&mu_);
  Posture posture = current_;
  if (clock_.Now() - probing_since_ > 2 * interval_) posture.store_ok = false;
  return posture;
}

void PostureMonitor::SetOnChange(std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
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
      probing_since_ = clock_.Now();
    }
    Posture next = probe_();  // outside the lock: readers never wait for the store
    std::function<void()> notify;
    {
      absl::MutexLock lock(&mu_);
      if (next.Statuses() != current_.Statuses()) notify = on_change_;
      current_ = std::move(next);
      probing_since_ = absl::InfiniteFuture();
    }
    if (notify) notify();
  }
}

}  // namespace unibus::control::server
