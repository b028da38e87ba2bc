#include "common/limits/rate_limiter.h"

#include "gtest/gtest.h"

namespace unibus::common::limits {
namespace {

TEST(RateLimiterTest, AllowsTheBurstThenRefusesUntilTimePasses) {
  common::FakeClock clock;
  RateLimiter limiter(/*rate=*/10, /*burst=*/3, clock);
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  clock.Advance(absl::Milliseconds(100));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
}

TEST(RateLimiterTest, KeysHaveSeparateBuckets) {
  common::FakeClock clock;
  RateLimiter limiter(1, 1, clock);
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("b"));
}

TEST(RateLimiterTest, FullTableDropsOnlyIdleBuckets) {
  common::FakeClock clock;
  RateLimiter limiter(1, 1, clock, /*max_keys=*/2);
  EXPECT_TRUE(limiter.Allow("busy"));
  EXPECT_TRUE(limiter.Allow("k1"));
  EXPECT_TRUE(limiter.Allow("k2"));  // table full: idle buckets dropped, busy ones kept
  EXPECT_FALSE(limiter.Allow("busy"));
}

}  // namespace
}  // namespace unibus::common::limits
