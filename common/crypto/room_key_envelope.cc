#include "common/crypto/room_key_envelope.h"

#include <sodium.h>

#include "common/crypto/hex.h"
#include "common/crypto/sealed_key_message.h"

namespace unibus::common {

std::string NewRoomKey() {
  InitSodium();
  std::string key(32, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

v1::SealedKey SealRoomKey(const Identity& signer, absl::string_view room_id, uint64_t epoch,
                          absl::string_view recipient_sign_pub, absl::string_view recipient_kex_pub,
                          absl::string_view room_key) {
  InitSodium();
  std::string sealed(crypto_box_SEALBYTES + room_key.size(), '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(sealed.data()),
                  reinterpret_cast<const unsigned char*>(room_key.data()), room_key.size(),
                  reinterpret_cast<const unsigned char*>(recipient_kex_pub.data()));
  v1::SealedKey key;
  key.set_room_id(std::string(room_id));
  key.set_epoch(epoch);
  key.set_recipient(HexEncode(recipient_sign_pub));
  key.set_signer(signer.sign_pub_hex());
  key.set_signature(signer.Sign(SealedKeyMessage(room_id, epoch, recipient_sign_pub, sealed)));
  key.set_sealed(std::move(sealed));
  return key;
}

absl::StatusOr<std::string> OpenRoomKey(const v1::SealedKey& key, const Identity& me,
                                        absl::string_view room_id, uint64_t epoch,
                                        const std::function<bool(const std::string&)>& may_seal) {
  absl::Status denied = absl::PermissionDeniedError("room key envelope rejected");
  std::optional<std::string> signer = HexDecode(key.signer());
  if (key.room_id() != room_id || key.epoch() != epoch ||
      HexNormalize(key.recipient()) != me.sign_pub_hex() || !signer || signer->size() != 32 ||
      key.sealed().size() != kSealedRoomKeySize) {
    return denied;
  }
  if (!VerifySignature(*signer, SealedKeyMessage(room_id, epoch, me.sign_pub(), key.sealed()),
                       key.signature()) ||
      !may_seal(HexEncode(*signer))) {
    return denied;
  }
  std::string room_key(kSealedRoomKeySize - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(room_key.data()),
                           reinterpret_cast<const unsigned char*>(key.sealed().data()),
                           key.sealed().size(),
                           reinterpret_cast<const unsigned char*>(me.kex_pub().data()),
                           me.kex_secret().data()) != 0) {
    return denied;
  }
  return room_key;
}

}  // namespace unibus::common
