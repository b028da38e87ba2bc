// Keeps a GrantsCache in step with unibusd's BrokerService: a full load (ListGrants), then the
// change feed (WatchChanges) from the load's position; on every change the identity's grants are
// re-read (GetGrants) before `on_change` is called, so a kick triggered by it reconnects against
// fresh grants. When the feed breaks the cache is marked not live (new connections are refused)
// and the feed reconnects with jittered exponential back-off, reloading everything.
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
  absl::Duration max_backoff = absl::Seconds(5);
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
  absl::Status LoadAll(uint64_t* position);
  absl::Status Follow(uint64_t position);
  void Refresh(const std::string& sign_pub);
  // Sleeps up to `d`; false if Stop was called.
  bool SleepUnlessStopped(absl::Duration d);

  const FeedOptions options_;
  GrantsCache& cache_;
  const ChangeCallback on_change_;
  // One per target; `current_` is the one in use (only the feed thread touches it).
  std::vector<std::unique_ptr<v1::BrokerService::Stub>> stubs_;
  size_t current_ = 0;
  std::thread thread_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The call in progress that Stop() cancels (the watch stream, or a full load's page).
  grpc::ClientContext* watch_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace unibus::broker_auth::grants

#endif  // UNIBUS_BROKER_AUTH_GRANTS_GRANTS_FEED_H_
