// Whose grants shrank between two views of every identity's grants (before and after a full
// reload that followed a gap in the change feed), as the changes that would have said so: a
// revocation for an identity that became inactive or unknown, a removal per room it lost
// (including a room whose history was turned off, whose history feeds must end). Those changes
// are then handled like any other (kick, sweep of history feeds).
//
// Pure function; thread-safe.
#ifndef UNIBUS_BROKER_AUTH_GRANTS_GRANTS_DIFF_H_
#define UNIBUS_BROKER_AUTH_GRANTS_GRANTS_DIFF_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "unibus/v1/broker.pb.h"

namespace unibus::broker_auth::grants {

std::vector<v1::Change> ShrunkBetween(const absl::flat_hash_map<std::string, v1::Grants>& before,
                                      const absl::flat_hash_map<std::string, v1::Grants>& after);

}  // namespace unibus::broker_auth::grants

#endif  // UNIBUS_BROKER_AUTH_GRANTS_GRANTS_DIFF_H_
