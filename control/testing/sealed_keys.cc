#include "control/testing/sealed_keys.h"

#include "common/crypto/hex.h"
#include "common/crypto/room_key_envelope.h"

namespace unibus::control::testing {

std::string NewRoomKey() { return common::NewRoomKey(); }

std::string NewRoomId() { return common::HexEncode(common::NewRoomKey().substr(0, 16)); }

v1::SealedKey SealRoomKey(const common::Identity& signer, absl::string_view room_id,
                          uint64_t epoch, const common::Identity& recipient,
                          absl::string_view room_key) {
  return common::SealRoomKey(signer, room_id, epoch, recipient.sign_pub(), recipient.kex_pub(),
                             room_key);
}

}  // namespace unibus::control::testing
