#include "common/testing/test_bytes.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace unibus::common::testing {
namespace {

TEST(TestBytesTest, SameSeedSameBytesAndShorterIsPrefix) {
  EXPECT_EQ(TestBytes(1000, 7), TestBytes(1000, 7));
  EXPECT_EQ(TestBytes(1000, 7).substr(0, 10), TestBytes(10, 7));
  EXPECT_EQ(TestBytes(0, 7), "");
}

TEST(TestBytesTest, OtherSeedsGiveOtherBytes) {
  EXPECT_NE(TestBytes(64, 0), TestBytes(64, 1));
  EXPECT_NE(TestBytes(64, -1), TestBytes(64, 0));
}

TEST(TestBytesTest, ChunksDiffer) {
  // Tests cut blobs into 64 KiB records or 512 KiB chunks; none may repeat another.
  constexpr size_t kChunk = 64 << 10;
  const std::string bytes = TestBytes(16 * kChunk, 3);
  std::set<std::string> chunks;
  for (size_t i = 0; i < 16; ++i) chunks.insert(bytes.substr(i * kChunk, kChunk));
  EXPECT_EQ(chunks.size(), 16u);
}

}  // namespace
}  // namespace unibus::common::testing
