// The decision for one auth-callout request: verify it, decide from the grants cache, and build
// the reply. Pure logic (no NATS), so every rule is unit-tested.
//
//   request fails the server-side checks, or is already expired → no reply at all (nothing can be
//     trusted, or the server has stopped waiting: answering late only does harm)
//   client proof missing/bad, feed not live, identity unknown or revoked → an error reply
//   otherwise → a user JWT for the peer account with PermissionsFor(grants), exp = now + ttl,
//     and the connection is remembered for kicks.
//
// Thread-safe; does not own its collaborators.
#ifndef UNIBUS_BROKER_AUTH_SERVICE_AUTHORIZER_H_
#define UNIBUS_BROKER_AUTH_SERVICE_AUTHORIZER_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker_auth/callout/auth_request.h"
#include "broker_auth/callout/auth_response.h"
#include "broker_auth/callout/xkey.h"
#include "broker_auth/grants/grants_cache.h"
#include "common/crypto/identity.h"
#include "common/time/clock.h"

namespace unibus::broker_auth::service {

struct AuthorizerConfig {
  const common::Identity* issuer = nullptr;    // the callout issuer account key (required)
  const callout::CurveKey* xkey = nullptr;     // optional: requests must then be sealed
  std::string account = "UNIBUS";              // where peers are placed
  absl::Duration user_ttl = absl::Minutes(10);  // bounded lifetime of every user JWT
};

class Authorizer {
 public:
  Authorizer(AuthorizerConfig config, const grants::GrantsCache& cache,
             const common::Clock& clock)
      : config_(std::move(config)), cache_(cache), clock_(clock) {}

  // The payload to publish on the reply subject, or nullopt to send nothing.
  std::optional<std::string> Handle(absl::string_view payload,
                                    absl::string_view server_xkey_header);

 private:
  // The identity's permissions, or the reason (a message for the server log) to refuse it.
  absl::StatusOr<callout::Permissions> Decide(const callout::AuthRequest& request,
                                              std::string* sign_pub);

  const AuthorizerConfig config_;
  const grants::GrantsCache& cache_;
  const common::Clock& clock_;
};

}  // namespace unibus::broker_auth::service

#endif  // UNIBUS_BROKER_AUTH_SERVICE_AUTHORIZER_H_
