// A destroyed Client is never called back: nats.c runs a connection's closed callback on its own
// thread after natsConnection_Close returned, so the library must not free what that callback
// uses before it ran.
//
// Fails if NatsLink's destructor returns before the closed callback of its last connection has
// run: NatsLink::OnClosed then locks the mutexes of a freed NatsLink (seen here as abseil's
// "ReaderUnlock ... Assertion failed" abort in most runs of 100 connect/destroy cycles; under
// --config=asan it would be a heap-use-after-free report).
#include <memory>

#include "absl/time/clock.h"
#include "broker_auth/testing/stack.h"
#include "client/testing/peers.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::client {
namespace {

using testing::NewPeer;
using testing::Peer;

TEST(ClientLifetimeTest, DestroyedClientsAreNotCalledBackAfterwards) {
  auto stack = broker_auth::testing::Stack::Start(control::testing::NewTempDir("lifetime"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  absl::StatusOr<Peer> alice = NewPeer(**stack, "alice");
  ASSERT_TRUE(alice.ok());
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<std::unique_ptr<Client>> c =
        testing::ConnectWhenAllowed(**stack, alice->identity);
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_TRUE((*c)->WhoAmI().ok());
    c->reset();
    absl::SleepFor(absl::Milliseconds(5));  // nats.c's callback thread runs meanwhile
  }
}

}  // namespace
}  // namespace unibus::client
