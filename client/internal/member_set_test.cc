#include "client/internal/member_set.h"

#include "gtest/gtest.h"

namespace unibus::client::internal {
namespace {

TEST(MemberSetTest, RereadsOnAMissAtMostOncePerInterval) {
  common::FakeClock clock;
  std::vector<std::string> list = {"alice"};
  int fetches = 0;
  MemberSet set([&]() -> absl::StatusOr<std::vector<std::string>> {
    ++fetches;
    return list;
  }, clock, absl::Seconds(2));
  EXPECT_TRUE(set.Contains("alice"));
  EXPECT_EQ(fetches, 1);
  EXPECT_TRUE(set.Contains("alice"));  // cached
  EXPECT_EQ(fetches, 1);
  list.push_back("bob");
  EXPECT_FALSE(set.Contains("bob"));  // just read: no second read within the interval
  EXPECT_FALSE(set.Contains("mallory"));
  EXPECT_EQ(fetches, 1);
  clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(set.Contains("bob"));  // added since: found on the re-read
  EXPECT_EQ(fetches, 2);
}

TEST(MemberSetTest, AKnownMemberIsReadAgainOnceTheListIsOld) {
  common::FakeClock clock;
  std::vector<std::string> list = {"alice", "mallory"};
  MemberSet set([&]() -> absl::StatusOr<std::vector<std::string>> { return list; }, clock,
                absl::Seconds(2), absl::Seconds(30));
  EXPECT_TRUE(set.Contains("mallory"));
  list = {"alice"};  // mallory removed
  clock.Advance(absl::Seconds(10));
  EXPECT_TRUE(set.Contains("mallory"));  // still within max_age
  clock.Advance(absl::Seconds(25));
  EXPECT_FALSE(set.Contains("mallory"));
  EXPECT_TRUE(set.Contains("alice"));
}

TEST(MemberSetTest, AFailedReadKeepsThePreviousList) {
  common::FakeClock clock;
  bool fail = false;
  MemberSet set([&]() -> absl::StatusOr<std::vector<std::string>> {
    if (fail) return absl::UnavailableError("down");
    return std::vector<std::string>{"alice"};
  }, clock, absl::Seconds(1));
  EXPECT_TRUE(set.Contains("alice"));
  fail = true;
  clock.Advance(absl::Seconds(5));
  EXPECT_FALSE(set.Contains("stranger"));
  EXPECT_TRUE(set.Contains("alice"));
}

}  // namespace
}  // namespace unibus::client::internal
