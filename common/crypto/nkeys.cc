#include "common/crypto/nkeys.h"

#include <sodium.h>

#include "absl/status/status.h"

namespace unibus::common::nkeys {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string WithCrc(std::string raw) {
  uint16_t crc = Crc16(raw);
  raw.push_back(static_cast<char>(crc & 0xff));
  raw.push_back(static_cast<char>(crc >> 8));
  return raw;
}

// Checks and strips the trailing CRC of a decoded key.
absl::StatusOr<std::string> CheckedPayload(absl::string_view text, size_t payload_size) {
  absl::StatusOr<std::string> raw = Base32Decode(text);
  if (!raw.ok()) return raw.status();
  if (raw->size() != payload_size + 2) {
    sodium_memzero(raw->data(), raw->size());
    return absl::InvalidArgumentError("nkey has the wrong length");
  }
  uint16_t want = static_cast<uint8_t>((*raw)[payload_size]) |
                  (static_cast<uint16_t>(static_cast<uint8_t>((*raw)[payload_size + 1])) << 8);
  raw->resize(payload_size);
  if (Crc16(*raw) != want) {
    sodium_memzero(raw->data(), raw->size());
    return absl::InvalidArgumentError("nkey checksum does not match");
  }
  return raw;
}

}  // namespace

uint16_t Crc16(absl::string_view data) {
  uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc ^= static_cast<uint16_t>(byte) << 8;
    for (int i = 0; i < 8; ++i) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::string Base32Encode(absl::string_view data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

absl::StatusOr<std::string> Base32Decode(absl::string_view text) {
  std::string out;
  out.reserve(text.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= '2' && c <= '7') {
      value = c - '2' + 26;
    } else {
      return absl::InvalidArgumentError("nkey is not base32");
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

std::string EncodePublic(KeyType type, absl::string_view key) {
  std::string raw(1, static_cast<char>(type));
  raw.append(key.data(), key.size());
  return Base32Encode(WithCrc(std::move(raw)));
}

absl::StatusOr<std::string> DecodePublic(KeyType type, absl::string_view text) {
  absl::StatusOr<std::string> raw = CheckedPayload(text, 33);
  if (!raw.ok()) return raw.status();
  if (static_cast<uint8_t>((*raw)[0]) != static_cast<uint8_t>(type)) {
    return absl::InvalidArgumentError("nkey is of the wrong type");
  }
  return raw->substr(1);
}

std::string EncodeSeed(KeyType type, absl::string_view seed) {
  uint8_t t = static_cast<uint8_t>(type);
  std::string raw;
  raw.push_back(static_cast<char>(kSeedPrefix | (t >> 5)));
  raw.push_back(static_cast<char>((t & 31) << 3));
  raw.append(seed.data(), seed.size());
  std::string text = Base32Encode(WithCrc(std::move(raw)));
  return text;
}

absl::StatusOr<SecretBytes> DecodeSeed(KeyType type, absl::string_view text) {
  absl::StatusOr<std::string> raw = CheckedPayload(text, 34);
  if (!raw.ok()) return raw.status();
  uint8_t b0 = static_cast<uint8_t>((*raw)[0]);
  uint8_t b1 = static_cast<uint8_t>((*raw)[1]);
  uint8_t t = static_cast<uint8_t>(type);
  bool ok = (b0 & 0xf8) == kSeedPrefix && static_cast<uint8_t>(((b0 & 7) << 5) | (b1 >> 3)) == t;
  SecretBytes seed(absl::string_view(*raw).substr(2));
  sodium_memzero(raw->data(), raw->size());
  if (!ok) return absl::InvalidArgumentError("nkey seed is of the wrong type");
  return seed;
}

}  // namespace unibus::common::nkeys
