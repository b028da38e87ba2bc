#include "broker_auth/callout/base64url.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace unibus::broker_auth::callout {
namespace {

// RFC 4648 §10 test vectors, in the URL-safe alphabet without padding (what NATS JWTs use).
const std::vector<std::pair<std::string, std::string>>& Rfc4648Vectors() {
  static const auto* vectors = new std::vector<std::pair<std::string, std::string>>{
      {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},       {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  return *vectors;
}

TEST(Base64UrlTest, EncodesRfc4648VectorsUnpadded) {
  for (const auto& [plain, encoded] : Rfc4648Vectors()) {
    EXPECT_EQ(Base64UrlEncode(plain), encoded) << "input \"" << plain << "\"";
  }
}

TEST(Base64UrlTest, DecodesRfc4648VectorsUnpadded) {
  for (const auto& [plain, encoded] : Rfc4648Vectors()) {
    std::optional<std::string> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain) << encoded;
  }
}

TEST(Base64UrlTest, DecodesRfc4648VectorsWithStandardPadding) {
  // RFC 4648 §10 exactly as printed (padded).
  const std::vector<std::pair<std::string, std::string>> padded = {
      {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : padded) {
    std::optional<std::string> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain) << encoded;
  }
}

TEST(Base64UrlTest, EncodesWithUrlSafeAlphabetNeverPlusSlashOrPadding) {
  // 0xfb 0xff 0xbf = sextets 62 63 62 63: "+/+/" in the standard alphabet.
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::string encoded = Base64UrlEncode(all);
  EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos) << encoded;
}

TEST(Base64UrlTest, FallsBackToStandardAlphabetWithAndWithoutPadding) {
  EXPECT_EQ(Base64Decode("+/+/"), std::optional<std::string>("\xfb\xff\xbf"));
  EXPECT_EQ(Base64Decode("+/8="), std::optional<std::string>("\xfb\xff"));
  EXPECT_EQ(Base64Decode("+/8"), std::optional<std::string>("\xfb\xff"));
  // URL-safe with padding is accepted too.
  EXPECT_EQ(Base64Decode("-_8="), std::optional<std::string>("\xfb\xff"));
}

TEST(Base64UrlTest, RoundTripsEveryLengthAndByteValue) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    std::optional<std::string> decoded = Base64Decode(Base64UrlEncode(data));
    ASSERT_TRUE(decoded.has_value()) << "length " << data.size();
    ASSERT_EQ(*decoded, data) << "length " << data.size();
    data.push_back(static_cast<char>((i * 37 + 11) & 0xff));
  }
}

TEST(Base64UrlTest, RejectsGarbage) {
  for (const char* bad : {
           "!!!!",        // outside both alphabets
           "Zm9v YmFy",   // embedded space
           "Zm9vYmFy\n",  // trailing newline
           "Z",           // a single character cannot encode a byte
           "Zm9vY",       // 5 characters: impossible length
           "-_+/",        // mixes the URL-safe and standard alphabets
           "Zg===",       // excess padding
           "=Zg",         // padding first
           "Zm8=Zm8=",    // data after padding
       }) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << "accepted \"" << bad << "\"";
  }
}

TEST(Base64UrlTest, RejectsNonCanonicalTrailingBits) {
  // "Zg" is "f"; "Zh" has non-zero bits past the last byte, so it is not a canonical encoding.
  EXPECT_FALSE(Base64Decode("Zh").has_value());
  EXPECT_FALSE(Base64Decode("Zm9=").has_value());
}

}  // namespace
}  // namespace unibus::broker_auth::callout
