#include "broker_auth/callout/xkey.h"

#include <sodium.h>

#include "absl/status/status.h"
#include "common/crypto/identity.h"
#include "common/crypto/nkeys.h"

namespace unibus::broker_auth::callout {
namespace {

using common::nkeys::KeyType;

constexpr absl::string_view kVersion = "xkv1";

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

CurveKey::CurveKey(common::SecretBytes secret) : secret_(std::move(secret)) {
  public_.resize(crypto_scalarmult_BYTES);
  crypto_scalarmult_base(reinterpret_cast<unsigned char*>(public_.data()), secret_.data());
}

CurveKey CurveKey::Generate() {
  common::InitSodium();
  common::SecretBytes secret(crypto_scalarmult_SCALARBYTES);
  randombytes_buf(secret.data(), secret.size());
  return CurveKey(std::move(secret));
}

absl::StatusOr<CurveKey> CurveKey::FromSeed(absl::string_view seed_text) {
  common::InitSodium();
  absl::StatusOr<common::SecretBytes> seed = common::nkeys::DecodeSeed(KeyType::kCurve, seed_text);
  if (!seed.ok()) return absl::InvalidArgumentError("not a curve (SX) seed");
  return CurveKey(*std::move(seed));
}

std::string CurveKey::PublicText() const {
  return common::nkeys::EncodePublic(KeyType::kCurve, public_);
}

common::SecretBytes CurveKey::SeedText() const {
  std::string text = common::nkeys::EncodeSeed(KeyType::kCurve, secret_.view());
  common::SecretBytes out(text);
  sodium_memzero(text.data(), text.size());
  return out;
}

absl::StatusOr<std::string> CurveKey::Seal(absl::string_view message,
                                           absl::string_view recipient) const {
  absl::StatusOr<std::string> their = common::nkeys::DecodePublic(KeyType::kCurve, recipient);
  if (!their.ok()) return absl::InvalidArgumentError("recipient is not a curve (X) key");
  std::string out(kVersion);
  out.resize(kVersion.size() + crypto_box_NONCEBYTES + crypto_box_MACBYTES + message.size());
  unsigned char* nonce = reinterpret_cast<unsigned char*>(out.data()) + kVersion.size();
  randombytes_buf(nonce, crypto_box_NONCEBYTES);
  if (crypto_box_easy(nonce + crypto_box_NONCEBYTES, Bytes(message), message.size(), nonce,
                      Bytes(*their), secret_.data()) != 0) {
    return absl::InvalidArgumentError("recipient curve key is not usable");
  }
  return out;
}

absl::StatusOr<std::string> CurveKey::Open(absl::string_view sealed,
                                           absl::string_view sender) const {
  absl::StatusOr<std::string> their = common::nkeys::DecodePublic(KeyType::kCurve, sender);
  if (!their.ok()) return absl::InvalidArgumentError("sender is not a curve (X) key");
  size_t header = kVersion.size() + crypto_box_NONCEBYTES;
  if (sealed.size() < header + crypto_box_MACBYTES || sealed.substr(0, kVersion.size()) != kVersion) {
    return absl::InvalidArgumentError("not an xkv1 sealed message");
  }
  const unsigned char* nonce = Bytes(sealed) + kVersion.size();
  std::string out(sealed.size() - header - crypto_box_MACBYTES, '\0');
  if (crypto_box_open_easy(reinterpret_cast<unsigned char*>(out.data()), nonce + crypto_box_NONCEBYTES,
                           sealed.size() - header, nonce, Bytes(*their), secret_.data()) != 0) {
    return absl::UnauthenticatedError("sealed message does not open");
  }
  return out;
}

}  // namespace unibus::broker_auth::callout
