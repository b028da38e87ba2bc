#include "control/testing/sealed_keys.h"

#include <sodium.h>

#include "common/crypto/hex.h"
#include "common/crypto/sealed_key_message.h"

namespace unibus::control::testing {

std::string NewRoomKey() {
  common::InitSodium();
  std::string key(32, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string NewRoomId() { return common::HexEncode(NewRoomKey().substr(0, 16)); }

v1::SealedKey SealRoomKey(const common::Identity& signer, absl::string_view room_id,
                          uint64_t epoch, const common::Identity& recipient,
                          absl::string_view room_key) {
  common::InitSodium();
  std::string sealed(crypto_box_SEALBYTES + room_key.size(), '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(sealed.data()),
                  reinterpret_cast<const unsigned char*>(room_key.data()), room_key.size(),
                  reinterpret_cast<const unsigned char*>(recipient.kex_pub().data()));
  v1::SealedKey key;
  key.set_room_id(std::string(room_id));
  key.set_epoch(epoch);
  key.set_recipient(recipient.sign_pub_hex());
  key.set_sealed(sealed);
  key.set_signer(signer.sign_pub_hex());
  key.set_signature(
      signer.Sign(common::SealedKeyMessage(room_id, epoch, recipient.sign_pub(), sealed)));
  return key;
}

}  // namespace unibus::control::testing
