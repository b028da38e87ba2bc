// One nats-server authorization request, verified (see DESIGN.md §5 and
// shared/reference/auth_callout.md §2):
//   - sealed payloads (header Nats-Server-Xkey) are opened with our curve key; when we hold a
//     curve key, unsealed requests are refused, and the header must match the signed server xkey;
//   - the JWT is signed by the server key in "iss", iss == nats.server_id.id,
//     aud == "nats-authorization-request", not expired, nats.type "authorization_request";
// and, separately (VerifyClientProof), that the client proved its nkey: a non-empty nonce, and
// connect_opts.sig verifies over the nonce string with connect_opts.nkey (the server does not
// check it for nkeys it does not know, so we must).
#ifndef UNIBUS_BROKER_AUTH_CALLOUT_AUTH_REQUEST_H_
#define UNIBUS_BROKER_AUTH_CALLOUT_AUTH_REQUEST_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker_auth/callout/xkey.h"

namespace unibus::broker_auth::callout {

struct AuthRequest {
  std::string server_id;    // "N…": the response's audience
  std::string server_name;
  std::string server_xkey;  // "X…" when the request was sealed; the response is sealed to it
  std::string user_nkey;    // fresh "U…" per request: subject of the response and the user JWT
  uint64_t client_id = 0;   // the connection's cid on that server (for KICK)
  std::string client_nkey;  // connect_opts.nkey: the client's own "U…" (unverified)
  std::string nonce;        // client_info.nonce
  std::string client_sig;   // connect_opts.sig, as sent
};

// A request is answered only up to this long before its `exp` (see ParseAuthRequest).
inline constexpr absl::Duration kAnswerMargin = absl::Milliseconds(250);

// Server-side checks. `our_xkey` may be null (no encryption configured). Codes:
// INVALID_ARGUMENT (malformed, wrong audience/type/issuer), UNAUTHENTICATED (the server signature
// does not verify, or the box does not open), DEADLINE_EXCEEDED (expired, or less than
// kAnswerMargin before its exp: the server may stop waiting at exp).
absl::StatusOr<AuthRequest> ParseAuthRequest(absl::string_view payload,
                                             absl::string_view server_xkey_header,
                                             const CurveKey* our_xkey, absl::Time now);

// The client's proof of possession. Returns its identity as 64 hex. INVALID_ARGUMENT (no nonce,
// no user nkey), UNAUTHENTICATED (bad signature).
absl::StatusOr<std::string> VerifyClientProof(const AuthRequest& request);

}  // namespace unibus::broker_auth::callout

#endif  // UNIBUS_BROKER_AUTH_CALLOUT_AUTH_REQUEST_H_
