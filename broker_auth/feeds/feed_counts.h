// How many history feeds (consumers) each identity holds, to refuse a new one beyond `limit` at
// creation time (a member holding interest in all of its feeds keeps them all alive; the
// periodic sweep alone would let it create thousands in between). FeedService counts what it
// creates; FeedSweeper replaces the counts with what JetStream listed at each full sweep (which
// also forgets feeds that expired or were deleted).
//
// Thread-safe.
#ifndef UNIBUS_BROKER_AUTH_FEEDS_FEED_COUNTS_H_
#define UNIBUS_BROKER_AUTH_FEEDS_FEED_COUNTS_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace unibus::broker_auth::feeds {

class FeedCounts {
 public:
  explicit FeedCounts(size_t limit) : limit_(limit) {}

  size_t limit() const { return limit_; }
  // Counts one more feed of `sign_pub` unless it holds `limit` already.
  bool TryAdd(const std::string& sign_pub);
  // What a full listing found.
  void Replace(absl::flat_hash_map<std::string, size_t> counts);

 private:
  const size_t limit_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, size_t> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace unibus::broker_auth::feeds

#endif  // UNIBUS_BROKER_AUTH_FEEDS_FEED_COUNTS_H_
