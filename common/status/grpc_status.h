// The one converter from absl::Status to grpc::Status (the edge of every service).
#ifndef UNIBUS_COMMON_STATUS_GRPC_STATUS_H_
#define UNIBUS_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace unibus::common {

// Same code, same message. Callers make sure messages carry nothing internal.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The reverse, for clients.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace unibus::common

#endif  // UNIBUS_COMMON_STATUS_GRPC_STATUS_H_
