// The nats-server configuration unibus runs with, generated (never hand-written), and the
// hygiene rules unibus-authd checks before it serves (DESIGN.md §4-5):
//   - accounts AUTH (unibus-authd's nkey user: an nkey user must exist so INFO carries a nonce),
//     UNIBUS (every peer; JetStream enabled; one static user that may only provision the
//     room-history stream), SYS (system account; unibus-authd's kick user); the static users
//     bypass the callout (auth_users), every other connection goes through it;
//   - no no_auth_user (on 2.10 a PING before CONNECT would skip the callout);
//   - authorization.timeout a plain number (a string like "2s" silently becomes 1 s);
//   - the monitoring endpoint, when on, bound to loopback only (debug/trace logging never set);
//   - account CONTROL (JetStream enabled; one nkey user, unibusd's, bypassing the callout) holds
//     the control plane's KV buckets and object store, out of every peer's reach;
//   - in a cluster: routes only over mutual TLS (verify: true) and with a route secret
//     (cluster authorization), explicit routes, no_advertise, a unique server_name. There is no
//     insecure cluster mode: partial cluster settings are refused, and so is a config whose
//     cluster block lacks route TLS or the secret.
#ifndef UNIBUS_BROKER_AUTH_CONFIG_NATS_CONFIG_H_
#define UNIBUS_BROKER_AUTH_CONFIG_NATS_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace unibus::broker_auth::config {

// The cluster part of a node's config. All or nothing: a node is either single or clustered
// with every field below set.
struct ClusterParams {
  std::string name;                 // cluster name, the same on every node
  std::string host = "127.0.0.1";   // where routes are accepted
  int port = 0;                     // route port
  std::vector<std::string> routes;  // "host:port" of the other nodes (own address is ignored)
  std::string cert_file;            // this node's route certificate (serverAuth + clientAuth)
  std::string key_file;
  std::string ca_file;              // the CA every node's route certificate chains to
  std::string route_user = "unibus-route";
  std::string route_secret;         // the shared route password (URL-safe characters only)
};

struct NatsConfigParams {
  std::string server_name = "unibus-1";
  std::string host = "127.0.0.1";
  int port = 4222;              // -1: any free port (see ports_file_dir)
  int monitor_port = 0;         // 0: no monitoring endpoint; else on 127.0.0.1 only
  std::string jetstream_dir;    // required
  std::string ports_file_dir;   // optional: nats-server writes its ports there
  std::string authd_user;       // "U…", account AUTH
  std::string system_user;      // "U…", account SYS
  std::string stream_user;      // "U…", account UNIBUS: provisions the room-history stream only
  std::string feeds_user;       // "U…", account UNIBUS: history consumers for members only
  std::string control_user;     // "U…", account CONTROL: unibusd's KV and object store
  // Bounds of the peer account's JetStream: its streams (UB_ROOMS only) and consumers.
  int64_t peer_max_consumers = 100000;
  std::string issuer_account;   // "A…": signs every user JWT
  std::string xkey;             // "X…": requests are sealed to it (optional, recommended)
  int timeout_seconds = 2;
  int64_t jetstream_max_memory = 0;  // bytes; 0: nats-server's default
  int64_t jetstream_max_file = 0;    // bytes; 0: nats-server's default
  std::string tls_cert_file;    // optional, with tls_key_file: clients must use TLS
  std::string tls_key_file;
  bool clustered = false;       // true: `cluster` is complete and rendered
  ClusterParams cluster;
};

// Fills params->cluster from the flag values of `nats-config`; all empty (and port 0) means a
// single node. INVALID_ARGUMENT naming what is missing when only some are given, or when a route
// is not "host:port".
absl::Status SetCluster(NatsConfigParams* params, const ClusterParams& cluster);

// INVALID_ARGUMENT if a required key is missing or not of the right kind.
absl::Status ValidateParams(const NatsConfigParams& params);
std::string RenderNatsConfig(const NatsConfigParams& params);

// Checks a config text against the hygiene rules above. FAILED_PRECONDITION naming the rule
// ("cluster routes need mutual TLS and a route secret" for a cluster block without them).
absl::Status CheckNatsConfig(absl::string_view text);

}  // namespace unibus::broker_auth::config

#endif  // UNIBUS_BROKER_AUTH_CONFIG_NATS_CONFIG_H_
