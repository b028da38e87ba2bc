#include "client/client.h"

#include "client/internal/client_impl.h"

namespace unibus::client {

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(common::Identity identity,
                                                        ClientOptions options) {
  return internal::ClientImpl::Connect(std::move(identity), std::move(options));
}

}  // namespace unibus::client
