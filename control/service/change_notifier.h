// Wakes change-feed watchers when this process has written a change. Watchers also re-read the
// store on a timeout, which covers writers in other processes.
//
// Thread-safe.
#ifndef UNIBUS_CONTROL_SERVICE_CHANGE_NOTIFIER_H_
#define UNIBUS_CONTROL_SERVICE_CHANGE_NOTIFIER_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace unibus::control::service {

class ChangeNotifier {
 public:
  // A token to pass to WaitAfter; read it before re-reading the store.
  uint64_t Generation() const {
    absl::MutexLock lock(&mu_);
    return generation_;
  }
  void Notify() {
    absl::MutexLock lock(&mu_);
    ++generation_;
  }
  // Returns when Notify has been called since `generation` was read, or after `timeout`.
  void WaitAfter(uint64_t generation, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto changed = [this, generation]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return generation_ != generation;
    };
    mu_.AwaitWithTimeout(absl::Condition(&changed), timeout);
  }

 private:
  mutable absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace unibus::control::service

#endif  // UNIBUS_CONTROL_SERVICE_CHANGE_NOTIFIER_H_
