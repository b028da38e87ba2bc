// Several unibus-authd instances in one queue group: nats-server's request reaches exactly one
// of them, either can answer alone, and a revocation closes the connection whichever instance
// authorized it (each kicks the connections it remembers).
#include <atomic>

#include "absl/synchronization/notification.h"
#include "broker_auth/integration/peer_helpers.h"
#include "broker_auth/testing/stack.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth {
namespace {

constexpr int kConnects = 20;

struct ClosedCounter {
  int expected = 0;
  std::atomic<int> closed{0};
  absl::Notification all_closed;
};

void OnClosed(natsConnection*, void* closure) {
  auto* counter = static_cast<ClosedCounter*>(closure);
  if (counter->closed.fetch_add(1) + 1 == counter->expected) counter->all_closed.Notify();
}

// `kConnects` fresh connections of `id` in a row; returns how many were accepted.
int ConnectRepeatedly(const testing::Stack& stack, const common::Identity& id) {
  int accepted = 0;
  for (int i = 0; i < kConnects; ++i) accepted += stack.ConnectPeer(id).ok() ? 1 : 0;
  return accepted;
}

TEST(QueueGroupTest, EitherInstanceAnswersAloneAndBothTogetherAnswerEveryConnect) {
  auto stack = testing::Stack::Start(control::testing::NewTempDir("queue-group"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  common::Identity alice = common::Identity::Generate();
  ASSERT_TRUE((*stack)->control().AddUser(alice, v1::ROLE_MEMBER, "alice").ok());
  ASSERT_TRUE(integration::WaitUntilConnectAccepted(**stack, alice).ok());
  // The second instance loads alice with its first full load.
  ASSERT_TRUE((*stack)->StartAuthd(1).ok());
  EXPECT_EQ(ConnectRepeatedly(**stack, alice), kConnects);
  (*stack)->StopAuthd(0);
  EXPECT_EQ(ConnectRepeatedly(**stack, alice), kConnects) << "instance 1 alone";
  ASSERT_TRUE((*stack)->StartAuthd(0).ok());
  (*stack)->StopAuthd(1);
  EXPECT_EQ(ConnectRepeatedly(**stack, alice), kConnects) << "instance 0 alone";
}

TEST(QueueGroupTest, RevocationClosesConnectionsAuthorizedByEitherInstance) {
  auto stack = testing::Stack::Start(control::testing::NewTempDir("queue-group-revoke"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  common::Identity bob = common::Identity::Generate();
  ASSERT_TRUE((*stack)->control().AddUser(bob, v1::ROLE_MEMBER, "bob").ok());
  ASSERT_TRUE(integration::WaitUntilConnectAccepted(**stack, bob).ok());
  ASSERT_TRUE((*stack)->StartAuthd(1).ok());
  // Several connections: with two instances in the group, they are spread over both.
  constexpr int kPeers = 8;
  ClosedCounter counter;
  counter.expected = kPeers;
  std::vector<common::nats::NatsConnectionPtr> peers;
  for (int i = 0; i < kPeers; ++i) {
    testing::PeerOptions options;
    options.callbacks.on_closed = &OnClosed;
    options.callbacks.closure = &counter;
    auto nc = (*stack)->ConnectPeer(bob, options);
    ASSERT_TRUE(nc.ok()) << nc.status();
    peers.push_back(*std::move(nc));
  }
  ASSERT_TRUE(integration::RevokeUser((*stack)->control(), bob).ok());
  EXPECT_TRUE(counter.all_closed.WaitForNotificationWithTimeout(integration::kEventDeadline))
      << counter.closed.load() << " of " << kPeers << " connections closed";
}

}  // namespace
}  // namespace unibus::broker_auth
