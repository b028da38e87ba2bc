#include "common/testing/process_memory.h"

#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace unibus::common::testing {
namespace {

// Read after use, so the compiler cannot drop an allocation whose pages a test needs resident.
volatile char g_sink;

TEST(ProcessMemoryTest, ReadsThisProcessResidentAndPeakSizes) {
  std::string ballast(8 << 20, 'x');  // 8 MiB written, hence resident
  g_sink = ballast[ballast.size() / 2];
  const uint64_t rss = ProcessMemory(getpid(), "VmRSS");
  EXPECT_GE(rss, uint64_t{8} << 20);
  EXPECT_EQ(rss % 1024, 0u);  // the kernel reports kB
  EXPECT_GE(ProcessMemory(getpid(), "VmHWM"), rss);
}

TEST(ProcessMemoryTest, UnknownFieldOrProcessReadsZero) {
  EXPECT_EQ(ProcessMemory(getpid(), "NoSuchField"), 0u);
  // A prefix of a real field ("VmRSS") is not that field.
  EXPECT_EQ(ProcessMemory(getpid(), "VmRS"), 0u);
  EXPECT_EQ(ProcessMemory(-1, "VmRSS"), 0u);
}

TEST(ProcessMemoryTest, ResetPeakLowersThePeakToTheCurrentSize) {
  {
    std::string spike(64 << 20, 'x');  // raises VmHWM, then is freed (unmapped: it is large)
    g_sink = spike[spike.size() / 2];
  }
  ASSERT_GE(ProcessMemory(getpid(), "VmHWM"), uint64_t{64} << 20);
  ASSERT_TRUE(ResetPeak(getpid()));
  const uint64_t rss = ProcessMemory(getpid(), "VmRSS");
  // Resident size moves a little between the two reads, but not by the 64 MiB of the spike.
  EXPECT_LT(ProcessMemory(getpid(), "VmHWM"), rss + (32 << 20));
}

}  // namespace
}  // namespace unibus::common::testing
