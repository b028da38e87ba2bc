// Deletes history consumers whose owners may no longer read their room (feed_request.h names
// every consumer unibus-authd creates after its owner and room): soon after each change that can
// shrink an identity's grants (membership removed, user revoked; room deletion removes every
// member), and every `period` for everything, which also catches changes missed while no authd
// was following the feed, consumers of names authd never gives out, and identities holding more
// than `counts.limit()` feeds (the full sweep also resets `counts` to what it found).
//
// Changes are swept on the sweeper's own thread, never on the caller's (the change feed must not
// wait for JetStream): identities queued meanwhile are swept together, with one listing of the
// consumers (nats-server 2.10 lists them all; it ignores a subject filter).
//
// Thread-safe. Borrows the cache and the connection (the feeds user's).
#ifndef UNIBUS_BROKER_AUTH_FEEDS_FEED_SWEEPER_H_
#define UNIBUS_BROKER_AUTH_FEEDS_FEED_SWEEPER_H_

#include <nats/nats.h>

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker_auth/feeds/feed_counts.h"
#include "broker_auth/grants/grants_cache.h"

namespace unibus::broker_auth::feeds {

struct FeedSweeperOptions {
  absl::Duration period = absl::Seconds(10);
  absl::Duration api_timeout = absl::Seconds(2);
};

class FeedSweeper {
 public:
  FeedSweeper(natsConnection* nc, const grants::GrantsCache& cache, FeedCounts& counts,
              FeedSweeperOptions options = {});
  ~FeedSweeper();

  // Starts the sweeper's thread.
  void Start();

  // After a change to `sign_pub`'s grants (the cache already reflects it): its consumers that it
  // may no longer read are deleted soon, on the sweeper's thread. Does not block.
  void Changed(const std::string& sign_pub);

  // Deletes the consumers of `identities` that they may no longer read. Returns how many.
  absl::StatusOr<int> SweepIdentities(const absl::flat_hash_set<std::string>& identities);
  // Everything (see the header). UNAVAILABLE while the cache is not live.
  absl::StatusOr<int> SweepAll();

 private:
  void Loop();

  natsConnection* const nc_;
  const grants::GrantsCache& cache_;
  FeedCounts& counts_;
  const FeedSweeperOptions options_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<std::string> changed_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace unibus::broker_auth::feeds

#endif  // UNIBUS_BROKER_AUTH_FEEDS_FEED_SWEEPER_H_
