// Input validation for the control plane's requests: pure functions, no I/O.
//
// Each returns INVALID_ARGUMENT with a message that names the field and says what is expected;
// messages never echo long or binary input back.
#ifndef UNIBUS_CONTROL_MODEL_VALIDATION_H_
#define UNIBUS_CONTROL_MODEL_VALIDATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "unibus/v1/rooms.pb.h"
#include "unibus/v1/users.pb.h"

namespace unibus::control::model {

// A 64-hex public key (either case); returns it lower-cased.
absl::StatusOr<std::string> ParseKeyHex(absl::string_view field, absl::string_view hex);

// 1-64 characters of [a-z0-9._-], starting with a letter or digit.
absl::Status ValidateHandle(absl::string_view handle);

// ADMIN, MEMBER or SERVICE.
absl::Status ValidateRole(v1::Role role);

// 32 lowercase hex characters.
absl::Status ValidateRoomId(absl::string_view room_id);

// 1-128 bytes of valid UTF-8 without control characters (C0, DEL, C1, U+2028/2029, bidi
// overrides and isolates).
absl::Status ValidateRoomName(absl::string_view name);

// A page size: 0 → default 100, > 1000 → 1000, < 0 → INVALID_ARGUMENT.
absl::StatusOr<int> PageSize(int32_t requested);

// Page tokens are the last key of the previous page, hex-encoded: opaque to callers, checked here.
std::string EncodePageToken(absl::string_view last_key);
absl::StatusOr<std::string> DecodePageToken(absl::string_view token);

// Checks a SealedKey sent by `caller_pub_hex` for `room_id` and `epoch`: well-formed (recipient a
// 64-hex key, sealed 80 bytes, signature 64 bytes), bound to exactly that room and epoch, signed
// by the caller, and the signature verifies. Lower-cases the recipient and signer in place.
absl::Status ValidateSealedKey(v1::SealedKey& key, absl::string_view room_id, uint64_t epoch,
                               absl::string_view caller_pub_hex);

}  // namespace unibus::control::model

#endif  // UNIBUS_CONTROL_MODEL_VALIDATION_H_
