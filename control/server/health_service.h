// grpc.health.v1.Health for unibusd, reporting the node's security posture (the names are listed
// in proto/grpc/health/v1/health.proto). The posture is computed on every call, so a store that
// stops answering shows up at once.
//
// Health calls need a TLS client certificate like every call, but no allowlist entry, so a
// monitor can use any self-signed Ed25519 certificate; they reveal nothing but the posture.
// Thread-safe; the posture callback must be.
#ifndef UNIBUS_CONTROL_SERVER_HEALTH_SERVICE_H_
#define UNIBUS_CONTROL_SERVER_HEALTH_SERVICE_H_

#include <functional>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace unibus::control::server {

struct Posture {
  bool loopback_only = false;
  bool cleartext_rooms_allowed = false;
  bool store_ok = false;
  std::string store_backend;
  std::string blob_backend;
  // Clustered (the store and blobs live in JetStream); then unibusd talks to NATS, and that link
  // must be TLS or stay on loopback (`nats_link_secure`).
  bool cluster = false;
  bool nats_link_secure = true;
  // This node's name (--node_name), so a monitor sees which node answered.
  std::string node_name;

  // Sound: the store answers (in a cluster: JetStream has quorum), cleartext rooms are possible
  // only behind a loopback listener, and a cluster node's link to NATS is protected.
  bool ok() const {
    return store_ok && (!cleartext_rooms_allowed || loopback_only) && (!cluster || nats_link_secure);
  }
  // Service name → SERVING?
  std::map<std::string, bool> Statuses() const;
};

class HealthServiceImpl final : public grpc::health::v1::Health::Service {
 public:
  explicit HealthServiceImpl(std::function<Posture()> posture,
                             absl::Duration watch_poll = absl::Seconds(1))
      : posture_(std::move(posture)), watch_poll_(watch_poll) {}

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  grpc::health::v1::HealthCheckResponse::ServingStatus StatusOf(const std::string& service) const;

  const std::function<Posture()> posture_;
  const absl::Duration watch_poll_;
};

}  // namespace unibus::control::server

#endif  // UNIBUS_CONTROL_SERVER_HEALTH_SERVICE_H_
