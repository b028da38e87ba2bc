#include "common/crypto/hex.h"

#include "gtest/gtest.h"

namespace unibus::common {
namespace {

TEST(HexTest, RoundTripsBytes) {
  std::string bytes("\x00\x01\xab\xff", 4);
  EXPECT_EQ(HexEncode(bytes), "0001abff");
  EXPECT_EQ(HexDecode("0001ABff"), bytes);
}

TEST(HexTest, RejectsOddLengthAndNonHex) {
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_FALSE(IsHexOfSize("ab", 2));
  EXPECT_FALSE(IsHexOfSize("abxz", 2));
  EXPECT_TRUE(IsHexOfSize("abCD", 2));
}

TEST(HexTest, IsLowerHexOfSizeAcceptsOnlyCanonicalHex) {
  EXPECT_TRUE(IsLowerHexOfSize("00ff", 2));
  EXPECT_FALSE(IsLowerHexOfSize("00FF", 2));
  EXPECT_FALSE(IsLowerHexOfSize("00f", 2));
  EXPECT_FALSE(IsLowerHexOfSize("00ff0", 2));
  EXPECT_FALSE(IsLowerHexOfSize("../f", 2));
  EXPECT_TRUE(IsLowerHexOfSize("", 0));
}

}  // namespace
}  // namespace unibus::common
