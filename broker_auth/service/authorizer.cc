#include "broker_auth/service/authorizer.h"

#include <iostream>

#include "broker_auth/policy/permissions.h"

namespace unibus::broker_auth::service {

absl::StatusOr<callout::Permissions> Authorizer::Decide(const callout::AuthRequest& request,
                                                        std::string* sign_pub) {
  absl::StatusOr<std::string> key = callout::VerifyClientProof(request);
  if (!key.ok()) return key.status();
  *sign_pub = *key;
  if (!cache_.live()) {
    return absl::UnavailableError("authorization unavailable: control plane feed is down");
  }
  std::optional<v1::Grants> grants = cache_.Find(*key);
  if (!grants.has_value()) return absl::PermissionDeniedError("identity is not on the allowlist");
  if (!grants->active()) return absl::PermissionDeniedError("identity has been revoked");
  return policy::PermissionsFor(*grants);
}

std::optional<std::string> Authorizer::Handle(absl::string_view payload,
                                              absl::string_view server_xkey_header) {
  absl::Time now = clock_.Now();
  absl::StatusOr<callout::AuthRequest> request =
      callout::ParseAuthRequest(payload, server_xkey_header, config_.xkey, now);
  if (!request.ok()) {
    std::cerr << "unibus-authd: dropped a request: " << request.status().message() << "\n";
    return std::nullopt;
  }
  std::string sign_pub;
  absl::StatusOr<callout::Permissions> permissions = Decide(*request, &sign_pub);
  std::string user_jwt;
  if (permissions.ok()) {
    user_jwt = callout::BuildUserJwt(*request, *permissions, config_.account, *config_.issuer,
                                     now, config_.user_ttl);
  } else {
    std::cerr << "unibus-authd: refused " << (sign_pub.empty() ? "a client" : sign_pub) << " on "
              << request->server_name << ": " << permissions.status().message() << "\n";
  }
  absl::StatusOr<std::string> reply = callout::BuildResponse(
      *request, user_jwt, permissions.ok() ? "" : std::string(permissions.status().message()),
      *config_.issuer, config_.xkey, now);
  if (!reply.ok()) return std::nullopt;
  return *std::move(reply);
}

}  // namespace unibus::broker_auth::service
