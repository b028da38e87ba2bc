#include "client/internal/epoch_gate.h"

#include "gtest/gtest.h"

namespace unibus::client::internal {
namespace {

using Verdict = EpochGate::Verdict;
const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);

TEST(EpochGateTest, CurrentEpochIsAcceptedAndNewerOnesAreAhead) {
  EpochGate g(absl::Seconds(60));
  g.Advance(2, t0);
  EXPECT_EQ(g.Check(2, t0 + absl::Hours(5)), Verdict::kAccept);
  EXPECT_EQ(g.Check(3, t0), Verdict::kAhead);
}

TEST(EpochGateTest, PreviousEpochOnlyWithinTheGraceWindow) {
  EpochGate g(absl::Seconds(60));
  g.Advance(1, t0);
  g.Advance(2, t0 + absl::Seconds(10));
  EXPECT_EQ(g.Check(1, t0 + absl::Seconds(69)), Verdict::kAccept);
  EXPECT_EQ(g.Check(1, t0 + absl::Seconds(70)), Verdict::kStale);
  // Two epochs back is never accepted.
  g.Advance(3, t0 + absl::Seconds(20));
  EXPECT_EQ(g.Check(1, t0 + absl::Seconds(21)), Verdict::kStale);
}

TEST(EpochGateTest, AdvanceNeverMovesBack) {
  EpochGate g(absl::Seconds(60));
  g.Advance(3, t0);
  g.Advance(2, t0 + absl::Seconds(1));
  EXPECT_EQ(g.current(), 3u);
}

}  // namespace
}  // namespace unibus::client::internal
