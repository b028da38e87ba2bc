#include "broker_auth/callout/auth_request.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "broker_auth/callout/base64url.h"
#include "broker_auth/callout/jwt.h"
#include "common/crypto/hex.h"
#include "common/crypto/identity.h"
#include "common/crypto/nkeys.h"

namespace unibus::broker_auth::callout {
namespace {

using common::nkeys::KeyType;
using nlohmann::json;

std::string StringAt(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& ObjectAt(const json& object, const char* key) {
  static const json* empty = new json(json::object());
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : *empty;
}

absl::StatusOr<std::string> OpenPayload(absl::string_view payload, absl::string_view header_xkey,
                                        const CurveKey* our_xkey) {
  if (header_xkey.empty()) {
    if (our_xkey != nullptr) return absl::InvalidArgumentError("request is not encrypted");
    return std::string(payload);
  }
  if (our_xkey == nullptr) return absl::InvalidArgumentError("request is encrypted, no xkey set");
  return our_xkey->Open(payload, header_xkey);
}

absl::Status CheckClaims(const json& claims, const json& nats, const std::string& server_id) {
  if (StringAt(claims, "aud") != "nats-authorization-request") {
    return absl::InvalidArgumentError("request audience is not nats-authorization-request");
  }
  if (StringAt(nats, "type") != "authorization_request") {
    return absl::InvalidArgumentError("not an authorization request");
  }
  if (server_id.empty() || StringAt(claims, "iss") != server_id) {
    return absl::InvalidArgumentError("request issuer is not the server it names");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<AuthRequest> ParseAuthRequest(absl::string_view payload,
                                             absl::string_view server_xkey_header,
                                             const CurveKey* our_xkey, absl::Time now) {
  absl::StatusOr<std::string> token = OpenPayload(payload, server_xkey_header, our_xkey);
  if (!token.ok()) return token.status();
  absl::StatusOr<json> claims = VerifyJwt(*token, KeyType::kServer, now);
  if (!claims.ok()) return claims.status();
  // The server stops waiting `timeout` after it sent the request and wrote exp = that instant in
  // whole seconds, rounded down: exp itself is the earliest the wait can end. An answer after it
  // may reach a server that gave up (on 2.10 a late answer can register a closed client).
  if (claims->contains("exp") && (*claims)["exp"].is_number_integer() &&
      now >= absl::FromUnixSeconds((*claims)["exp"].get<int64_t>()) - kAnswerMargin) {
    return absl::DeadlineExceededError("request too old to be answered in time");
  }
  const json& nats = ObjectAt(*claims, "nats");
  const json& server = ObjectAt(nats, "server_id");
  AuthRequest request;
  request.server_id = StringAt(server, "id");
  request.server_name = StringAt(server, "name");
  request.server_xkey = std::string(server_xkey_header);
  if (absl::Status s = CheckClaims(*claims, nats, request.server_id); !s.ok()) return s;
  if (!server_xkey_header.empty() && StringAt(server, "xkey") != server_xkey_header) {
    return absl::InvalidArgumentError("header xkey differs from the signed server xkey");
  }
  request.user_nkey = StringAt(nats, "user_nkey");
  if (!common::nkeys::DecodePublic(KeyType::kUser, request.user_nkey).ok()) {
    return absl::InvalidArgumentError("request user_nkey is not a user nkey");
  }
  const json& client = ObjectAt(nats, "client_info");
  const json& connect = ObjectAt(nats, "connect_opts");
  request.nonce = StringAt(client, "nonce");
  request.client_nkey = StringAt(connect, "nkey");
  request.client_sig = StringAt(connect, "sig");
  auto cid = client.find("id");
  if (cid != client.end() && cid->is_number_unsigned()) request.client_id = cid->get<uint64_t>();
  return request;
}

absl::StatusOr<std::string> VerifyClientProof(const AuthRequest& request) {
  if (request.nonce.empty()) {
    return absl::InvalidArgumentError("no nonce: the client did not sign one");
  }
  absl::StatusOr<std::string> key =
      common::nkeys::DecodePublic(KeyType::kUser, request.client_nkey);
  if (!key.ok()) return absl::InvalidArgumentError("client did not present a user nkey");
  std::optional<std::string> sig = Base64Decode(request.client_sig);
  if (!sig.has_value() || !common::VerifySignature(*key, request.nonce, *sig)) {
    return absl::UnauthenticatedError("client nonce signature does not verify");
  }
  return common::HexEncode(*key);
}

}  // namespace unibus::broker_auth::callout
