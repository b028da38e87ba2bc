#include "broker_auth/callout/base64url.h"

#include <sodium.h>

#include "common/crypto/identity.h"

namespace unibus::broker_auth::callout {
namespace {

std::optional<std::string> DecodeVariant(absl::string_view text, int variant) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, &end, variant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace

std::string Base64UrlEncode(absl::string_view bytes) {
  common::InitSodium();
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), kVariant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> Base64Decode(absl::string_view text) {
  common::InitSodium();
  for (int variant : {sodium_base64_VARIANT_URLSAFE_NO_PADDING, sodium_base64_VARIANT_URLSAFE,
                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING, sodium_base64_VARIANT_ORIGINAL}) {
    std::optional<std::string> out = DecodeVariant(text, variant);
    if (out.has_value()) return out;
  }
  return std::nullopt;
}

}  // namespace unibus::broker_auth::callout
