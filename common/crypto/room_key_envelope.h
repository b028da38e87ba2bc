// Sealed room keys (rooms.proto SealedKey; docs/frames.md §6): a 32-byte room key sealed with
// crypto_box_seal to the recipient's X25519 kex key and signed (Ed25519) by whoever sealed it,
// bound to room, epoch and recipient through SealedKeyMessage.
//
// Used by clients (seal for members, open their own) and by control-plane tests.
// Stateless and thread-safe.
#ifndef UNIBUS_COMMON_CRYPTO_ROOM_KEY_ENVELOPE_H_
#define UNIBUS_COMMON_CRYPTO_ROOM_KEY_ENVELOPE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/identity.h"
#include "unibus/v1/rooms.pb.h"

namespace unibus::common {

// A fresh random 32-byte room key.
std::string NewRoomKey();

// `room_key` sealed to the recipient (raw 32-byte sign_pub and kex_pub) and signed by `signer`.
v1::SealedKey SealRoomKey(const Identity& signer, absl::string_view room_id, uint64_t epoch,
                          absl::string_view recipient_sign_pub, absl::string_view recipient_kex_pub,
                          absl::string_view room_key);

// Opens `key` as `me`. It must be for `room_id` and `epoch`, addressed to `me`, carry a valid
// signature by key.signer(), and `may_seal(signer_hex)` must be true (the signer is an owner or
// admin of the room). PERMISSION_DENIED when any check fails, never the key.
absl::StatusOr<std::string> OpenRoomKey(const v1::SealedKey& key, const Identity& me,
                                        absl::string_view room_id, uint64_t epoch,
                                        const std::function<bool(const std::string&)>& may_seal);

}  // namespace unibus::common

#endif  // UNIBUS_COMMON_CRYPTO_ROOM_KEY_ENVELOPE_H_
