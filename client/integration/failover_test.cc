// The client survives what its connections go through: nats.c giving up after repeated auth
// errors (the link builds a new connection), and dead addresses in its URL lists (failover).
#include "absl/time/clock.h"
#include "broker_auth/testing/stack.h"
#include "client/internal/client_impl.h"
#include "client/testing/inbox.h"
#include "client/testing/peers.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::client {
namespace {

using testing::Inbox;
using testing::NewPeer;
using testing::Text;

// Sends, retrying while the sender's own connection is being rebuilt.
absl::StatusOr<FrameId> SendSoon(Client& client, const std::string& room, const std::string& text) {
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    absl::StatusOr<FrameId> id = client.Send(room, Text(text));
    if (id.ok() || absl::Now() > deadline) return id;
    absl::SleepFor(absl::Milliseconds(100));
  }
}

// With unibus-authd down, every reconnect after a nats-server restart is refused: nats.c stops
// after two identical auth errors and closes the connection for good. Without the link's rebuild
// (NatsLink::Supervise) bob would stay disconnected forever and miss "after".
TEST(FailoverTest, ConnectionIsRebuiltAfterNatsGivesUpOnAuthErrors) {
  auto stack = broker_auth::testing::Stack::Start(control::testing::NewTempDir("rebuild"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  auto alice = NewPeer(**stack, "alice");
  auto bob = NewPeer(**stack, "bob");
  ASSERT_TRUE(alice.ok() && bob.ok());
  RoomSettings settings;
  settings.name = "ops";
  auto room = alice->client->CreateRoom(settings);
  ASSERT_TRUE(room.ok());
  ASSERT_TRUE(alice->client->AddMember(room->room_id(), "bob").ok());
  Inbox inbox;
  auto sub = bob->client->Subscribe(room->room_id(), inbox.Options());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(SendSoon(*alice->client, room->room_id(), "before").ok());
  ASSERT_EQ(inbox.Wait(1).size(), 1u);

  (*stack)->StopAuthd();
  ASSERT_TRUE((*stack)->RestartNats().ok());
  auto& link = static_cast<internal::ClientImpl&>(*bob->client).nats();
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (link.rebuilds() == 0 && absl::Now() < deadline) {
    // The first rebuild attempt itself fails while authd is down; count closes instead.
    if (link.closes() > 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_GT(link.closes(), 0) << "nats.c never gave up: the rebuild path was not exercised";
  ASSERT_TRUE((*stack)->StartAuthd().ok());

  ASSERT_TRUE(SendSoon(*alice->client, room->room_id(), "after").ok());
  std::vector<Message> got = inbox.Wait(2, absl::Seconds(30));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].body.text(), "after");
  EXPECT_GE(link.rebuilds(), 1);
  EXPECT_EQ((*sub)->stats().duplicates, 0u);
}

// Dead addresses first in both lists: the client moves on to the live ones.
TEST(FailoverTest, DeadAddressesInTheUrlListsAreSkipped) {
  auto stack = broker_auth::testing::Stack::Start(control::testing::NewTempDir("failover"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  common::Identity carol = common::Identity::Generate();
  ASSERT_TRUE((*stack)->control().AddUser(carol, v1::ROLE_MEMBER, "carol").ok());
  ClientOptions options = testing::OptionsFor(**stack);
  options.control_urls.insert(options.control_urls.begin(), "127.0.0.1:1");
  options.nats_urls.insert(options.nats_urls.begin(), "nats://127.0.0.1:1");
  // authd learns of carol a moment after AddUser.
  absl::StatusOr<std::unique_ptr<Client>> client = testing::ConnectWhenAllowed(carol, options);
  ASSERT_TRUE(client.ok()) << client.status();
  RoomSettings settings;
  settings.name = "solo";
  auto room = (*client)->CreateRoom(settings);
  ASSERT_TRUE(room.ok()) << room.status();
  EXPECT_TRUE((*client)->Send(room->room_id(), Text("hi")).ok());
  // A control-plane-only client needs no NATS at all (management tools work while it is down).
  ClientOptions control_only = options;
  control_only.nats_urls = {"nats://127.0.0.1:1"};
  control_only.connect_nats = false;
  auto manager = Client::Connect(testing::Copy(carol), control_only);
  ASSERT_TRUE(manager.ok()) << manager.status();
  EXPECT_TRUE((*manager)->ListMyRooms().ok());
  EXPECT_EQ((*manager)->Send(room->room_id(), Text("x")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Nothing reachable at all: a clear UNAVAILABLE.
  options.control_urls = {"127.0.0.1:1"};
  EXPECT_EQ(Client::Connect(testing::Copy(carol), options).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace unibus::client
