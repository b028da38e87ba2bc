#include "client/cli/blob_token.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/crypto/hex.h"

namespace unibus::client::cli {
namespace {

// Longer than any real token (a BlobLink is ~150 bytes plus the name), short enough that a
// pasted file never reaches the protobuf parser.
constexpr size_t kMaxTokenBytes = 8192;
constexpr size_t kKeyBytes = 32;

absl::Status Malformed(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "not a valid blob token (", why, "); a token starts with ", kBlobTokenPrefix,
      " and is printed by `unibus blob put` and in recv --json's \"blob_token\""));
}

bool IsBase64Url(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string EncodeBlobToken(const std::string& room_id, const v1::BlobRef& ref) {
  v1::BlobLink link;
  link.set_room_id(room_id);
  *link.mutable_blob() = ref;
  std::string encoded;
  absl::WebSafeBase64Escape(link.SerializeAsString(), &encoded);  // no padding
  return absl::StrCat(kBlobTokenPrefix, encoded);
}

absl::StatusOr<v1::BlobLink> DecodeBlobToken(absl::string_view token) {
  token = absl::StripAsciiWhitespace(token);
  if (!absl::ConsumePrefix(&token, kBlobTokenPrefix)) {
    return Malformed(absl::StrCat("it does not start with ", kBlobTokenPrefix));
  }
  if (token.size() > kMaxTokenBytes) return Malformed("it is too long");
  std::string bytes;
  if (token.empty() || !IsBase64Url(token) || !absl::WebSafeBase64Unescape(token, &bytes)) {
    return Malformed("it is cut short or mistyped");
  }
  v1::BlobLink link;
  if (!link.ParseFromString(bytes) || !link.has_blob()) {
    return Malformed("it is cut short or mistyped");
  }
  const v1::BlobRef& ref = link.blob();
  if (!common::IsHexOfSize(link.room_id(), 16) || !common::IsHexOfSize(ref.address(), 32) ||
      ref.key().size() != kKeyBytes) {
    return Malformed("it names no room, blob or key");
  }
  link.set_room_id(common::HexNormalize(link.room_id()));
  link.mutable_blob()->set_address(common::HexNormalize(ref.address()));
  return link;
}

}  // namespace unibus::client::cli
