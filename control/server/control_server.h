// unibusd's gRPC server: mutual TLS only (there is no plaintext listener and no "off" switch),
// every unibus.v1 service, grpc.health.v1 with the node's security posture, and server
// reflection so grpcurl works with nothing but a client certificate.
//
// Health and posture: see health_service.h.
//
// Thread safety: Start/Shutdown from one thread; the server runs on gRPC's threads.
#ifndef UNIBUS_CONTROL_SERVER_CONTROL_SERVER_H_
#define UNIBUS_CONTROL_SERVER_CONTROL_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/time/clock.h"
#include "control/blob/blob_quota.h"
#include "control/blob/blob_store.h"
#include "control/blob/upload_budget.h"
#include "control/blob/transfer_guard.h"
#include "control/server/health_service.h"
#include "control/server/posture.h"
#include "control/server/posture_monitor.h"
#include "control/service/authenticator.h"
#include "control/service/blob_service.h"
#include "control/service/broker_service.h"
#include "control/service/change_notifier.h"
#include "common/limits/rate_limiter.h"
#include "control/service/room_service.h"
#include "control/service/user_service.h"
#include "control/store/store.h"

namespace unibus::control::server {

enum class CleartextRooms { kAuto, kAllow, kDeny };

struct ServerOptions {
  // host:port; port 0 picks a free port (see ControlServer::port()).
  std::string listen = "127.0.0.1:7443";
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // kAuto allows cleartext rooms only when the listener is bound to loopback.
  CleartextRooms cleartext_rooms = CleartextRooms::kAuto;
  // Per identity; active service identities (unibus-authd) are exempt (authenticator.h).
  double rate_limit_per_second = 200;
  double rate_limit_burst = 400;
  int max_message_bytes = 1 << 20;
  // For the health posture: the backends, whether this node is part of a cluster, whether its
  // link to NATS is TLS or loopback, and its name.
  std::string store_backend = "sqlite";
  std::string blob_backend = "disk";
  bool cluster = false;
  bool nats_link_secure = true;
  std::string node_name;
  // Largest blob (ciphertext bytes) PutBlob accepts.
  uint64_t max_blob_bytes = 16 << 20;
  // Bytes all uploads together may hold in memory; each holds 256 KiB + 2 × max_message_bytes
  // while it runs (2.25 MiB by default; see blob_service.h). Over it, new uploads are refused at
  // once with RESOURCE_EXHAUSTED.
  uint64_t blob_upload_budget_bytes = 64 << 20;
  // Uploads and downloads one identity may run at once; a transfer that moves nothing for the
  // idle timeout is cancelled (frees its thread and its share of the budget).
  int blob_uploads_per_identity = 4;
  int blob_downloads_per_identity = 8;
  absl::Duration blob_transfer_idle_timeout = absl::Seconds(30);
  // Bytes of stored blobs one room may hold, and one identity may have created (blob_quota.h);
  // over either, an upload is refused from its header with RESOURCE_EXHAUSTED.
  uint64_t blob_quota_per_room = uint64_t{2} << 30;
  uint64_t blob_quota_per_identity = uint64_t{1} << 30;
  // Threads serving calls (gRPC's sync server spends one per running call); beyond them new
  // calls are refused with RESOURCE_EXHAUSTED instead of growing without bound.
  int max_threads = 1024;
  // Health/Watch streams open at once, over all callers (they cost no thread, but memory and a
  // write per posture change each); beyond them Watch is RESOURCE_EXHAUSTED.
  int max_health_watches = 16;
  // How often the health posture is probed (the store is read then, never per health call).
  absl::Duration posture_interval = absl::Seconds(1);
};

class ControlServer {
 public:
  // Takes ownership of the stores. INVALID_ARGUMENT on bad options (missing TLS material, bad
  // listen address), UNAVAILABLE if the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(const ServerOptions& options,
                                                              store::StorePtr store,
                                                              blob::BlobStorePtr blobs,
                                                              const common::Clock& clock);
  ~ControlServer();

  int port() const { return port_; }
  // The node's security posture, as last probed (at most `posture_interval` ago).
  Posture posture() const { return posture_->Current(); }
  // Wakes the change-feed watchers (WatchChanges) at once: for changes written by other nodes.
  // Thread-safe.
  void NotifyChanges() { notifier_.Notify(); }
  // Blocks until Shutdown.
  void Wait();
  // Stops accepting calls; open streams are cancelled after `grace`.
  void Shutdown(absl::Duration grace = absl::Seconds(2));

 private:
  ControlServer(const ServerOptions& options, store::StorePtr store, blob::BlobStorePtr blobs,
                const common::Clock& clock);
  // Reads the store: only the PostureMonitor calls it.
  Posture ProbePosture() const;

  const ServerOptions options_;
  store::StorePtr store_;
  blob::BlobStorePtr blobs_store_;
  blob::UploadBudget upload_budget_;
  blob::TransferGuard upload_guard_;
  blob::TransferGuard download_guard_;
  blob::BlobQuota blob_quota_;
  common::limits::RateLimiter limiter_;
  service::Authenticator auth_;
  service::ChangeNotifier notifier_;
  bool allow_cleartext_ = false;
  std::unique_ptr<service::UserServiceImpl> users_;
  std::unique_ptr<service::RoomServiceImpl> rooms_;
  std::unique_ptr<service::BrokerServiceImpl> broker_;
  std::unique_ptr<service::BlobServiceImpl> blobs_;
  std::unique_ptr<PostureMonitor> posture_;
  std::unique_ptr<HealthServiceImpl> health_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// True if `listen` (host:port) binds only loopback addresses.
bool IsLoopbackListen(const std::string& listen);

}  // namespace unibus::control::server

#endif  // UNIBUS_CONTROL_SERVER_CONTROL_SERVER_H_
