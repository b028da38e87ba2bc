// The one place that turns an error of the client library or the control plane into what the
// user reads: an exit code (exit_code.h) and a message that says what failed and what to do.
//
//   NOT_FOUND          "not a member of room R (or it does not exist)", "no user U", ...
//   UNAUTHENTICATED    "this identity is not on the allowlist (ask an admin to run
//                       `unibus user add SIGN_PUB KEX_PUB --handle NAME`)"
//   PERMISSION_DENIED  "this identity has been revoked", or what was not allowed
//   UNAVAILABLE,       "cannot reach unibusd at HOST:PORT" / "cannot reach nats-server at URL"
//   DEADLINE_EXCEEDED
//
// Thread safety: a pure function.
#ifndef UNIBUS_CLIENT_CLI_ERRORS_H_
#define UNIBUS_CLIENT_CLI_ERRORS_H_

#include <string>

#include "absl/status/status.h"

namespace unibus::client::cli {

// What the command was doing, so that a message can name it.
struct ErrorScope {
  std::string control;       // unibusd address(es) as configured, e.g. "127.0.0.1:7443"
  std::string nats;          // nats-server URL(s) as configured
  std::string room;          // the ROOM argument as typed, if the command is about one room
  std::string user;          // the USER argument as typed, if the command is about one user
  std::string sign_pub_hex;  // the identity in use (for "not on the allowlist")
  std::string kex_pub_hex;
};

struct Explained {
  int exit_code;
  std::string message;  // without the "unibus: " prefix
};

// REQUIRES: !status.ok().
Explained Explain(const absl::Status& status, const ErrorScope& scope);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_ERRORS_H_
