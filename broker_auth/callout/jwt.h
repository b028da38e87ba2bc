// NATS JWTs: header {"typ":"JWT","alg":"ed25519-nkey"}, claims as JSON, Ed25519 signature by the
// issuer's nkey over the ASCII bytes "b64(header).b64(claims)", every part base64url unpadded.
//
// Thread-safe (no state).
#ifndef UNIBUS_BROKER_AUTH_CALLOUT_JWT_H_
#define UNIBUS_BROKER_AUTH_CALLOUT_JWT_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/identity.h"
#include "common/crypto/nkeys.h"

namespace unibus::broker_auth::callout {

// Signs `claims` with `issuer` (whose public key, as an nkey, must already be the claims' "iss").
// Adds nothing: the caller builds every claim.
std::string EncodeJwt(const nlohmann::json& claims, const common::Identity& issuer);

// Verifies a JWT and returns its claims:
//   - three parts, header typ "JWT" (any case) and alg "ed25519-nkey" (or legacy "ed25519");
//   - claims "iss" is an nkey of `issuer_type` and the signature verifies with it;
//   - "exp", when present and non-zero, is not before `now`; "nbf", when present, is not after
//     `now`; both must be integers when present.
// INVALID_ARGUMENT for malformed tokens, UNAUTHENTICATED for a bad signature,
// DEADLINE_EXCEEDED for an expired one.
absl::StatusOr<nlohmann::json> VerifyJwt(absl::string_view token,
                                         common::nkeys::KeyType issuer_type, absl::Time now);

// The account/server/... nkey text of an identity's public key.
std::string NkeyOf(const common::Identity& key, common::nkeys::KeyType type);

}  // namespace unibus::broker_auth::callout

#endif  // UNIBUS_BROKER_AUTH_CALLOUT_JWT_H_
