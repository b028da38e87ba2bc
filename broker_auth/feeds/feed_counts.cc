#include "broker_auth/feeds/feed_counts.h"

#include <utility>

namespace unibus::broker_auth::feeds {

bool FeedCounts::TryAdd(const std::string& sign_pub) {
  absl::MutexLock lock(&mu_);
  size_t& n = counts_[sign_pub];
  if (n >= limit_) return false;
  ++n;
  return true;
}

void FeedCounts::Replace(absl::flat_hash_map<std::string, size_t> counts) {
  absl::MutexLock lock(&mu_);
  counts_ = std::move(counts);
}

}  // namespace unibus::broker_auth::feeds
