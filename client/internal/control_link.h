// The client's gRPC channels to unibusd: mTLS with the identity's self-signed certificate and
// the pinned CA, one channel per control URL. Call() runs an RPC on the current channel and,
// when that server is unavailable, moves on to the next URL (failover) and tries again.
// CallWithTimeout() does the same with a deadline of the caller's choosing (blob transfers,
// whose deadline grows with their size).
//
// Thread-safe.
#ifndef UNIBUS_CLIENT_INTERNAL_CONTROL_LINK_H_
#define UNIBUS_CLIENT_INTERNAL_CONTROL_LINK_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/crypto/identity.h"
#include "common/status/grpc_status.h"
#include "unibus/v1/blobs.grpc.pb.h"
#include "unibus/v1/rooms.grpc.pb.h"
#include "unibus/v1/users.grpc.pb.h"

namespace unibus::client::internal {

class ControlLink {
 public:
  // INVALID_ARGUMENT without URLs or CA.
  static absl::StatusOr<std::unique_ptr<ControlLink>> Create(const common::Identity& identity,
                                                             const std::vector<std::string>& urls,
                                                             const std::string& ca_pem,
                                                             absl::Duration timeout);

  // Runs `rpc(stubs, context)` (returning grpc::Status) with the deadline, failing over on
  // UNAVAILABLE. Returns the call's status as absl::Status.
  template <typename Rpc>
  absl::Status Call(Rpc rpc) {
    return CallWithTimeout(timeout_, [&rpc](Endpoint& endpoint, grpc::ClientContext& context) {
      return common::FromGrpcStatus(rpc(endpoint, context));
    });
  }

  // Runs `rpc(stubs, context)` (returning absl::Status, so that a streaming call can report
  // what it found wrong in the stream itself) with a deadline of `timeout` from the start of
  // each attempt (InfiniteDuration: none), failing over on UNAVAILABLE. Every attempt starts
  // the call over in a fresh context, so `rpc` must be safe to repeat from the beginning.
  template <typename Rpc>
  absl::Status CallWithTimeout(absl::Duration timeout, Rpc rpc) {
    absl::Status last;
    size_t start = current_.load();
    for (size_t i = 0; i < endpoints_.size(); ++i) {
      size_t index = (start + i) % endpoints_.size();
      grpc::ClientContext context;
      if (timeout != absl::InfiniteDuration()) {
        context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoMilliseconds(timeout));
      }
      last = rpc(*endpoints_[index], context);
      if (last.code() != absl::StatusCode::kUnavailable) {
        current_.store(index);
        return last;
      }
    }
    return last;
  }

  struct Endpoint {
    std::unique_ptr<v1::UserService::Stub> users;
    std::unique_ptr<v1::RoomService::Stub> rooms;
    std::unique_ptr<v1::BlobService::Stub> blobs;
  };

 private:
  ControlLink(std::vector<std::unique_ptr<Endpoint>> endpoints, absl::Duration timeout)
      : endpoints_(std::move(endpoints)), timeout_(timeout) {}
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  absl::Duration timeout_;
  std::atomic<size_t> current_{0};
};

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_CONTROL_LINK_H_
