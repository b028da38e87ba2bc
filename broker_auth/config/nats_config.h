// The nats-server configuration unibus runs with, generated (never hand-written), and the
// hygiene rules unibus-authd checks before it serves (DESIGN.md §4-5):
//   - accounts AUTH (unibus-authd's nkey user: an nkey user must exist so INFO carries a nonce),
//     UNIBUS (every peer; JetStream enabled; one static user that may only provision the
//     room-history stream), SYS (system account; unibus-authd's kick user); the static users
//     bypass the callout (auth_users), every other connection goes through it;
//   - no no_auth_user (on 2.10 a PING before CONNECT would skip the callout);
//   - authorization.timeout a plain number (a string like "2s" silently becomes 1 s);
//   - the monitoring endpoint, when on, bound to loopback only.
#ifndef UNIBUS_BROKER_AUTH_CONFIG_NATS_CONFIG_H_
#define UNIBUS_BROKER_AUTH_CONFIG_NATS_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace unibus::broker_auth::config {

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
  std::string issuer_account;   // "A…": signs every user JWT
  std::string xkey;             // "X…": requests are sealed to it (optional, recommended)
  int timeout_seconds = 2;
};

// INVALID_ARGUMENT if a required key is missing or not of the right kind.
absl::Status ValidateParams(const NatsConfigParams& params);
std::string RenderNatsConfig(const NatsConfigParams& params);

// Checks a config text against the hygiene rules above. FAILED_PRECONDITION naming the rule.
absl::Status CheckNatsConfig(absl::string_view text);

}  // namespace unibus::broker_auth::config

#endif  // UNIBUS_BROKER_AUTH_CONFIG_NATS_CONFIG_H_
