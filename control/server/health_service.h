// grpc.health.v1.Health for unibusd, reporting the node's security posture (posture.h; the names
// are listed in proto/grpc/health/v1/health.proto).
//
// Health calls need a TLS client certificate like every call, but no allowlist entry, so a
// monitor can use any self-signed Ed25519 certificate; they reveal nothing but the posture. Since
// anyone who reaches the port can make them, they cost the server little:
//  - answers come from the PostureMonitor's cached posture: no store read per call;
//  - both methods use gRPC's callback API, so no call (a Watch stream included) holds a server
//    thread: a stranger cannot starve allowlisted calls of threads;
//  - at most `max_watches` Watch streams are open at once, over all callers; beyond them Watch
//    ends at once with RESOURCE_EXHAUSTED;
//  - `admit` runs first on every call (unibusd: the per-key rate limit, which applies to keys on
//    no allowlist too) and its refusal is the call's status.
// A Watch stream sends the status at once, then again whenever it changes.
//
// Thread-safe. Borrows the monitor, which must outlive the service; the server must be shut down
// (every call done) before the service is destroyed.
#ifndef UNIBUS_CONTROL_SERVER_HEALTH_SERVICE_H_
#define UNIBUS_CONTROL_SERVER_HEALTH_SERVICE_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "control/server/posture.h"
#include "control/server/posture_monitor.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace unibus::control::server {

class HealthServiceImpl final : public grpc::health::v1::Health::CallbackService {
 public:
  using Admit = std::function<absl::Status(const grpc::CallbackServerContext& context)>;

  // Registers itself for the monitor's changes.
  HealthServiceImpl(PostureMonitor& posture, Admit admit, int max_watches);
  ~HealthServiceImpl() override;

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

  // Watch streams open now.
  int watches() const;

 private:
  class Watcher;

  grpc::health::v1::HealthCheckResponse::ServingStatus StatusOf(const std::string& service) const;
  // Sends every watcher its status if it changed (the monitor's callback).
  void PostureChanged();
  void Forget(Watcher* watcher);

  PostureMonitor& posture_;
  const Admit admit_;
  const int max_watches_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace unibus::control::server

#endif  // UNIBUS_CONTROL_SERVER_HEALTH_SERVICE_H_
