// unibus-authd's subcommands; each returns a process exit code (0 ok, 1 failure, 2 usage) and
// writes human messages to stderr.
#ifndef UNIBUS_BROKER_AUTH_CLI_COMMANDS_H_
#define UNIBUS_BROKER_AUTH_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "broker_auth/config/nats_config.h"
#include "broker_auth/stream/room_stream.h"

namespace unibus::broker_auth::cli {

// Creates the keys in `state_dir` that are missing; prints the service identity's public keys
// (to register it with unibusd as a service) and the NATS public keys.
int Init(const std::string& state_dir);

struct NatsConfigFlags {
  config::NatsConfigParams params;  // the keys are filled in from the state directory
  config::ClusterParams cluster;    // all empty: a single node; route_secret comes from the file
  std::string route_secret_file;    // 0600, one line (see RouteSecret)
  std::string out_file;             // empty: stdout; a cluster config is written 0600
};

// Prints (or writes to flags.out_file) the nats-server config for the keys in `state_dir`.
// Usage error (2) for partial cluster settings, naming what is missing.
int NatsConfig(const std::string& state_dir, const NatsConfigFlags& flags);

// Issues this node's nats-server route certificate (ECDSA P-256, serverAuth + clientAuth, SAN
// `hosts`) from the CA in `ca_dir` (ca.pem, ca.key, as `unibusd dev-certs` writes them) into
// `out_dir`/route.pem and route.key (0600). Keeps existing ones.
int RouteCert(const std::string& ca_dir, const std::vector<std::string>& hosts,
              const std::string& out_dir);

// Writes a new random route secret (32 bytes as 64 hex digits, URL-safe) to `out_file`, 0600.
// Keeps an existing one.
int RouteSecret(const std::string& out_file);

struct ServeFlags {
  std::string state_dir;
  std::string nats_urls;     // comma-separated
  std::string nats_ca_file;  // optional: CA of the nats-servers' TLS listeners (requires TLS)
  std::string control;       // unibusd host:port, or several comma-separated
  std::string ca_file;       // CA of unibusd's certificate
  std::string nats_config;   // optional: refuse to serve if this config breaks the rules
  std::string ready_file;    // optional: written once requests are being answered
  int workers = 4;
  absl::Duration user_ttl = absl::Minutes(10);
  stream::RoomStreamLimits history;  // of the room-history stream it provisions
  size_t feeds_per_identity = 1024;  // history feeds one identity may hold at once
};

// Provisions the room-history stream, then answers auth-callout requests until SIGINT/SIGTERM.
int Serve(const ServeFlags& flags);

}  // namespace unibus::broker_auth::cli

#endif  // UNIBUS_BROKER_AUTH_CLI_COMMANDS_H_
