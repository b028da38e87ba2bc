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
