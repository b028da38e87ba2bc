// unibus-authd's keys, kept in its state directory (0700; files 0600):
//   service.id  the service identity (NATS user seed "SU…"): its gRPC client certificate for
//               unibusd's BrokerService, and its nkey user in the AUTH account
//   system.id   the system-account user that sends KICK requests ("SU…")
//   stream.id   the peer-account user that provisions the room-history stream ("SU…"); its
//               permissions reach only that stream's info/create/update API
//   feeds.id    the peer-account user that creates and deletes history consumers on members'
//               behalf ("SU…", broker_auth/feeds); state directories from before it existed
//               get it from the next `init`
//   issuer.nk   the callout issuer account seed ("SA…"): signs every user JWT
//   xkey.nk     the curve seed ("SX…") requests are sealed to
//   control.id  the CONTROL-account user unibusd connects with (its KV buckets and object
//               store in a cluster; "SU…"); state directories from before it existed get it
//               from the next `init`. unibus-authd itself never uses it: it belongs on unibusd's
//               hosts only (deploy/RUNBOOK.md)
//   control.pub its public nkey ("U…", not secret), written by `init` beside control.id: all
//               `nats-config` needs, so authd hosts can go without control.id
#ifndef UNIBUS_BROKER_AUTH_CLI_KEYS_H_
#define UNIBUS_BROKER_AUTH_CLI_KEYS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "broker_auth/callout/xkey.h"
#include "common/crypto/identity.h"

namespace unibus::broker_auth::cli {

struct AuthdKeys {
  common::Identity service;
  common::Identity system;
  common::Identity stream;
  common::Identity feeds;
  common::Identity issuer;
  callout::CurveKey xkey;
  // The CONTROL user's public nkey, from control.pub or else control.id; empty if neither.
  std::string control_public;
};

// Creates whichever keys are missing in `dir`; never replaces one.
absl::Status InitKeys(const std::string& dir);
// The first line of a secret file, trimmed. NOT_FOUND if it is missing, FAILED_PRECONDITION if
// group or others may read it.
absl::StatusOr<std::string> ReadSecretLine(const std::string& path);
// Writes a new secret file (0600) holding `text` and a newline; PERMISSION_DENIED if it exists.
absl::Status WriteSecret(const std::string& path, absl::string_view text);

// NOT_FOUND / INVALID_ARGUMENT / FAILED_PRECONDITION as Identity::Load, naming the file.
absl::StatusOr<AuthdKeys> LoadKeys(const std::string& dir);

}  // namespace unibus::broker_auth::cli

#endif  // UNIBUS_BROKER_AUTH_CLI_KEYS_H_
