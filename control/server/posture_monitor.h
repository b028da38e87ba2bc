// Keeps a node's posture current without letting callers cost store reads: one background thread
// probes every `interval`, and readers get the last result. So however many health calls arrive
// (a monitor, or a stranger flooding Health/Check and Health/Watch), the store is probed at most
// once per interval.
//
// The cache never reports a store as answering when there is evidence it does not:
//  - while a probe has been running for longer than twice the interval (a store without quorum
//    answers only at its timeout), and
//  - from the moment a call reports a store failure (StoreFailed) until a probe that started
//    after that report finds the store answering,
// Current() reports store_ok = false.
//
// Thread-safe. The probe and the change callback run on the monitor's thread (the first probe on
// the constructing thread) and must not call back into the monitor. Borrows the clock (for the
// hang check; the interval itself is waited in real time).
#ifndef UNIBUS_CONTROL_SERVER_POSTURE_MONITOR_H_
#define UNIBUS_CONTROL_SERVER_POSTURE_MONITOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
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

  // The posture of the last probe, with the store marked down as described above.
  Posture Current() const;
  // A call found the store unavailable. Cheap; any thread.
  void StoreFailed();
  // `fn` runs on the monitor's thread after every probe that changes Current().Statuses().
  // Replaces the previous callback (waiting for a call of it in progress, so the old callback's
  // owner may go once this returns); nullptr: none.
  void SetOnChange(std::function<void()> fn);
  // Stops probing and waits for the thread (idempotent). After it, the callback is never called.
  void Stop();

 private:
  void Run();
  // One probe; true if it changed what Current() reports.
  bool ProbeOnce();
  Posture CurrentLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::function<Posture()> probe_;
  const absl::Duration interval_;
  const common::Clock& clock_;
  absl::Mutex callback_mu_;  // held while the callback runs
  std::function<void()> on_change_ ABSL_GUARDED_BY(callback_mu_);
  mutable absl::Mutex mu_;
  Posture current_ ABSL_GUARDED_BY(mu_);
  // When the running probe started; InfiniteFuture when none runs.
  absl::Time probing_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;  // StoreFailed calls so far
  bool store_failed_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, bool> reported_ ABSL_GUARDED_BY(mu_);  // Statuses() last probe reported
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace unibus::control::server

#endif  // UNIBUS_CONTROL_SERVER_POSTURE_MONITOR_H_
