#include "control/store/key_rules.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace unibus::control::store {

absl::Status CheckNewMemberKeys(bool encrypted, uint64_t current_epoch,
                                const std::vector<v1::SealedKey>& keys) {
  if (!encrypted) {
    if (!keys.empty()) return absl::FailedPreconditionError("cleartext rooms have no keys");
    return absl::OkStatus();
  }
  bool has_current = false;
  for (const v1::SealedKey& key : keys) {
    if (key.epoch() > current_epoch) {
      return absl::FailedPreconditionError("key for a future epoch");
    }
    if (key.epoch() == current_epoch) has_current = true;
  }
  if (!has_current) return absl::FailedPreconditionError("no key for the current epoch");
  return absl::OkStatus();
}

absl::Status CheckKeysCoverExactly(const std::vector<std::string>& recipients,
                                   uint64_t new_epoch, const std::vector<v1::SealedKey>& keys) {
  if (keys.size() != recipients.size()) {
    return absl::FailedPreconditionError("keys do not cover exactly the members");
  }
  absl::flat_hash_set<absl::string_view> missing(recipients.begin(), recipients.end());
  for (const v1::SealedKey& key : keys) {
    if (key.epoch() != new_epoch) {
      return absl::FailedPreconditionError("key for another epoch");
    }
    // erase() returns 0 for an outsider and for a second key to the same recipient.
    if (missing.erase(absl::string_view(key.recipient())) == 0) {
      return absl::FailedPreconditionError("keys do not cover exactly the members");
    }
  }
  return absl::OkStatus();  // Same size and every key matched a distinct recipient.
}

}  // namespace unibus::control::store
