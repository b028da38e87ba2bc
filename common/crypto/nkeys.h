// NATS nkeys: the text form of Ed25519 public keys ("U…") and seeds ("SU…").
//
// Encoding (nats-io/nkeys): base32 (RFC 4648 alphabet, no padding) of
//   public: prefix byte ‖ 32-byte key ‖ CRC-16/XMODEM (little-endian)
//   seed:   two prefix bytes (seed type, key type) ‖ 32-byte seed ‖ CRC-16/XMODEM (little-endian)
#ifndef UNIBUS_COMMON_CRYPTO_NKEYS_H_
#define UNIBUS_COMMON_CRYPTO_NKEYS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/secret.h"

namespace unibus::common::nkeys {

enum class KeyType : uint8_t {
  kAccount = 0,         // "A…"
  kServer = 13 << 3,    // "N…"
  kUser = 20 << 3,      // "U…"
  kCurve = 23 << 3,     // "X…"
};

inline constexpr uint8_t kSeedPrefix = 18 << 3;  // "S…"

uint16_t Crc16(absl::string_view data);
std::string Base32Encode(absl::string_view data);
// INVALID_ARGUMENT on a character outside the alphabet.
absl::StatusOr<std::string> Base32Decode(absl::string_view text);

// REQUIRES: key.size() == 32.
std::string EncodePublic(KeyType type, absl::string_view key);
// The 32 raw bytes. INVALID_ARGUMENT on bad base32, length, checksum or type.
absl::StatusOr<std::string> DecodePublic(KeyType type, absl::string_view text);

// REQUIRES: seed.size() == 32.
std::string EncodeSeed(KeyType type, absl::string_view seed);
// The 32-byte seed. INVALID_ARGUMENT on bad base32, length, checksum, seed or key type.
absl::StatusOr<SecretBytes> DecodeSeed(KeyType type, absl::string_view text);

}  // namespace unibus::common::nkeys

#endif  // UNIBUS_COMMON_CRYPTO_NKEYS_H_
