// The bytes a sealed room key's signature covers (rooms.proto, message SealedKey):
//   "unibus.v1.sealed-key" ‖ 0x00 ‖ u16be(len(room_id)) ‖ room_id ‖ u64be(epoch)
//   ‖ recipient sign_pub (32 raw bytes) ‖ sealed (80 bytes)
// Shared by the control plane (which verifies) and clients (which sign and verify).
#ifndef UNIBUS_COMMON_CRYPTO_SEALED_KEY_MESSAGE_H_
#define UNIBUS_COMMON_CRYPTO_SEALED_KEY_MESSAGE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace unibus::common {

inline constexpr absl::string_view kSealedKeyDomain = "unibus.v1.sealed-key";
// crypto_box_SEALBYTES (48) + a 32-byte room key.
inline constexpr size_t kSealedRoomKeySize = 80;

// REQUIRES: room_id.size() < 65536, recipient_pub is the raw 32-byte key.
std::string SealedKeyMessage(absl::string_view room_id, uint64_t epoch,
                             absl::string_view recipient_pub, absl::string_view sealed);

}  // namespace unibus::common

#endif  // UNIBUS_COMMON_CRYPTO_SEALED_KEY_MESSAGE_H_
