#include "client/internal/member_set.h"

namespace unibus::client::internal {

bool MemberSet::Contains(const std::string& sign_pub_hex) {
  absl::Time now = clock_.Now();
  if (members_.contains(sign_pub_hex) && now - fetched_ < max_age_) return true;
  if (now - fetched_ < min_refresh_) return false;
  fetched_ = now;
  absl::StatusOr<std::vector<std::string>> fresh = fetch_();
  if (!fresh.ok()) return false;
  members_ = absl::flat_hash_set<std::string>(fresh->begin(), fresh->end());
  return members_.contains(sign_pub_hex);
}

}  // namespace unibus::client::internal
