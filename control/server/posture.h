// A unibusd node's security posture, as grpc.health.v1.Health reports it (the names are listed
// in proto/grpc/health/v1/health.proto). Plain data; no I/O.
#ifndef UNIBUS_CONTROL_SERVER_POSTURE_H_
#define UNIBUS_CONTROL_SERVER_POSTURE_H_

#include <map>
#include <string>

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

}  // namespace unibus::control::server

#endif  // UNIBUS_CONTROL_SERVER_POSTURE_H_
