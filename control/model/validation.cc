#include "control/model/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/hex.h"
#include "common/crypto/identity.h"
#include "common/crypto/sealed_key_message.h"

namespace unibus::control::model {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

bool IsHandleChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Decodes the UTF-8 sequence starting at s[i] into *code_point; returns its length, or 0 if it
// is not valid (shortest-form) UTF-8.
size_t DecodeUtf8(absl::string_view s, size_t i, uint32_t* code_point) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t cp = len == 1 ? c : c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    unsigned char next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  *code_point = cp;
  return len;
}

// C0 and C1 controls, DEL, line/paragraph separators and bidirectional overrides: characters
// that can rewrite what a terminal or log shows.
bool IsControl(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

absl::StatusOr<std::string> ParseKeyHex(absl::string_view field, absl::string_view hex) {
  if (!common::IsHexOfSize(hex, 32)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a public key of 64 hexadecimal characters"));
  }
  return common::HexNormalize(hex);
}

absl::Status ValidateHandle(absl::string_view handle) {
  bool ok = !handle.empty() && handle.size() <= 64 && IsHandleChar(handle[0]) &&
            handle[0] != '.' && handle[0] != '_' && handle[0] != '-';
  for (char c : handle) ok = ok && IsHandleChar(c);
  if (!ok) {
    return absl::InvalidArgumentError(
        "handle must be 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a letter or "
        "digit");
  }
  return absl::OkStatus();
}

absl::Status ValidateRole(v1::Role role) {
  if (role == v1::ROLE_ADMIN || role == v1::ROLE_MEMBER || role == v1::ROLE_SERVICE) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("role must be ROLE_ADMIN, ROLE_MEMBER or ROLE_SERVICE");
}

absl::Status ValidateRoomId(absl::string_view room_id) {
  bool ok = room_id.size() == 32;
  for (char c : room_id) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok) return absl::InvalidArgumentError("room_id must be 32 lowercase hexadecimal characters");
  return absl::OkStatus();
}

absl::Status ValidateRoomName(absl::string_view name) {
  if (name.empty() || name.size() > 128) {
    return absl::InvalidArgumentError("room name must be 1-128 bytes");
  }
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(name, i, &cp);
    if (len == 0 || IsControl(cp)) {
      return absl::InvalidArgumentError("room name must be UTF-8 without control characters");
    }
    i += len;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PageSize(int32_t requested) {
  if (requested < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return requested > kMaxPageSize ? kMaxPageSize : static_cast<int>(requested);
}

std::string EncodePageToken(absl::string_view last_key) { return common::HexEncode(last_key); }

absl::StatusOr<std::string> DecodePageToken(absl::string_view token) {
  std::optional<std::string> key = common::HexDecode(token);
  if (!key.has_value() || key->size() > 256) {
    return absl::InvalidArgumentError("page_token is not a token this server issued");
  }
  return *std::move(key);
}

absl::Status ValidateSealedKey(v1::SealedKey& key, absl::string_view room_id, uint64_t epoch,
                               absl::string_view caller_pub_hex) {
  absl::StatusOr<std::string> recipient = ParseKeyHex("sealed key recipient", key.recipient());
  if (!recipient.ok()) return recipient.status();
  absl::StatusOr<std::string> signer = ParseKeyHex("sealed key signer", key.signer());
  if (!signer.ok()) return signer.status();
  key.set_recipient(*recipient);
  key.set_signer(*signer);
  if (key.room_id() != room_id || key.epoch() != epoch) {
    return absl::InvalidArgumentError(
        absl::StrCat("sealed key must be for room ", room_id, " epoch ", epoch));
  }
  if (key.sealed().size() != common::kSealedRoomKeySize) {
    return absl::InvalidArgumentError("sealed key must be 80 bytes (crypto_box_seal of 32 bytes)");
  }
  if (key.signer() != caller_pub_hex) {
    return absl::InvalidArgumentError("sealed key must be signed by the caller");
  }
  std::string recipient_raw = *common::HexDecode(key.recipient());
  std::string message =
      common::SealedKeyMessage(key.room_id(), key.epoch(), recipient_raw, key.sealed());
  if (!common::VerifySignature(*common::HexDecode(key.signer()), message, key.signature())) {
    return absl::InvalidArgumentError("sealed key signature does not verify");
  }
  return absl::OkStatus();
}

}  // namespace unibus::control::model
