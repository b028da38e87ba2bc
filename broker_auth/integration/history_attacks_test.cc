// A member against the history of rooms it is not in (docs/security.md, "History"): the shared
// room stream must not let one room push another's stored frames out. Attacker: mallory, a member
// of room A only, publishing raw NATS to her own room as fast and as big as her grants allow.
// Both tests FAILED against the stream config before the fix (discard old at the stream's byte
// limit dropped the oldest frames of the whole stream: bob's frame in room B was gone).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker_auth/integration/peer_helpers.h"
#include "broker_auth/testing/stack.h"
#include "client/testing/raw_frames.h"
#include "common/nats/subjects.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::integration {
namespace {

using common::Identity;
using common::nats::RoomSubject;

class HistoryAttacksTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> authd_flags) {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    auto stack =
        testing::Stack::Start(control::testing::NewTempDir(info->name()), std::move(authd_flags));
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    auto& control = stack_->control();
    ASSERT_TRUE(control.AddUser(olivia_, v1::ROLE_MEMBER, "olivia").ok());
    ASSERT_TRUE(control.AddUser(mallory_, v1::ROLE_MEMBER, "mallory").ok());
    ASSERT_TRUE(control.AddUser(bob_, v1::ROLE_MEMBER, "bob").ok());
    room_a_ = CreateCleartextRoom(control, olivia_);
    room_b_ = CreateCleartextRoom(control, olivia_);
    ASSERT_TRUE(AddMember(control, olivia_, room_a_, mallory_).ok());
    ASSERT_TRUE(AddMember(control, olivia_, room_b_, bob_).ok());
    ASSERT_TRUE(WaitForRoomAccess(*stack_, mallory_, {room_a_}).ok());
    ASSERT_TRUE(WaitForRoomAccess(*stack_, bob_, {room_b_}).ok());
  }

  // Bob's frame in B, then mallory's `frames` frames of `size` bytes in A; B still holds bob's.
  void BobsFrameSurvives(int frames, size_t size) {
    auto bob = Peer::Connect(*stack_, bob_);
    auto mallory = Peer::Connect(*stack_, mallory_);
    ASSERT_TRUE(bob.ok() && mallory.ok());
    ASSERT_TRUE(
        client::testing::PublishStored((*bob)->nc(), RoomSubject(room_b_), "bob's frame").ok());
    std::string big(size, 'x');
    for (int i = 0; i < frames; ++i) {
      ASSERT_TRUE(client::testing::PublishStored((*mallory)->nc(), RoomSubject(room_a_), big).ok());
    }
    absl::StatusOr<std::vector<std::string>> history =
        client::testing::ReadRoomHistory((*bob)->nc(), bob_.sign_pub_hex(), room_b_);
    ASSERT_TRUE(history.ok()) << history.status();
    ASSERT_EQ(history->size(), 1u) << "bob's stored frame was pushed out by mallory's";
    EXPECT_EQ((*history)[0], "bob's frame");
  }

  Identity olivia_ = Identity::Generate();   // owns both rooms
  Identity mallory_ = Identity::Generate();  // the attacker: member of A
  Identity bob_ = Identity::Generate();      // member of B
  std::string room_a_;
  std::string room_b_;
  std::unique_ptr<testing::Stack> stack_;
};

// Attack: fill the whole stream (1 MiB here; 8 GiB by default) from her own room.
TEST_F(HistoryAttacksTest, FillingTheStreamFromOneRoomEvictsNoOtherRoom) {
  Start({"--history_max_bytes=1048576"});
  BobsFrameSurvives(/*frames=*/40, /*size=*/60 * 1024);  // 2.4 MB
}

// Attack: overflow her own room's frame limit: only her own oldest frames go.
TEST_F(HistoryAttacksTest, OverflowingOneRoomDropsOnlyItsOwnOldest) {
  Start({"--history_max_per_room=5"});
  BobsFrameSurvives(/*frames=*/12, /*size=*/100);
  auto olivia = Peer::Connect(*stack_, olivia_);
  ASSERT_TRUE(olivia.ok());
  absl::StatusOr<std::vector<std::string>> a =
      client::testing::ReadRoomHistory((*olivia)->nc(), olivia_.sign_pub_hex(), room_a_);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->size(), 5u);
}

}  // namespace
}  // namespace unibus::broker_auth::integration
