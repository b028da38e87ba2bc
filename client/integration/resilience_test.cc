// libunibus keeps delivering across what the stack does to a live client (DESIGN.md §4): a
// membership change that kicks its connection, a nats-server restart, the client's own restart.
// Every stored frame reaches the application exactly once and in order. Each test says which
// broken property would make it fail.
#include <map>
#include <utility>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker_auth/testing/stack.h"
#include "client/internal/client_impl.h"
#include "client/testing/inbox.h"
#include "client/testing/peers.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::client {
namespace {

using broker_auth::testing::Stack;
using testing::Inbox;
using testing::NewPeer;
using testing::Peer;
using testing::Text;

internal::ClientImpl& Impl(Client& c) { return static_cast<internal::ClientImpl&>(c); }

// How often the client's NATS connection came back (nats.c reconnects plus link rebuilds).
int Reconnections(Client& c) { return Impl(c).nats().reconnects() + Impl(c).nats().rebuilds(); }

bool WaitForReconnections(Client& c, int more_than, absl::Duration timeout = absl::Seconds(15)) {
  absl::Time deadline = absl::Now() + timeout;
  while (Reconnections(c) <= more_than) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

std::vector<std::string> Texts(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const Message& m : messages) out.push_back(m.body.text());
  return out;
}

// Stream order, and no frame id twice.
void ExpectOrderedAndUnique(const std::vector<Message>& messages) {
  std::map<std::pair<std::string, uint64_t>, int> seen;
  for (size_t i = 0; i < messages.size(); ++i) {
    int& times = seen[std::make_pair(messages[i].id.sender, messages[i].id.counter)];
    EXPECT_EQ(++times, 1)
        << "delivered twice: " << messages[i].body.text();
    if (i > 0) {
      EXPECT_GT(messages[i].stream_seq, messages[i - 1].stream_seq)
          << messages[i].body.text() << " after " << messages[i - 1].body.text();
    }
  }
}

// ---------------------------------------------------------------------------------------------

// Fails if a client that was already connected when it became a member had to be restarted to
// use the room (its grants come with the kick), or if frames sent right after Subscribe returned
// were lost because the history consumer could only be created once the kick was over (kNew
// must mean "from Subscribe on", not "from whenever the consumer was created"), or if a frame
// stored before Subscribe was delivered.
TEST(ResilienceTest, MemberAddedWhileConnectedReceivesTheNextMessageWithoutRestarting) {
  auto stack = Stack::Start(control::testing::NewTempDir("res-added"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  absl::StatusOr<Peer> alice = NewPeer(**stack, "alice");
  absl::StatusOr<Peer> bob = NewPeer(**stack, "bob");
  ASSERT_TRUE(alice.ok() && bob.ok());
  RoomSettings settings;
  settings.name = "newcomers";
  absl::StatusOr<v1::Room> room = alice->client->CreateRoom(settings);
  ASSERT_TRUE(room.ok());
  ASSERT_TRUE(alice->client->Send(room->room_id(), Text("before bob")).ok());
  // Bob's client is connected and knows nothing of the room yet.
  EXPECT_EQ(bob->client->Subscribe(room->room_id(), SubscribeOptions{}).status().code(),
            absl::StatusCode::kNotFound);
  Client* const bob_client = bob->client.get();
  const int reconnections = Reconnections(*bob_client);

  ASSERT_TRUE(alice->client->AddMember(room->room_id(), "bob").ok());
  Inbox inbox;
  auto sub = bob_client->Subscribe(room->room_id(), inbox.Options(StartAt::kNew));
  ASSERT_TRUE(sub.ok()) << sub.status();
  // Right away, while bob's connection may still be kicked and re-authorized.
  absl::StatusOr<FrameId> welcome = alice->client->Send(room->room_id(), Text("welcome bob"));
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  ASSERT_TRUE(alice->client->Send(room->room_id(), Text("second")).ok());
  ASSERT_TRUE(alice->client->Send(room->room_id(), Text("third")).ok());
  const std::vector<std::string> want = {"welcome bob", "second", "third"};
  std::vector<Message> got = inbox.Wait(want.size(), absl::Seconds(15));
  ASSERT_EQ(Texts(got), want) << "errors: " << inbox.FirstError();
  EXPECT_EQ(got[0].id, *welcome);
  // The same client object, kicked and re-authorized underneath.
  EXPECT_TRUE(WaitForReconnections(*bob_client, reconnections));
  ASSERT_TRUE(alice->client->Send(room->room_id(), Text("and again")).ok());
  EXPECT_EQ(Texts(inbox.Wait(4)),
            (std::vector<std::string>{"welcome bob", "second", "third", "and again"}));
}

// Fails if the feed lost the frames pushed while its connection was kicked (no resume from the
// last delivered stream sequence), delivered some twice (resumed too early without
// deduplication), or out of order.
TEST(ResilienceTest, KickedClientResumesWithoutLossOrDuplicates) {
  auto stack = Stack::Start(control::testing::NewTempDir("res-kick"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  absl::StatusOr<Peer> alice = NewPeer(**stack, "alice");
  absl::StatusOr<Peer> bob = NewPeer(**stack, "bob");
  ASSERT_TRUE(alice.ok() && bob.ok());
  RoomSettings settings;
  settings.name = "busy";
  absl::StatusOr<v1::Room> room = alice->client->CreateRoom(settings);
  settings.name = "second";
  absl::StatusOr<v1::Room> second = alice->client->CreateRoom(settings);
  ASSERT_TRUE(room.ok() && second.ok());
  ASSERT_TRUE(alice->client->AddMember(room->room_id(), "bob").ok());
  Inbox inbox;
  auto sub = bob->client->Subscribe(room->room_id(), inbox.Options(StartAt::kAll));
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(alice->client->Send(room->room_id(), Text("ready")).ok());
  ASSERT_TRUE(inbox.WaitForText("ready")) << inbox.FirstError();
  const int reconnections = Reconnections(*bob->client);

  // Only the identity whose membership changed is kicked: change bob's, in another room.
  ASSERT_TRUE(alice->client->AddMember(second->room_id(), "bob").ok());
  // A tight loop of at least 50 sends that goes on until bob's connection came back and 20 more
  // were sent, so that the sends straddle the kick.
  std::vector<std::string> want = {"ready"};
  int after_kick = 0;
  for (int i = 0; i < 50 || (after_kick < 20 && i < 5000); ++i) {
    std::string text = absl::StrCat("m", i);
    ASSERT_TRUE(alice->client->Send(room->room_id(), Text(text)).ok()) << i;
    want.push_back(text);
    if (Reconnections(*bob->client) > reconnections) ++after_kick;
  }
  ASSERT_GE(after_kick, 20) << "bob was not kicked while alice was sending";
  std::vector<Message> got = inbox.Wait(want.size(), absl::Seconds(30));
  EXPECT_EQ(Texts(got), want) << inbox.FirstError();
  ExpectOrderedAndUnique(got);

  // Still live afterwards, and nothing more arrived meanwhile.
  ASSERT_TRUE(alice->client->Send(room->room_id(), Text("after")).ok());
  want.push_back("after");
  got = inbox.Wait(want.size());
  EXPECT_EQ(Texts(got), want);
}

// Fails if a frame JetStream confirmed is lost across a nats-server restart (the feed did not
// resume after the last delivered sequence on the new server), or one is delivered twice.
TEST(ResilienceTest, NatsServerRestartMidStreamLosesNoConfirmedFrame) {
  auto stack = Stack::Start(control::testing::NewTempDir("res-restart"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  absl::StatusOr<Peer> alice = NewPeer(**stack, "alice");
  absl::StatusOr<Peer> bob = NewPeer(**stack, "bob");
  ASSERT_TRUE(alice.ok() && bob.ok());
  RoomSettings settings;
  settings.name = "durable";
  absl::StatusOr<v1::Room> room = alice->client->CreateRoom(settings);
  ASSERT_TRUE(room.ok());
  const std::string room_id = room->room_id();
  ASSERT_TRUE(alice->client->AddMember(room_id, "bob").ok());
  Inbox inbox;
  auto sub = bob->client->Subscribe(room_id, inbox.Options(StartAt::kAll));
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(alice->client->Send(room_id, Text("ready")).ok());
  ASSERT_TRUE(inbox.WaitForText("ready")) << inbox.FirstError();
  const int reconnections = Reconnections(*bob->client);

  // Sends that fail (UNAVAILABLE while the server is away) are retried; only confirmed frames
  // are promised. A failed attempt may still have been stored: it may arrive, once.
  std::vector<FrameId> confirmed;
  for (int i = 0; i < 30; ++i) {
    if (i == 15) {
      ASSERT_TRUE((*stack)->RestartNats().ok());
    }
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (true) {
      absl::StatusOr<FrameId> id = alice->client->Send(room_id, Text(absl::StrCat("s", i)));
      if (id.ok()) {
        confirmed.push_back(*id);
        break;
      }
      ASSERT_EQ(id.status().code(), absl::StatusCode::kUnavailable) << id.status();
      ASSERT_LT(absl::Now(), deadline) << "message " << i << ": " << id.status();
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  ASSERT_TRUE(alice->client->Send(room_id, Text("done")).ok());
  ASSERT_TRUE(inbox.WaitForText("done", absl::Seconds(60))) << inbox.FirstError();
  EXPECT_TRUE(WaitForReconnections(*bob->client, reconnections));

  std::vector<Message> got = inbox.messages();
  ExpectOrderedAndUnique(got);
  for (size_t i = 0; i < confirmed.size(); ++i) {
    int count = 0;
    for (const Message& m : got) count += m.id == confirmed[i] ? 1 : 0;
    EXPECT_EQ(count, 1) << "confirmed frame s" << i;
  }
  EXPECT_EQ((*sub)->stats().rejected, 0u);
}

// Fails if the delivery state in state_dir is not saved when a subscription ends or not used by
// kResume (the 2 new messages would be missing, or the first 3 would come again), or if resuming
// starts before the saved sequence (the replay guard would then count duplicates).
TEST(ResilienceTest, RestartedClientResumesAfterTheLastDeliveredFrame) {
  auto stack = Stack::Start(control::testing::NewTempDir("res-resume"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  const std::string state_dir = control::testing::NewTempDir("bob-state");
  absl::StatusOr<Peer> alice = NewPeer(**stack, "alice");
  absl::StatusOr<Peer> bob = NewPeer(**stack, "bob", v1::ROLE_MEMBER, state_dir);
  ASSERT_TRUE(alice.ok() && bob.ok());
  RoomSettings settings;
  settings.name = "log";
  absl::StatusOr<v1::Room> room = alice->client->CreateRoom(settings);
  ASSERT_TRUE(room.ok());
  const std::string room_id = room->room_id();
  ASSERT_TRUE(alice->client->AddMember(room_id, "bob").ok());
  {
    Inbox inbox;
    // From the start of the (new) room: independent of when the feed goes live after bob's kick.
    auto sub = bob->client->Subscribe(room_id, inbox.Options(StartAt::kAll));
    ASSERT_TRUE(sub.ok()) << sub.status();
    for (int i = 1; i <= 3; ++i) {
      ASSERT_TRUE(alice->client->Send(room_id, Text(absl::StrCat("first ", i))).ok());
    }
    std::vector<Message> got = inbox.Wait(3);
    ASSERT_EQ(Texts(got), (std::vector<std::string>{"first 1", "first 2", "first 3"}))
        << inbox.FirstError();
  }
  bob->client.reset();  // the subscription saved its state when it ended
  ASSERT_TRUE(alice->client->Send(room_id, Text("second 1")).ok());
  ASSERT_TRUE(alice->client->Send(room_id, Text("second 2")).ok());

  absl::StatusOr<std::unique_ptr<Client>> again =
      testing::ConnectWhenAllowed(**stack, bob->identity, state_dir);
  ASSERT_TRUE(again.ok()) << again.status();
  Inbox inbox;
  auto sub = (*again)->Subscribe(room_id, inbox.Options(StartAt::kResume));
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_EQ(Texts(inbox.Wait(2)), (std::vector<std::string>{"second 1", "second 2"}))
      << inbox.FirstError();
  // Nothing else is pending: the next message is the next one delivered.
  ASSERT_TRUE(alice->client->Send(room_id, Text("third")).ok());
  std::vector<Message> got = inbox.Wait(3);
  EXPECT_EQ(Texts(got), (std::vector<std::string>{"second 1", "second 2", "third"}));
  ExpectOrderedAndUnique(got);
  EXPECT_EQ((*sub)->stats().duplicates, 0u);
}

}  // namespace
}  // namespace unibus::client
