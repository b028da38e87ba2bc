// Room keys on the real stack: a member who leaves loses the next epoch (the owner's client
// rotates the key by itself), and a sealed key that was not sealed by the owner or a room admin
// is refused by the client even when the server hands it out (a compromised or buggy server).
#include <SQLiteCpp/SQLiteCpp.h>

#include "absl/time/clock.h"
#include "broker_auth/testing/stack.h"
#include "client/internal/client_impl.h"
#include "client/testing/inbox.h"
#include "client/testing/peers.h"
#include "common/crypto/hex.h"
#include "common/crypto/room_key_envelope.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::client {
namespace {

using testing::Inbox;
using testing::NewPeer;
using testing::Text;

class RoomKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto stack = broker_auth::testing::Stack::Start(control::testing::NewTempDir("keys"));
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    auto alice = NewPeer(*stack_, "alice");
    auto bob = NewPeer(*stack_, "bob");
    auto mallory = NewPeer(*stack_, "mallory");
    ASSERT_TRUE(alice.ok() && bob.ok() && mallory.ok());
    alice_ = std::make_unique<testing::Peer>(*std::move(alice));
    bob_ = std::make_unique<testing::Peer>(*std::move(bob));
    mallory_ = std::make_unique<testing::Peer>(*std::move(mallory));
    RoomSettings settings;
    settings.name = "keys";
    auto room = alice_->client->CreateRoom(settings);
    ASSERT_TRUE(room.ok());
    room_ = room->room_id();
    ASSERT_TRUE(alice_->client->AddMember(room_, "bob").ok());
    ASSERT_TRUE(alice_->client->AddMember(room_, "mallory").ok());
  }

  std::unique_ptr<broker_auth::testing::Stack> stack_;
  std::unique_ptr<testing::Peer> alice_, bob_, mallory_;
  std::string room_;
};

// Without the rekey in Send, alice would keep sending at epoch 1, which mallory (gone) holds.
TEST_F(RoomKeysTest, OwnerRotatesTheKeyAfterAMemberLeft) {
  ASSERT_TRUE(mallory_->client->Leave(room_).ok());
  auto room = alice_->client->GetRoom(room_);
  ASSERT_TRUE(room.ok());
  EXPECT_TRUE(room->needs_rekey());
  Inbox inbox;
  auto sub = bob_->client->Subscribe(room_, inbox.Options());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(alice_->client->Send(room_, Text("after mallory left")).ok());
  auto got = inbox.Wait(1);
  ASSERT_EQ(got.size(), 1u) << inbox.FirstError();
  EXPECT_EQ(got[0].epoch, 2u);
  room = alice_->client->GetRoom(room_);
  ASSERT_TRUE(room.ok());
  EXPECT_FALSE(room->needs_rekey());
  EXPECT_EQ(room->epoch(), 2u);
  // Bob (a plain member) may not rotate; his sends stay at the current epoch.
  ASSERT_TRUE(bob_->client->Send(room_, Text("me too")).ok());
}

// The server is made to serve bob an epoch-2 key sealed and signed by mallory, a plain member:
// bob's client must refuse it and drop frames under that key. Without the signer check
// (RoomCache::MaySeal) bob would accept mallory's key and read what she encrypts with it.
TEST_F(RoomKeysTest, KeySealedByAPlainMemberIsRefused) {
  ASSERT_TRUE(alice_->client->Rekey(room_).ok());  // epoch 2, sealed by alice
  std::string mallory_key = common::NewRoomKey();
  v1::SealedKey forged = common::SealRoomKey(mallory_->identity, room_, 2, bob_->identity.sign_pub(),
                                             bob_->identity.kex_pub(), mallory_key);
  {
    SQLite::Database db(stack_->control().db_path(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA busy_timeout = 5000");
    SQLite::Statement update(db,
                             "UPDATE keys SET sealed = ?1, signer = ?2, signature = ?3 "
                             "WHERE room_id = ?4 AND recipient = ?5 AND epoch = 2");
    update.bind(1, forged.sealed().data(), static_cast<int>(forged.sealed().size()));
    update.bind(2, forged.signer());
    update.bind(3, forged.signature().data(), static_cast<int>(forged.signature().size()));
    update.bind(4, room_);
    update.bind(5, bob_->identity.sign_pub_hex());
    ASSERT_EQ(update.exec(), 1);
  }
  auto& cache = static_cast<internal::ClientImpl&>(*bob_->client).rooms();
  EXPECT_EQ(cache.Key(room_, 2).status().code(), absl::StatusCode::kPermissionDenied);
  // Bob also refuses to send under it.
  EXPECT_EQ(bob_->client->Send(room_, Text("x")).status().code(),
            absl::StatusCode::kPermissionDenied);
  // And frames at epoch 2 (alice's real key) do not reach his application.
  Inbox inbox;
  auto sub = bob_->client->Subscribe(room_, inbox.Options());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(alice_->client->Send(room_, Text("epoch 2")).ok());
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((*sub)->stats().stale_epoch + (*sub)->stats().rejected == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(inbox.Wait(1, absl::Milliseconds(200)).size(), 0u);
  EXPECT_GE((*sub)->stats().stale_epoch + (*sub)->stats().rejected, 1u);
}

}  // namespace
}  // namespace unibus::client
