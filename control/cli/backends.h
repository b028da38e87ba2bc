// Where unibusd keeps its state: SQLite and a blob directory on one node, or, in a cluster,
// JetStream KV and a JetStream object store reached through NATS (the node itself then holds
// nothing). Used by `unibusd serve` and `unibusd migrate-to-kv`.
#ifndef UNIBUS_CONTROL_CLI_BACKENDS_H_
#define UNIBUS_CONTROL_CLI_BACKENDS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/identity.h"
#include "common/nats/nats_ptr.h"
#include "common/time/clock.h"
#include "control/blob/blob_store.h"
#include "control/store/store.h"

namespace unibus::control::store {
class KvStore;
}

namespace unibus::control::cli {

struct ClusterFlags {
  // NATS URLs, comma-separated (several: failover between the nodes).
  std::string nats_urls;
  // Identity file whose nkey is a user of the CONTROL account (`unibus-authd init` writes
  // control.id).
  std::string nats_identity;
  // CA of the nats-servers' TLS listeners; when set, the link must be TLS.
  std::string nats_ca;
  // Copies of every KV and object-store entry (1-5).
  int replicas = 1;
  std::string kv_bucket = "unibus_control";
  std::string blob_bucket = "unibus_blobs";
  // How long to wait for NATS and a JetStream quorum at start-up.
  absl::Duration wait = absl::Seconds(60);
};

// INVALID_ARGUMENT naming the missing or bad flag.
absl::Status ValidateClusterFlags(const ClusterFlags& flags);

// The NATS side of a cluster node: its connection and the KV store on it.
class ClusterBackends {
 public:
  // Connects and opens (creating if needed) the KV buckets and the object store, retrying until
  // JetStream answers or `flags.wait` passes (progress on stderr).
  static absl::StatusOr<std::unique_ptr<ClusterBackends>> Open(const ClusterFlags& flags,
                                                               const common::Clock& clock);
  ~ClusterBackends();

  // The stores, to hand over once (they borrow the connection: destroy them before this).
  store::StorePtr TakeStore();
  blob::BlobStorePtr TakeBlobs();
  // The KV store (valid while the taken store lives).
  store::KvStore& kv() { return *kv_; }
  // Calls `fn` whenever any node appends to the change feed.
  void OnChanges(std::function<void()> fn);
  bool link_secure() const { return link_secure_; }

 private:
  ClusterBackends() = default;

  std::unique_ptr<common::Identity> identity_;
  common::nats::NatsConnectionPtr connection_;
  store::StorePtr store_;
  store::KvStore* kv_ = nullptr;
  blob::BlobStorePtr blobs_;
  bool link_secure_ = false;
};

}  // namespace unibus::control::cli

#endif  // UNIBUS_CONTROL_CLI_BACKENDS_H_
