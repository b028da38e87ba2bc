#include "client/cli/blob_token.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace unibus::client::cli {
namespace {

const std::string kRoom = "00112233445566778899aabbccddeeff";

v1::BlobRef Ref() {
  v1::BlobRef ref;
  ref.set_address(std::string(64, 'a'));
  ref.set_key(std::string(32, '\xff'));
  ref.set_size(123456);
  ref.set_name("report (final).pdf");
  ref.set_content_type("application/pdf");
  return ref;
}

std::string TokenOf(const v1::BlobLink& link) {
  return absl::StrCat(kBlobTokenPrefix, absl::WebSafeBase64Escape(link.SerializeAsString()));
}

void ExpectMalformed(absl::string_view token) {
  absl::StatusOr<v1::BlobLink> link = DecodeBlobToken(token);
  EXPECT_EQ(link.status().code(), absl::StatusCode::kInvalidArgument) << token;
  EXPECT_TRUE(absl::StrContains(link.status().message(), "not a valid blob token")) << token;
}

TEST(BlobTokenTest, RoundTrip) {
  const std::string token = EncodeBlobToken(kRoom, Ref());
  EXPECT_TRUE(absl::StartsWith(token, "ubblob1:"));
  EXPECT_EQ(token.find_first_of("=+/ \n"), std::string::npos);  // URL-safe, no padding
  absl::StatusOr<v1::BlobLink> link = DecodeBlobToken(absl::StrCat("  ", token, "\n"));
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->room_id(), kRoom);
  EXPECT_EQ(link->blob().SerializeAsString(), Ref().SerializeAsString());
}

TEST(BlobTokenTest, NormalizesHexCase) {
  v1::BlobLink link;
  link.set_room_id("00112233445566778899AABBCCDDEEFF");
  *link.mutable_blob() = Ref();
  link.mutable_blob()->set_address(std::string(64, 'A'));
  absl::StatusOr<v1::BlobLink> decoded = DecodeBlobToken(TokenOf(link));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->room_id(), kRoom);
  EXPECT_EQ(decoded->blob().address(), std::string(64, 'a'));
}

TEST(BlobTokenTest, RejectsMalformedTokens) {
  const std::string good = EncodeBlobToken(kRoom, Ref());
  ExpectMalformed("");
  ExpectMalformed("ubblob1:");
  ExpectMalformed(good.substr(8));                          // no prefix
  ExpectMalformed(absl::StrCat("ubblob2:", good.substr(8)));  // another version
  ExpectMalformed(good.substr(0, good.size() / 2));         // cut short
  ExpectMalformed(good + "==");                             // padding
  ExpectMalformed(good.substr(0, 20) + "+/" + good.substr(22));  // not base64url
  ExpectMalformed(good.substr(0, 20) + " " + good.substr(20));
  ExpectMalformed(absl::StrCat(kBlobTokenPrefix, "not-a-proto-at-all"));
  ExpectMalformed(absl::StrCat(kBlobTokenPrefix, std::string(10000, 'A')));
}

TEST(BlobTokenTest, RejectsLinksWithoutRoomAddressOrKey) {
  auto with = [](auto change) {
    v1::BlobLink link;
    link.set_room_id(kRoom);
    *link.mutable_blob() = Ref();
    change(link);
    return TokenOf(link);
  };
  ExpectMalformed(with([](v1::BlobLink& l) { l.clear_blob(); }));
  ExpectMalformed(with([](v1::BlobLink& l) { l.set_room_id("general"); }));
  ExpectMalformed(with([](v1::BlobLink& l) { l.set_room_id(kRoom + "00"); }));
  ExpectMalformed(with([](v1::BlobLink& l) { l.mutable_blob()->set_address("../../x"); }));
  ExpectMalformed(with([](v1::BlobLink& l) { l.mutable_blob()->set_key("short"); }));
  ExpectMalformed(with([](v1::BlobLink& l) { l.mutable_blob()->clear_key(); }));
}

}  // namespace
}  // namespace unibus::client::cli
