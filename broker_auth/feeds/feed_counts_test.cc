#include "broker_auth/feeds/feed_counts.h"

#include "gtest/gtest.h"

namespace unibus::broker_auth::feeds {
namespace {

TEST(FeedCountsTest, RefusesBeyondTheLimitUntilAListingSaysFewer) {
  FeedCounts counts(2);
  EXPECT_TRUE(counts.TryAdd("a"));
  EXPECT_TRUE(counts.TryAdd("a"));
  EXPECT_FALSE(counts.TryAdd("a"));
  EXPECT_TRUE(counts.TryAdd("b"));  // per identity
  counts.Replace({{"a", 1}});       // one of a's expired
  EXPECT_TRUE(counts.TryAdd("a"));
  EXPECT_FALSE(counts.TryAdd("a"));
}

}  // namespace
}  // namespace unibus::broker_auth::feeds
