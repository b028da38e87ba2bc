#include "common/limits/rate_limiter.h"

#include <algorithm>

namespace unibus::common::limits {

RateLimiter::RateLimiter(double rate, double burst, const common::Clock& clock, size_t max_keys)
    : rate_(rate), burst_(burst), clock_(clock), max_keys_(max_keys) {}

bool RateLimiter::Allow(absl::string_view key) {
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) DropIdleLocked(now);
    it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  double elapsed = absl::ToDoubleSeconds(now - b.last);
  b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
  b.last = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void RateLimiter::DropIdleLocked(absl::Time now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double refilled = it->second.tokens + absl::ToDoubleSeconds(now - it->second.last) * rate_;
    if (refilled >= burst_) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace unibus::common::limits
