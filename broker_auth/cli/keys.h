// unibus-authd's keys, kept in its state directory (0700; files 0600):
//   service.id  the service identity (NATS user seed "SU…"): its gRPC client certificate for
//               unibusd's BrokerService, and its nkey user in the AUTH account
//   system.id   the system-account user that sends KICK requests ("SU…")
//   stream.id   the peer-account user that provisions the room-history stream ("SU…"); its
//               permissions reach only that stream's info/create/update API
//   issuer.nk   the callout issuer account seed ("SA…"): signs every user JWT
//   xkey.nk     the curve seed ("SX…") requests are sealed to
#ifndef UNIBUS_BROKER_AUTH_CLI_KEYS_H_
#define UNIBUS_BROKER_AUTH_CLI_KEYS_H_

#include <string>

#include "absl/status/statusor.h"
#include "broker_auth/callout/xkey.h"
#include "common/crypto/identity.h"

namespace unibus::broker_auth::cli {

struct AuthdKeys {
  common::Identity service;
  common::Identity system;
  common::Identity stream;
  common::Identity issuer;
  callout::CurveKey xkey;
};

// Creates whichever keys are missing in `dir`; never replaces one.
absl::Status InitKeys(const std::string& dir);
// NOT_FOUND / INVALID_ARGUMENT / FAILED_PRECONDITION as Identity::Load, naming the file.
absl::StatusOr<AuthdKeys> LoadKeys(const std::string& dir);

}  // namespace unibus::broker_auth::cli

#endif  // UNIBUS_BROKER_AUTH_CLI_KEYS_H_
