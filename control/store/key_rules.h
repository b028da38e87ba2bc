// Rules on sealed room keys that every Store backend applies inside its write transaction, so
// that all backends accept and refuse exactly the same requests with the same codes.
//
// Pure functions, no I/O; thread-compatible.
#ifndef UNIBUS_CONTROL_STORE_KEY_RULES_H_
#define UNIBUS_CONTROL_STORE_KEY_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "unibus/v1/rooms.pb.h"

namespace unibus::control::store {

// AddMember's keys for the new member of a room at `current_epoch`.
// Encrypted room: one key must be for `current_epoch` and none may be for a later epoch.
// Cleartext room: `keys` must be empty. Otherwise FAILED_PRECONDITION.
absl::Status CheckNewMemberKeys(bool encrypted, uint64_t current_epoch,
                                const std::vector<v1::SealedKey>& keys);

// RemoveMember/Rekey: `keys` must be exactly one key for `new_epoch` per recipient in
// `recipients` (no missing, extra or duplicate recipient). Otherwise FAILED_PRECONDITION.
absl::Status CheckKeysCoverExactly(const std::vector<std::string>& recipients,
                                   uint64_t new_epoch, const std::vector<v1::SealedKey>& keys);

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_KEY_RULES_H_
