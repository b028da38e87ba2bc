// Test helpers: libunibus clients of fresh identities on a real single-node stack
// (broker_auth/testing/stack.h: nats-server, unibus-authd, unibusd).
#ifndef UNIBUS_CLIENT_TESTING_PEERS_H_
#define UNIBUS_CLIENT_TESTING_PEERS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "broker_auth/testing/stack.h"
#include "client/client.h"

namespace unibus::client::testing {

// Options pointing at `stack` (state_dir as given).
ClientOptions OptionsFor(const broker_auth::testing::Stack& stack, const std::string& state_dir = "");

// A copy of an identity (the seed is the identity).
common::Identity Copy(const common::Identity& identity);

// Connects `identity`, retrying for a few seconds while the stack's authd learns of a user that
// was just added (its change feed trails AddUser by a moment).
absl::StatusOr<std::unique_ptr<Client>> ConnectWhenAllowed(const broker_auth::testing::Stack& stack,
                                                           const common::Identity& identity,
                                                           const std::string& state_dir = "");

// The same with explicit options.
absl::StatusOr<std::unique_ptr<Client>> ConnectWhenAllowed(const common::Identity& identity,
                                                           const ClientOptions& options);

// Adds a fresh identity with `role` to the allowlist and connects it.
struct Peer {
  common::Identity identity;
  std::unique_ptr<Client> client;
};
absl::StatusOr<Peer> NewPeer(const broker_auth::testing::Stack& stack, const std::string& handle,
                             v1::Role role = v1::ROLE_MEMBER, const std::string& state_dir = "");

}  // namespace unibus::client::testing

#endif  // UNIBUS_CLIENT_TESTING_PEERS_H_
