// Per-identity token buckets: `rate` requests per second, bursts up to `burst`.
//
// Thread-safe. Memory is bounded: when more than `max_keys` identities are tracked, idle buckets
// (full again) are dropped.
#ifndef UNIBUS_COMMON_LIMITS_RATE_LIMITER_H_
#define UNIBUS_COMMON_LIMITS_RATE_LIMITER_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"

namespace unibus::common::limits {

class RateLimiter {
 public:
  // REQUIRES: rate > 0, burst >= 1. `clock` must outlive the limiter.
  RateLimiter(double rate, double burst, const common::Clock& clock, size_t max_keys = 100000);

  // Takes one token from `key`'s bucket; false if it is empty.
  bool Allow(absl::string_view key);

 private:
  struct Bucket {
    double tokens;
    absl::Time last;
  };
  void DropIdleLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const double rate_;
  const double burst_;
  const common::Clock& clock_;
  const size_t max_keys_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace unibus::common::limits

#endif  // UNIBUS_COMMON_LIMITS_RATE_LIMITER_H_
