#include "control/server/posture_monitor.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "common/time/clock.h"
#include "gtest/gtest.h"

namespace unibus::control::server {
namespace {

TEST(PostureMonitorTest, ReadersGetTheCachedProbeAndNeverProbeThemselves) {
  std::atomic<int> probes{0};
  PostureMonitor monitor(
      [&probes] {
        ++probes;
        Posture p;
        p.store_ok = true;
        return p;
      },
      absl::Hours(1), common::RealClock::Get());
  EXPECT_EQ(probes.load(), 1);  // the first probe, before the constructor returned
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(monitor.Current().store_ok);
  EXPECT_EQ(probes.load(), 1);
}

TEST(PostureMonitorTest, ReportsAChangeAndTheNewPosture) {
  std::atomic<bool> store_ok{true};
  PostureMonitor monitor(
      [&store_ok] {
        Posture p;
        p.store_ok = store_ok.load();
        return p;
      },
      absl::Milliseconds(10), common::RealClock::Get());
  absl::Notification changed;
  monitor.SetOnChange([&changed] {
    if (!changed.HasBeenNotified()) changed.Notify();
  });
  EXPECT_TRUE(monitor.Current().store_ok);
  store_ok = false;  // the store stops answering
  ASSERT_TRUE(changed.WaitForNotificationWithTimeout(absl::Seconds(60)));
  EXPECT_FALSE(monitor.Current().store_ok);
  monitor.Stop();
  monitor.Stop();  // idempotent
}

TEST(PostureMonitorTest, AProbeThatHangsReportsTheStoreAsNotAnswering) {
  // As when a cluster node loses quorum: the store answers only at its timeout.
  common::FakeClock clock;
  std::atomic<int> probes{0};
  absl::Notification second_started, release;
  PostureMonitor monitor(
      [&] {
        if (++probes == 2) {
          second_started.Notify();
          release.WaitForNotification();
        }
        Posture p;
        p.store_ok = true;
        return p;
      },
      absl::Milliseconds(10), clock);
  ASSERT_TRUE(second_started.WaitForNotificationWithTimeout(absl::Seconds(60)));
  EXPECT_TRUE(monitor.Current().store_ok);  // not hanging for long yet
  clock.Advance(absl::Milliseconds(21));
  EXPECT_FALSE(monitor.Current().store_ok);
  EXPECT_TRUE(monitor.Current().Statuses().at("unibus.posture.store") == false);
  release.Notify();
  monitor.Stop();  // the hanging probe finished: its answer is the posture again
  EXPECT_TRUE(monitor.Current().store_ok);
}

// Probes after the first wait for the test: probe n (n >= 2) says it started, then waits to be
// released; from probe kSteps on they run freely.
class SteppedProbe {
 public:
  static constexpr int kSteps = 5;
  Posture operator()() {
    int n = ++count_;
    if (n >= 2 && n < kSteps) {
      started_[n].Notify();
      release_[n].WaitForNotification();
    }
    Posture p;
    p.store_ok = true;
    return p;
  }
  bool WaitStarted(int n) { return started_[n].WaitForNotificationWithTimeout(absl::Seconds(60)); }
  void Release(int n) { release_[n].Notify(); }

 private:
  std::atomic<int> count_{0};
  absl::Notification started_[kSteps];
  absl::Notification release_[kSteps];
};

TEST(PostureMonitorTest, AStoreFailureSeenByACallHoldsUntilALaterProbeSucceeds) {
  // As when WhoAmI finds the store unavailable while the cache still holds an older success.
  common::FakeClock clock;  // never advanced: no probe counts as hanging
  SteppedProbe probe;
  PostureMonitor monitor([&probe] { return probe(); }, absl::Milliseconds(10), clock);
  EXPECT_TRUE(monitor.Current().store_ok);
  ASSERT_TRUE(probe.WaitStarted(2));
  monitor.StoreFailed();
  EXPECT_FALSE(monitor.Current().store_ok);
  // Probe 2 began before the report: its success does not clear it.
  probe.Release(2);
  ASSERT_TRUE(probe.WaitStarted(3));
  EXPECT_FALSE(monitor.Current().store_ok);
  // Probe 3 began after it: its success does.
  probe.Release(3);
  ASSERT_TRUE(probe.WaitStarted(4));
  EXPECT_TRUE(monitor.Current().store_ok);
  probe.Release(4);
}

}  // namespace
}  // namespace unibus::control::server
