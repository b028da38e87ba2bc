// Two peers talk in an encrypted room with history on the real stack (nats-server, unibus-authd,
// unibusd); a third identity, not a member, sees nothing.
#include <vector>

#include "broker_auth/testing/stack.h"
#include "client/testing/inbox.h"
#include "client/testing/peers.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::client {
namespace {

using testing::Inbox;
using testing::NewPeer;
using testing::Peer;
using testing::Text;

TEST(ConversationTest, TwoMembersExchangeMessagesRepliesAndReactions) {
  auto stack = broker_auth::testing::Stack::Start(control::testing::NewTempDir("conv"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  absl::StatusOr<Peer> alice = NewPeer(**stack, "alice");
  absl::StatusOr<Peer> bob = NewPeer(**stack, "bob");
  absl::StatusOr<Peer> carol = NewPeer(**stack, "carol");
  ASSERT_TRUE(alice.ok() && bob.ok() && carol.ok());

  RoomSettings settings;
  settings.name = "general";
  absl::StatusOr<v1::Room> room = alice->client->CreateRoom(settings);
  ASSERT_TRUE(room.ok()) << room.status();
  ASSERT_TRUE(alice->client->AddMember(room->room_id(), "bob").ok());

  Inbox alice_inbox, bob_inbox;
  // Bob was just added: his connection is kicked and comes back with the room in its grants.
  auto bob_sub = bob->client->Subscribe(room->room_id(), bob_inbox.Options());
  ASSERT_TRUE(bob_sub.ok()) << bob_sub.status();
  auto alice_sub = alice->client->Subscribe(room->room_id(), alice_inbox.Options());
  ASSERT_TRUE(alice_sub.ok()) << alice_sub.status();
  // Carol is not a member: the control plane says NOT_FOUND, as for a room that does not exist.
  auto carol_sub = carol->client->Subscribe(room->room_id(), SubscribeOptions{});
  EXPECT_EQ(carol_sub.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(carol->client->Send(room->room_id(), Text("let me in")).status().code(),
            absl::StatusCode::kNotFound);

  absl::StatusOr<FrameId> hello = alice->client->Send(room->room_id(), Text("hello bob"));
  ASSERT_TRUE(hello.ok()) << hello.status();
  std::vector<Message> got = bob_inbox.Wait(1);
  ASSERT_EQ(got.size(), 1u) << (bob_inbox.errors().empty() ? "" : bob_inbox.errors()[0].ToString());
  EXPECT_EQ(got[0].body.text(), "hello bob");
  EXPECT_EQ(got[0].id, *hello);
  EXPECT_TRUE(got[0].signed_frame);
  EXPECT_EQ(got[0].epoch, 1u);

  OutgoingMessage reply = Text("hi alice");
  reply.type = v1::FRAME_TYPE_REPLY;
  reply.reply_to = *hello;
  reply.thread = *hello;
  ASSERT_TRUE(bob->client->Send(room->room_id(), reply).ok());
  OutgoingMessage reaction;
  reaction.type = v1::FRAME_TYPE_REACTION;
  reaction.body.set_reaction("+1");
  reaction.reply_to = *hello;
  ASSERT_TRUE(bob->client->Send(room->room_id(), reaction).ok());

  std::vector<Message> alice_got = alice_inbox.Wait(3);
  ASSERT_EQ(alice_got.size(), 3u);
  EXPECT_EQ(alice_got[1].type, v1::FRAME_TYPE_REPLY);
  EXPECT_EQ(alice_got[1].body.text(), "hi alice");
  ASSERT_TRUE(alice_got[1].reply_to.has_value());
  EXPECT_EQ(*alice_got[1].reply_to, *hello);
  EXPECT_EQ(alice_got[2].type, v1::FRAME_TYPE_REACTION);
  EXPECT_EQ(alice_got[2].body.reaction(), "+1");

  // Carol's raw NATS connection may not even subscribe to the room: nothing reaches her.
  auto raw = (*stack)->ConnectPeer(carol->identity);
  ASSERT_TRUE(raw.ok());
  natsSubscription* sub = nullptr;
  natsConnection_SubscribeSync(&sub, raw->get(), room->subject().c_str());
  ASSERT_TRUE(alice->client->Send(room->room_id(), Text("secret")).ok());
  natsMsg* msg = nullptr;
  EXPECT_NE(natsSubscription_NextMsg(&msg, sub, 500), NATS_OK);
  natsSubscription_Destroy(sub);

  // History: a fresh subscription from the start sees all four frames.
  Inbox history;
  auto replay = bob->client->Subscribe(room->room_id(), history.Options(StartAt::kAll));
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(history.Wait(4).size(), 4u);
}

}  // namespace
}  // namespace unibus::client
