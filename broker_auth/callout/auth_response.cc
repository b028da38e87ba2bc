#include "broker_auth/callout/auth_response.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "broker_auth/callout/jwt.h"
#include "common/crypto/hex.h"

namespace unibus::broker_auth::callout {
namespace {

using common::nkeys::KeyType;
using nlohmann::json;

std::string RandomJti() {
  common::InitSodium();
  std::string bytes(16, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return common::HexEncode(bytes);
}

}  // namespace

std::string BuildUserJwt(const AuthRequest& request, const Permissions& permissions,
                         absl::string_view account, const common::Identity& issuer,
                         absl::Time now, absl::Duration ttl) {
  json claims = {
      {"aud", std::string(account)},
      {"exp", absl::ToUnixSeconds(now + ttl)},
      {"iat", absl::ToUnixSeconds(now)},
      {"iss", NkeyOf(issuer, KeyType::kAccount)},
      {"jti", RandomJti()},
      {"name", request.client_nkey},
      {"sub", request.user_nkey},
      {"nats",
       {{"pub", {{"allow", permissions.pub_allow}}},
        {"sub", {{"allow", permissions.sub_allow}}},
        {"subs", -1},
        {"data", -1},
        {"payload", -1},
        {"type", "user"},
        {"version", 2}}},
  };
  return EncodeJwt(claims, issuer);
}

absl::StatusOr<std::string> BuildResponse(const AuthRequest& request, absl::string_view user_jwt,
                                          absl::string_view error, const common::Identity& issuer,
                                          const CurveKey* our_xkey, absl::Time now) {
  json nats = {{"type", "authorization_response"}, {"version", 2}};
  if (!user_jwt.empty()) {
    nats["jwt"] = std::string(user_jwt);
  } else {
    nats["error"] = std::string(error.empty() ? "not authorized" : error);
  }
  json claims = {
      {"aud", request.server_id}, {"iat", absl::ToUnixSeconds(now)},
      {"iss", NkeyOf(issuer, KeyType::kAccount)}, {"jti", RandomJti()},
      {"sub", request.user_nkey}, {"nats", nats},
  };
  std::string token = EncodeJwt(claims, issuer);
  if (request.server_xkey.empty()) return token;
  if (our_xkey == nullptr) return absl::InvalidArgumentError("cannot seal: no xkey configured");
  return our_xkey->Seal(token, request.server_xkey);
}

}  // namespace unibus::broker_auth::callout
