#include "client/internal/replay_guard.h"

#include "gtest/gtest.h"

namespace unibus::client::internal {
namespace {

const std::string kAlice(32, 'a');
const std::string kBob(32, 'b');

TEST(ReplayGuardTest, AcceptsEachPairOnce) {
  ReplayGuard g;
  EXPECT_TRUE(g.Accept(kAlice, 10));
  EXPECT_FALSE(g.Accept(kAlice, 10));
  EXPECT_TRUE(g.Accept(kBob, 10));  // counters are per sender
  EXPECT_TRUE(g.Accept(kAlice, 9));  // late but inside the window
  EXPECT_FALSE(g.Accept(kAlice, 9));
}

TEST(ReplayGuardTest, CountersBelowTheWindowCountAsSeen) {
  ReplayGuard g(/*window=*/3);
  for (uint64_t c : {5, 6, 7, 8}) EXPECT_TRUE(g.Accept(kAlice, c));
  // 5 fell out of the window: it and anything older is treated as a replay.
  EXPECT_FALSE(g.Accept(kAlice, 5));
  EXPECT_FALSE(g.Accept(kAlice, 4));
  EXPECT_TRUE(g.Accept(kAlice, 9));
}

TEST(ReplayGuardTest, SurvivesSerialization) {
  ReplayGuard g(4);
  for (uint64_t c : {1, 2, 3, 4, 5, 6}) g.Accept(kAlice, c);
  g.Accept(kBob, 42);
  absl::StatusOr<ReplayGuard> back = ReplayGuard::Parse(g.Serialize(), 4);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->Accept(kAlice, 6));
  EXPECT_FALSE(back->Accept(kAlice, 1));
  EXPECT_FALSE(back->Accept(kBob, 42));
  EXPECT_TRUE(back->Accept(kAlice, 7));
  EXPECT_EQ(back->Serialize().empty(), false);
}

TEST(ReplayGuardTest, RejectsCorruptText) {
  EXPECT_FALSE(ReplayGuard::Parse("zz 1 2\n").ok());
  EXPECT_FALSE(ReplayGuard::Parse(std::string(64, 'a') + " x\n").ok());
  EXPECT_TRUE(ReplayGuard::Parse("").ok());
}

}  // namespace
}  // namespace unibus::client::internal
