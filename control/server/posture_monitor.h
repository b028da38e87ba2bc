// Keeps a node's posture current without letting callers cost store reads: one background thread
// probes every `interval`, and readers get the last result. So however many health calls arrive
// (a monitor, or a stranger flooding Health/Check and Health/Watch), the store is probed at most
// once per interval.
//
// A probe that hangs (a store without quorum answers only at its timeout) does not leave a stale
// "store ok" behind: while a probe has been running for longer than twice the interval, Current()
// reports store_ok = false.
//
// Thread-safe. The probe and the change callback run on the monitor's thread (the first probe on
// the constructing thread) and must not call back into the monitor. Borrows the clock (for the
// hang check; the interval itself is waited in real time).
#ifndef UNIBUS_CONTROL_SERVER_POSTURE_MONITOR_H_
#define UNIBUS_CONTROL_SERVER_POSTURE_MONITOR_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "control/server/posture.h"

namespace unibus::control::server {

class PostureMonitor {
 public:
  // Probes once before returning, then every `interval` on its own thread.
  // REQUIRES: interval > 0.
  PostureMonitor(std::function<Posture()> probe, absl::Duration interval,
                 const common::Clock& clock);
  ~PostureMonitor();  // Stop()

  // The posture of the last probe.
  Posture Current() const;
  // `fn` runs on the monitor's thread after every probe whose Statuses() differ from the
  // previous probe's. Replaces the previous callback; nullptr: none.
  void SetOnChange(std::function<void()> fn);
  // Stops probing and waits for the thread (idempotent). After it, the callback is never called.
  void Stop();

 private:
  void Run();

  const std::function<Posture()> probe_;
  const absl::Duration interval_;
  const common::Clock& clock_;
  mutable absl::Mutex mu_;
  Posture current_ ABSL_GUARDED_BY(mu_);
  // When the running probe started; InfiniteFuture when none runs.
  absl::Time probing_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  std::function<void()> on_change_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace unibus::control::server

#endif  // UNIBUS_CONTROL_SERVER_POSTURE_MONITOR_H_
