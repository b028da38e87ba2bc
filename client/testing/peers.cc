#include "client/testing/peers.h"

#include "absl/time/clock.h"

namespace unibus::client::testing {

ClientOptions OptionsFor(const broker_auth::testing::Stack& stack, const std::string& state_dir) {
  ClientOptions o;
  o.control_urls = {stack.control().target()};
  o.ca_pem = stack.control().ca_pem();
  o.nats_urls = {stack.nats_url()};
  o.state_dir = state_dir;
  o.reconnect_wait = absl::Milliseconds(50);
  return o;
}

common::Identity Copy(const common::Identity& identity) {
  return *common::Identity::FromSeed(identity.seed().view());
}

absl::StatusOr<std::unique_ptr<Client>> ConnectWhenAllowed(const common::Identity& identity,
                                                           const ClientOptions& options) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (true) {
    absl::StatusOr<std::unique_ptr<Client>> c = Client::Connect(Copy(identity), options);
    if (c.ok() || absl::Now() > deadline) return c;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

absl::StatusOr<std::unique_ptr<Client>> ConnectWhenAllowed(const broker_auth::testing::Stack& stack,
                                                           const common::Identity& identity,
                                                           const std::string& state_dir) {
  return ConnectWhenAllowed(identity, OptionsFor(stack, state_dir));
}

absl::StatusOr<Peer> NewPeer(const broker_auth::testing::Stack& stack, const std::string& handle,
                             v1::Role role, const std::string& state_dir) {
  Peer peer{common::Identity::Generate(), nullptr};
  absl::StatusOr<v1::User> added = stack.control().AddUser(peer.identity, role, handle);
  if (!added.ok()) return added.status();
  absl::StatusOr<std::unique_ptr<Client>> c = ConnectWhenAllowed(stack, peer.identity, state_dir);
  if (!c.ok()) return c.status();
  peer.client = *std::move(c);
  return peer;
}

}  // namespace unibus::client::testing
