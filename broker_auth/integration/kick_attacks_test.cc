// A member about to lose access tries to keep a live connection (docs/security.md, "Access ends
// on every connection"): every live connection of an identity whose grants shrank is closed
// within a second, on every node, whatever happened before: many reconnects, an authd restart,
// a broken change feed. Each test FAILED against the code that kicked only the (server, cid)
// pairs authd remembered from the callouts it answered (the newest 64 per identity, in memory)
// and reloaded a broken feed without kicking anyone.
//
// The attacker speaks raw NATS (nats.c, not libunibus) with her own valid key. Each test runs
// its own stack: they kill and restart processes.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker_auth/integration/peer_helpers.h"
#include "broker_auth/testing/stack.h"
#include "common/nats/subjects.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::integration {
namespace {

using common::Identity;
using common::nats::RoomSubject;

// The attacker's connection: it must not reconnect by itself (a reconnect would get fresh,
// smaller grants; she wants the old ones).
testing::PeerOptions Keeping() {
  testing::PeerOptions options;
  options.max_reconnect = 0;
  return options;
}

class KickAttacksTest : public StackPerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StackPerTest::SetUp());
    ASSERT_TRUE(stack_->control().AddUser(olivia_, v1::ROLE_MEMBER, "olivia").ok());
    ASSERT_TRUE(stack_->control().AddUser(mallory_, v1::ROLE_MEMBER, "mallory").ok());
    room_ = CreateCleartextRoom(stack_->control(), olivia_);
    ASSERT_TRUE(AddMember(stack_->control(), olivia_, room_, mallory_).ok());
    ASSERT_TRUE(WaitForRoomAccess(*stack_, mallory_, {room_}).ok());
    ASSERT_TRUE(WaitForRoomAccess(*stack_, olivia_, {room_}).ok());
  }

  // Mallory's connection reading the room, checked to work.
  std::unique_ptr<Peer> Reading(common::nats::NatsSubscriptionPtr* sub) {
    absl::StatusOr<std::unique_ptr<Peer>> peer = Peer::Connect(*stack_, mallory_, Keeping());
    EXPECT_TRUE(peer.ok()) << peer.status();
    if (!peer.ok()) return nullptr;
    absl::StatusOr<common::nats::NatsSubscriptionPtr> s = (*peer)->Subscribe(RoomSubject(room_));
    EXPECT_TRUE(s.ok());
    if (!s.ok()) return nullptr;
    *sub = *std::move(s);
    auto olivia = Peer::Connect(*stack_, olivia_);
    EXPECT_TRUE(olivia.ok() && (*olivia)->Publish(RoomSubject(room_), "before").ok());
    EXPECT_EQ(NextMessage(sub->get()).value_or("<none>"), "before");
    return *std::move(peer);
  }

  // The connection is closed within a second of the change being acknowledged at `changed`.
  void ExpectClosedWithinASecond(Peer& peer, absl::Time changed) {
    ASSERT_TRUE(peer.events().WaitForDisconnects(1, kEventDeadline))
        << "mallory's old connection is still open";
    absl::Duration after = peer.events().first_disconnect_at() - changed;
    std::cout << "closed " << after << " after the change\n";
    EXPECT_LE(after, absl::Seconds(1));
  }

  Identity olivia_ = Identity::Generate();   // owns the room
  Identity mallory_ = Identity::Generate();  // the attacker
  std::string room_;
};

// Attack: push her reading connection out of authd's memory by opening and closing 100 more
// connections, then be removed. Before the fix the reading connection stayed open (and kept
// receiving the room) until its JWT expired.
TEST_F(KickAttacksTest, HundredReconnectsBeforeRemovalLeaveNoConnectionOpen) {
  common::nats::NatsSubscriptionPtr sub;
  auto reading = Reading(&sub);
  ASSERT_TRUE(reading);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(Peer::Connect(*stack_, mallory_, Keeping()).ok()) << i;
  }
  ASSERT_TRUE(RemoveMember(stack_->control(), olivia_, room_, mallory_).ok());
  ExpectClosedWithinASecond(*reading, absl::Now());
}

// Attack: her connection was authorized by an authd that then died (SIGKILL) and was restarted;
// then she is revoked. Before the fix the new authd knew none of the earlier connections.
TEST_F(KickAttacksTest, AuthdKilledAndRestartedBeforeRevocationStillKicks) {
  common::nats::NatsSubscriptionPtr sub;
  auto reading = Reading(&sub);
  ASSERT_TRUE(reading);
  stack_->KillAuthd();
  ASSERT_TRUE(stack_->StartAuthd().ok());
  ASSERT_TRUE(RevokeUser(stack_->control(), mallory_).ok());
  ExpectClosedWithinASecond(*reading, absl::Now());
}

// Attack: she is removed while authd's change feed is broken (unibusd restarted; authd is
// between reconnect attempts). Before the fix authd reloaded everything without kicking anyone
// whose grants had shrunk in between.
TEST_F(KickAttacksTest, RemovalWhileTheFeedIsBrokenStillKicks) {
  common::nats::NatsSubscriptionPtr sub;
  auto reading = Reading(&sub);
  ASSERT_TRUE(reading);
  size_t offset = FileSize(stack_->dir() + "/authd.log");
  stack_->control().Stop();
  // authd noticed; it retries while unibusd restarts, and the removal comes right after the
  // restart, most likely before authd's next attempt.
  ASSERT_TRUE(WaitForFileContains(stack_->dir() + "/authd.log", offset, "feed down"));
  ASSERT_TRUE(stack_->control().Restart().ok());
  ASSERT_TRUE(RemoveMember(stack_->control(), olivia_, room_, mallory_).ok());
  ExpectClosedWithinASecond(*reading, absl::Now());
}

}  // namespace
}  // namespace unibus::broker_auth::integration
