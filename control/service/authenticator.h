// Who is calling: the Ed25519 key of the caller's TLS client certificate, looked up in the
// allowlist on every call (so a revocation applies to the very next call, without a restart).
//
// Thread-safe. Does not own the store, the limiter or the clock.
//
// Authorize returns the caller's user record, or:
//   UNAUTHENTICATED    no certificate key, a key that is not Ed25519, or a key not on the allowlist
//   PERMISSION_DENIED  revoked, or a role outside `allowed`
//   RESOURCE_EXHAUSTED over the per-identity rate limit, which applies to every key (also keys not
//                      on the allowlist, before the store is read) except active service
//                      identities (unibus-authd): their calls follow bursts of changes that
//                      members cause, and refusing them would lock users out of NATS.
//   UNAVAILABLE        the store cannot answer (never treated as "allowed")
#ifndef UNIBUS_CONTROL_SERVICE_AUTHENTICATOR_H_
#define UNIBUS_CONTROL_SERVICE_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

#include <functional>
#include <initializer_list>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/limits/rate_limiter.h"
#include "control/store/store.h"
#include "unibus/v1/users.pb.h"

namespace unibus::control::service {

using RoleSet = std::initializer_list<v1::Role>;

inline constexpr RoleSet kAnyRole = {v1::ROLE_ADMIN, v1::ROLE_MEMBER, v1::ROLE_SERVICE};
inline constexpr RoleSet kPeerRoles = {v1::ROLE_ADMIN, v1::ROLE_MEMBER};
inline constexpr RoleSet kAdminOnly = {v1::ROLE_ADMIN};
inline constexpr RoleSet kServiceOnly = {v1::ROLE_SERVICE};

class Authenticator {
 public:
  Authenticator(store::Store& store, common::limits::RateLimiter& limiter)
      : store_(store), limiter_(limiter) {}

  absl::StatusOr<v1::User> Authorize(const grpc::ServerContext& context, RoleSet allowed);

  // `fn` runs (on the calling thread) whenever the store cannot answer a key lookup, so that the
  // health posture shows it at once. REQUIRES: set before the first call; must not block.
  void OnStoreUnavailable(std::function<void()> fn) { on_store_unavailable_ = std::move(fn); }

  // For calls open to every certificate (grpc.health.v1): OK, or UNAUTHENTICATED (no Ed25519
  // certificate key) / RESOURCE_EXHAUSTED (the key's rate limit, as in Authorize). Reads no store.
  absl::Status Throttle(const grpc::ServerContextBase& context);

 private:
  // Hex key of the certificate; parsed certificates are cached (bounded).
  absl::StatusOr<std::string> CallerKey(const grpc::ServerContextBase& context);
  // False if `key` is over its rate limit and not exempt.
  bool WithinRate(const std::string& key);
  // Whether `key` was an active service identity when its user record was last read.
  bool IsKnownService(const std::string& key);
  // Remembers what the store said about `key` (only an answer counts, not a store failure).
  void NoteUser(const std::string& key, const absl::StatusOr<v1::User>& user);

  store::Store& store_;
  common::limits::RateLimiter& limiter_;
  std::function<void()> on_store_unavailable_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> key_by_pem_ ABSL_GUARDED_BY(mu_);
  // Keys exempt from the rate limiter: as many as the admins made service identities. The user
  // record is still read on every call, so a revoked service is refused at its next call and
  // loses the exemption with it.
  absl::flat_hash_set<std::string> services_ ABSL_GUARDED_BY(mu_);
};

}  // namespace unibus::control::service

#endif  // UNIBUS_CONTROL_SERVICE_AUTHENTICATOR_H_
