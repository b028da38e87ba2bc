#include "control/blob/transfer_guard.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "absl/time/clock.h"

namespace unibus::control::blob {
namespace {

TransferGuard::Options Fast(int per_identity, absl::Duration idle) {
  return TransferGuard::Options{per_identity, idle, absl::Milliseconds(5)};
}

TEST(TransferGuardTest, LimitsUploadsPerIdentityOnly) {
  TransferGuard guard(Fast(2, absl::Hours(1)));
  std::vector<TransferGuard::Ticket> alice;
  alice.push_back(*guard.Admit("alice", [] {}));
  alice.push_back(*guard.Admit("alice", [] {}));
  EXPECT_FALSE(guard.Admit("alice", [] {}).has_value());
  std::optional<TransferGuard::Ticket> bob = guard.Admit("bob", [] {});
  EXPECT_TRUE(bob.has_value());
  alice.pop_back();  // one finishes: room for one more
  EXPECT_TRUE(guard.Admit("alice", [] {}).has_value());
}

TEST(TransferGuardTest, CancelsAnIdleUploadOnceAndLeavesActiveOnesAlone) {
  TransferGuard guard(Fast(4, absl::Milliseconds(100)));
  std::atomic<int> idle_cancels{0}, active_cancels{0};
  std::optional<TransferGuard::Ticket> idle = guard.Admit("a", [&] { ++idle_cancels; });
  std::optional<TransferGuard::Ticket> active = guard.Admit("b", [&] { ++active_cancels; });
  for (absl::Time end = absl::Now() + absl::Seconds(20);
       idle_cancels == 0 && absl::Now() < end;) {
    active->Touch();
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(idle_cancels.load(), 1);
  for (int i = 0; i < 30; ++i) {  // more scans: never a second cancel
    active->Touch();
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(idle_cancels.load(), 1);
  EXPECT_EQ(active_cancels.load(), 0);
}

TEST(TransferGuardTest, ReleasedTicketIsNeverCancelled) {
  TransferGuard guard(Fast(1, absl::Milliseconds(20)));
  std::atomic<int> cancels{0};
  { std::optional<TransferGuard::Ticket> t = guard.Admit("a", [&] { ++cancels; }); }
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(cancels.load(), 0);
  EXPECT_TRUE(guard.Admit("a", [] {}).has_value());
}

}  // namespace
}  // namespace unibus::control::blob
