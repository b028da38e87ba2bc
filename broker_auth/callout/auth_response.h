// The reply to an authorization request: a response JWT signed by the callout issuer account,
// carrying either a user JWT for the peer account or an error; sealed to the server's xkey when
// the request was sealed. See shared/reference/auth_callout.md §3.
#ifndef UNIBUS_BROKER_AUTH_CALLOUT_AUTH_RESPONSE_H_
#define UNIBUS_BROKER_AUTH_CALLOUT_AUTH_RESPONSE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker_auth/callout/auth_request.h"
#include "broker_auth/callout/xkey.h"
#include "common/crypto/identity.h"

namespace unibus::broker_auth::callout {

struct Permissions {
  std::vector<std::string> pub_allow;
  std::vector<std::string> sub_allow;
};

// A user JWT for `request`'s connection, placed in `account`, expiring `ttl` from `now`.
std::string BuildUserJwt(const AuthRequest& request, const Permissions& permissions,
                         absl::string_view account, const common::Identity& issuer,
                         absl::Time now, absl::Duration ttl);

// The payload to publish on the request's reply subject: exactly one of `user_jwt` / `error`
// is non-empty. Sealed with `our_xkey` when the request was sealed (INVALID_ARGUMENT if it was
// and `our_xkey` is null).
absl::StatusOr<std::string> BuildResponse(const AuthRequest& request, absl::string_view user_jwt,
                                          absl::string_view error, const common::Identity& issuer,
                                          const CurveKey* our_xkey, absl::Time now);

}  // namespace unibus::broker_auth::callout

#endif  // UNIBUS_BROKER_AUTH_CALLOUT_AUTH_RESPONSE_H_
