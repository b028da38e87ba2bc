// Test helper: one unary call with a deadline, so a test never hangs.
#ifndef UNIBUS_CONTROL_TESTING_RPC_H_
#define UNIBUS_CONTROL_TESTING_RPC_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>

namespace unibus::control::testing {

template <typename Stub, typename Request, typename Response>
grpc::Status Call(Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const Request& request, Response* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return (stub.*method)(&context, request, response);
}

// The same, discarding the response.
template <typename Stub, typename Request, typename Response>
grpc::StatusCode CodeOf(Stub& stub,
                        grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                     Response*),
                        const Request& request) {
  Response response;
  return Call(stub, method, request, &response).error_code();
}

}  // namespace unibus::control::testing

#endif  // UNIBUS_CONTROL_TESTING_RPC_H_
