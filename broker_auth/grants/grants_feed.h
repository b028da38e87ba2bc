// Keeps a GrantsCache in step with unibusd's BrokerService: a full load (ListGrants), then the
// change feed (WatchChanges). On every change the cache first applies what the change itself
// takes away (GrantsCache::ApplyShrink), then re-reads the identity's grants (GetGrants) before
// `on_change` is called, so a kick triggered by it reconnects against fresh grants. Only a
// definite NOT_FOUND removes an identity; a re-read that keeps failing (unibusd busy or failing
// over) breaks the feed, which reloads instead (a transient failure never locks anyone out).
//
// Nothing that changed is missed, whatever happened before: the position of the last applied
// change is kept (in memory, and in `position_file` across restarts), and after every reload the
// feed resumes from it, so changes made while the feed was broken (or authd was down) are
// replayed and kicked. When the control plane no longer retains that position (OUT_OF_RANGE),
// every identity whose grants shrank between the previous view and the reload gets a
// synthesized change (grants_diff.h); after a restart, when there is no previous view, `on_gap`
// is called (kick everyone). When the feed breaks the cache is marked not live (new connections
// are refused) and the feed reconnects with jittered exponential back-off.
//
// Thread safety: Start/Stop from one thread; `on_change` runs on the feed's thread.
#ifndef UNIBUS_BROKER_AUTH_GRANTS_GRANTS_FEED_H_
#define UNIBUS_BROKER_AUTH_GRANTS_GRANTS_FEED_H_

#include <grpcpp/client_context.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker_auth/grants/grants_cache.h"
#include "common/crypto/cert.h"
#include "unibus/v1/broker.grpc.pb.h"

namespace unibus::broker_auth::grants {

struct FeedOptions {
  // unibusd host:port, or several comma-separated (the nodes of a cluster): the feed follows one
  // and moves to the next when it fails.
  std::string target;
  std::string ca_pem;  // CA of unibusd's server certificate
  common::PemKeyPair client_cert;  // the service identity's certificate
  absl::Duration min_backoff = absl::Milliseconds(100);
  // Short: a change made while the feed reconnects waits for the next attempt to be kicked.
  absl::Duration max_backoff = absl::Milliseconds(500);
  std::string position_file;  // optional: where the last applied position survives restarts
  std::function<void()> on_gap;  // changes may have been missed and cannot be known
};

class GrantsFeed {
 public:
  using ChangeCallback = std::function<void(const v1::Change& change)>;

  GrantsFeed(FeedOptions options, GrantsCache& cache, ChangeCallback on_change);
  ~GrantsFeed();

  void Start();
  void Stop();

 private:
  void Run();
  // One load-and-follow round; returns why it ended.
  absl::Status Round(bool* loaded_before);
  absl::Status LoadAll(uint64_t* position);
  absl::Status Follow(uint64_t position);
  absl::Status Refresh(const std::string& sign_pub);
  void Applied(uint64_t position);
  // Sleeps up to `d`; false if Stop was called.
  bool SleepUnlessStopped(absl::Duration d);

  const FeedOptions options_;
  GrantsCache& cache_;
  const ChangeCallback on_change_;
  // One per target; `current_` is the one in use (only the feed thread touches it).
  std::vector<std::unique_ptr<v1::BrokerService::Stub>> stubs_;
  size_t current_ = 0;
  uint64_t applied_ = 0;  // position of the last change applied (feed thread only)
  std::thread thread_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The call in progress that Stop() cancels (the watch stream, or a full load's page).
  grpc::ClientContext* watch_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace unibus::broker_auth::grants

#endif  // UNIBUS_BROKER_AUTH_GRANTS_GRANTS_FEED_H_
