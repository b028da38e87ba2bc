// Test helper: real sealed room keys (crypto_box_seal + Ed25519 signature), as a client makes them.
#ifndef UNIBUS_CONTROL_TESTING_SEALED_KEYS_H_
#define UNIBUS_CONTROL_TESTING_SEALED_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/crypto/identity.h"
#include "unibus/v1/rooms.pb.h"

namespace unibus::control::testing {

// A random 32-byte room key.
std::string NewRoomKey();

// `room_key` sealed to `recipient` and signed by `signer`.
v1::SealedKey SealRoomKey(const common::Identity& signer, absl::string_view room_id,
                          uint64_t epoch, const common::Identity& recipient,
                          absl::string_view room_key);

// A fresh random room id (32 hex).
std::string NewRoomId();

}  // namespace unibus::control::testing

#endif  // UNIBUS_CONTROL_TESTING_SEALED_KEYS_H_
