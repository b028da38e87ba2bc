// The whole path once: a peer on the allowlist connects to the real nats-server through the real
// unibus-authd, which asked the real unibusd; a stranger is refused.
#include "broker_auth/integration/peer_helpers.h"
#include "broker_auth/testing/stack.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth {
namespace {

TEST(SmokeTest, AllowlistedPeerConnectsAndStrangerIsRefused) {
  auto stack = testing::Stack::Start(control::testing::NewTempDir("smoke"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  common::Identity alice = common::Identity::Generate();
  ASSERT_TRUE((*stack)->control().AddUser(alice, v1::ROLE_MEMBER, "alice").ok());
  // The new user reaches unibus-authd through its change feed, a moment after AddUser returns.
  EXPECT_TRUE(integration::WaitUntilConnectAccepted(**stack, alice).ok());
  auto nc = (*stack)->ConnectPeer(alice);
  EXPECT_TRUE(nc.ok()) << nc.status();
  auto stranger = (*stack)->ConnectPeer(common::Identity::Generate());
  EXPECT_FALSE(stranger.ok());
}

}  // namespace
}  // namespace unibus::broker_auth
