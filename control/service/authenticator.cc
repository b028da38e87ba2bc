#include "control/service/authenticator.h"

#include <grpcpp/security/auth_context.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/cert.h"
#include "common/crypto/hex.h"

namespace unibus::control::service {
namespace {

constexpr size_t kMaxCachedCertificates = 10000;

const char* RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_ADMIN:
      return "admin";
    case v1::ROLE_MEMBER:
      return "member";
    case v1::ROLE_SERVICE:
      return "service";
    default:
      return "unknown";
  }
}

}  // namespace

absl::StatusOr<std::string> Authenticator::CallerKey(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  std::vector<grpc::string_ref> pems =
      auth ? auth->FindPropertyValues("x509_pem_cert") : std::vector<grpc::string_ref>{};
  if (pems.empty()) return absl::UnauthenticatedError("a client certificate is required");
  std::string pem(pems.front().data(), pems.front().size());
  {
    absl::MutexLock lock(&mu_);
    auto it = key_by_pem_.find(pem);
    if (it != key_by_pem_.end()) return it->second;
  }
  absl::StatusOr<std::string> raw = common::Ed25519KeyOfCertificate(pem);
  if (!raw.ok()) {
    return absl::UnauthenticatedError("the client certificate's key must be Ed25519");
  }
  std::string hex = common::HexEncode(*raw);
  absl::MutexLock lock(&mu_);
  if (key_by_pem_.size() >= kMaxCachedCertificates) key_by_pem_.clear();
  key_by_pem_.emplace(std::move(pem), hex);
  return hex;
}

absl::Status Authenticator::Throttle(const grpc::ServerContextBase& context) {
  absl::StatusOr<std::string> key = CallerKey(context);
  if (!key.ok()) return key.status();
  if (!WithinRate(*key)) {
    return absl::ResourceExhaustedError("rate limit exceeded; slow down and retry");
  }
  return absl::OkStatus();
}

bool Authenticator::WithinRate(const std::string& key) {
  return limiter_.Allow(key) || IsKnownService(key);
}

bool Authenticator::IsKnownService(const std::string& key) {
  absl::MutexLock lock(&mu_);
  return services_.contains(key);
}

void Authenticator::NoteUser(const std::string& key, const absl::StatusOr<v1::User>& user) {
  if (!user.ok() && !absl::IsNotFound(user.status())) return;
  const bool service = user.ok() && user->status() == v1::USER_STATUS_ACTIVE &&
                       user->role() == v1::ROLE_SERVICE;
  absl::MutexLock lock(&mu_);
  if (service) {
    services_.insert(key);
  } else {
    services_.erase(key);
  }
}

absl::StatusOr<v1::User> Authenticator::Authorize(const grpc::ServerContext& context,
                                                  RoleSet allowed) {
  absl::StatusOr<std::string> key = CallerKey(context);
  if (!key.ok()) return key.status();
  // Limited before the store is read, so unknown keys cost no store reads beyond their budget.
  if (!WithinRate(*key)) {
    return absl::ResourceExhaustedError("rate limit exceeded; slow down and retry");
  }
  absl::StatusOr<v1::User> user = store_.GetUser(*key);
  NoteUser(*key, user);
  if (absl::IsNotFound(user.status())) {
    return absl::UnauthenticatedError("this key is not on the allowlist");
  }
  if (!user.ok()) {
    if (on_store_unavailable_) on_store_unavailable_();
    return absl::UnavailableError("the control plane cannot check keys right now");
  }
  if (user->status() != v1::USER_STATUS_ACTIVE) {
    return absl::PermissionDeniedError("this key has been revoked");
  }
  if (std::find(allowed.begin(), allowed.end(), user->role()) == allowed.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("role ", RoleName(user->role()), " may not call this method"));
  }
  return user;
}

}  // namespace unibus::control::service
