// The shape of every unibus RPC handler: authorize the caller for a set of roles, run the body
// with the caller's record, convert the absl::Status at the edge.
#ifndef UNIBUS_CONTROL_SERVICE_CALL_H_
#define UNIBUS_CONTROL_SERVICE_CALL_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <utility>

#include "common/status/grpc_status.h"
#include "control/service/authenticator.h"

namespace unibus::control::service {

// `body` is callable as absl::Status(const v1::User& caller).
template <typename Body>
grpc::Status AuthorizedCall(Authenticator& auth, grpc::ServerContext* context, RoleSet roles,
                            Body&& body) {
  absl::StatusOr<v1::User> caller = auth.Authorize(*context, roles);
  if (!caller.ok()) return common::ToGrpcStatus(caller.status());
  return common::ToGrpcStatus(std::forward<Body>(body)(*caller));
}

}  // namespace unibus::control::service

#endif  // UNIBUS_CONTROL_SERVICE_CALL_H_
