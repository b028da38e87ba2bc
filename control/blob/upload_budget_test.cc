#include "control/blob/upload_budget.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace unibus::control::blob {
namespace {

TEST(UploadBudgetTest, RefusesWhatDoesNotFitAndReturnsToZero) {
  UploadBudget budget(100);
  {
    std::optional<UploadBudget::Lease> a = budget.TryAcquire(60);
    ASSERT_TRUE(a.has_value());
    EXPECT_FALSE(budget.TryAcquire(41).has_value());
    std::optional<UploadBudget::Lease> b = budget.TryAcquire(40);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(budget.in_use(), 100u);
    EXPECT_FALSE(budget.TryAcquire(1).has_value());
    EXPECT_EQ(budget.in_use(), 100u);  // a refusal takes nothing
  }
  EXPECT_EQ(budget.in_use(), 0u);
  EXPECT_FALSE(budget.TryAcquire(101).has_value());
  EXPECT_FALSE(budget.TryAcquire(UINT64_MAX).has_value());  // no overflow past the capacity
  EXPECT_TRUE(budget.TryAcquire(100).has_value());
}

TEST(UploadBudgetTest, MovedLeaseReleasesOnce) {
  UploadBudget budget(10);
  std::optional<UploadBudget::Lease> a = budget.TryAcquire(10);
  ASSERT_TRUE(a.has_value());
  {
    UploadBudget::Lease moved(std::move(*a));
    a.reset();
    EXPECT_EQ(budget.in_use(), 10u);
  }
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(UploadBudgetTest, ConcurrentUsersNeverExceedTheCapacity) {
  UploadBudget budget(1000);
  std::atomic<bool> exceeded{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20'000; ++i) {
        std::optional<UploadBudget::Lease> lease = budget.TryAcquire(300);
        if (budget.in_use() > budget.capacity()) exceeded = true;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_FALSE(exceeded.load());
  EXPECT_EQ(budget.in_use(), 0u);
}

}  // namespace
}  // namespace unibus::control::blob
