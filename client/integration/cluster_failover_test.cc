// libunibus on a three-node cluster (broker_auth/testing/cluster.h): the node a client is attached
// to is killed while frames flow, and the client carries on through the other nodes with no
// persisted frame lost or delivered twice. Encrypted room, room keys and history all come from
// the cluster's KV store and R3 room stream.
#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "broker_auth/testing/cluster.h"
#include "client/client.h"
#include "client/testing/inbox.h"
#include "client/testing/peers.h"
#include "common/testing/child_process.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::client {
namespace {

using testing::Inbox;
using testing::Text;

// Options listing every node, node `first` first (the one the client attaches to).
ClientOptions OnCluster(const broker_auth::testing::Cluster& cluster, int first) {
  ClientOptions o;
  o.control_urls = absl::StrSplit(cluster.control_targets(first), ',');
  o.nats_urls = absl::StrSplit(cluster.nats_urls(first), ',');
  o.ca_pem = cluster.ca_pem();
  o.reconnect_wait = absl::Milliseconds(50);
  return o;
}

absl::StatusOr<std::unique_ptr<Client>> Join(const broker_auth::testing::Cluster& cluster,
                                             const common::Identity& who,
                                             const std::string& handle, int first) {
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::Status added;
  do {
    added = cluster.AddUser(who, v1::ROLE_MEMBER, handle, first).status();
  } while (!added.ok() && absl::Now() < deadline &&
           (absl::SleepFor(absl::Milliseconds(200)), true));
  if (!added.ok()) return added;
  return testing::ConnectWhenAllowed(who, OnCluster(cluster, first));
}

TEST(ClusterFailoverTest, KillingTheAttachedNodeLosesNoPersistedFrame) {
  auto cluster = broker_auth::testing::Cluster::Start(control::testing::NewTempDir("failover"));
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  common::Identity alice_id = common::Identity::Generate();
  common::Identity bob_id = common::Identity::Generate();
  auto alice = Join(**cluster, alice_id, "alice", /*first=*/1);
  ASSERT_TRUE(alice.ok()) << alice.status();
  auto bob = Join(**cluster, bob_id, "bob", /*first=*/0);
  ASSERT_TRUE(bob.ok()) << bob.status();

  RoomSettings settings;
  settings.name = "ops";
  auto room = (*alice)->CreateRoom(settings);  // encrypted, signed, with history
  ASSERT_TRUE(room.ok()) << room.status();
  ASSERT_TRUE((*alice)->AddMember(room->room_id(), "bob").ok());
  Inbox inbox;
  auto sub = (*bob)->Subscribe(room->room_id(), inbox.Options(StartAt::kAll));
  ASSERT_TRUE(sub.ok()) << sub.status();

  // Alice sends steadily through node 2; a Send returns OK once JetStream (R3) stored the frame.
  // A Send that fails is retried as a new frame (its text then may arrive twice: two frames).
  constexpr int kFrames = 60;
  std::atomic<int> stored{0};
  std::thread sender([&] {
    for (int i = 0; i < kFrames; ++i) {
      absl::Time deadline = absl::Now() + absl::Seconds(60);
      while (absl::Now() < deadline) {
        if ((*alice)->Send(room->room_id(), Text(absl::StrCat("frame ", i))).ok()) {
          stored.fetch_add(1);
          break;
        }
        absl::SleepFor(absl::Milliseconds(100));
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  ASSERT_GE(inbox.Wait(10, absl::Seconds(30)).size(), 10u);
  // Bob's node (nats-server, unibusd and authd of node 1) dies.
  (*cluster)->KillNode(0);
  sender.join();
  ASSERT_EQ(stored.load(), kFrames) << "alice could not send through the surviving nodes";

  // Every stored frame reaches bob, in order.
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(inbox.WaitForText(absl::StrCat("frame ", i), absl::Seconds(90)))
        << "frame " << i << " lost; " << inbox.FirstError();
  }
  std::vector<Message> got = inbox.messages();
  int next = 0;
  for (const Message& m : got) {
    if (m.body.text() == absl::StrCat("frame ", next)) ++next;
  }
  EXPECT_EQ(next, kFrames) << "frames arrived out of order";
  // The library delivers each frame once: redelivery after the failover was deduplicated.
  EXPECT_LE(got.size(), static_cast<size_t>(kFrames) + 2);
  // Bob's control-plane calls go to another node too (once JetStream has elected new leaders
  // for what the dead node led; until then a call may be UNAVAILABLE, never wrong).
  absl::Status listed;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    auto rooms = (*bob)->ListMyRooms();
    listed = rooms.status();
    if (rooms.ok()) {
      ASSERT_EQ(rooms->size(), 1u);
      break;
    }
    EXPECT_EQ(listed.code(), absl::StatusCode::kUnavailable) << listed;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < deadline);
  EXPECT_TRUE(listed.ok()) << listed;
  // Blobs live in the R3 object store: one put through node 2 is read through node 3.
  std::string bytes(1 << 20, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + i / 4096);
  auto ref = (*alice)->PutBlob(room->room_id(), bytes, BlobOptions());
  ASSERT_TRUE(ref.ok()) << ref.status();
  auto back = (*bob)->GetBlob(room->room_id(), *ref);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == bytes);
}

}  // namespace
}  // namespace unibus::client
