// A member makes authd's view of others fail (docs/security.md, "Transient failures lock nobody
// out"): any member may create a room, fill it, and delete it, which makes the control plane
// emit one change per member at once. unibus-authd re-reads each identity's grants; before the
// fix a re-read that failed for any reason (unibusd's per-identity rate limit on authd itself,
// an election in the cluster) removed the identity from authd's cache, and NATS then refused it
// ("identity is not on the allowlist") although its other memberships were unchanged: the test
// FAILED (22 of 40 sampled members refused, as the security review measured).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker_auth/integration/peer_helpers.h"
#include "broker_auth/testing/stack.h"
#include "control/testing/rpc.h"
#include "unibus/v1/rooms.grpc.pb.h"
#include "unibus/v1/users.grpc.pb.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::integration {
namespace {

using common::Identity;

// Retries what the per-identity rate limit refuses (the test's own setup calls).
template <typename Fn>
grpc::Status Patiently(Fn fn) {
  for (;;) {
    grpc::Status s = fn();
    if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) return s;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

TEST(GrantsBurstTest, DeletingAThousandMemberRoomLocksNobodyOut) {
  auto stack = testing::Stack::Start(control::testing::NewTempDir("grants_burst"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  auto& control = (*stack)->control();
  Identity mallory = Identity::Generate();
  ASSERT_TRUE(control.AddUser(mallory, v1::ROLE_MEMBER, "mallory").ok());
  constexpr int kMembers = 1000;
  std::vector<Identity> members;
  members.reserve(kMembers);
  auto users = v1::UserService::NewStub(control.ChannelFor(control.admin()));
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(Identity::Generate());
    v1::AddUserRequest request;
    request.set_sign_pub(members.back().sign_pub_hex());
    request.set_kex_pub(members.back().kex_pub_hex());
    request.set_handle(absl::StrCat("m", i));
    request.set_role(v1::ROLE_MEMBER);
    v1::AddUserResponse response;
    ASSERT_TRUE(Patiently([&] {
                  return control::testing::Call(*users, &v1::UserService::Stub::AddUser, request,
                                                &response);
                }).ok());
  }
  std::string room = CreateCleartextRoom(control, mallory);
  for (const Identity& m : members) {
    ASSERT_TRUE(Patiently([&] { return AddMember(control, mallory, room, m); }).ok());
  }
  auto rooms = v1::RoomService::NewStub(control.ChannelFor(mallory));
  v1::DeleteRoomRequest request;
  request.set_room_id(room);
  v1::DeleteRoomResponse response;
  ASSERT_TRUE(control::testing::Call(*rooms, &v1::RoomService::Stub::DeleteRoom, request,
                                     &response)
                  .ok());
  // Changes reach authd in order: once a user added after the deletion can connect, every
  // removal before it was handled.
  Identity marker = Identity::Generate();
  ASSERT_TRUE(control.AddUser(marker, v1::ROLE_MEMBER, "marker").ok());
  ASSERT_TRUE(WaitUntilConnectAccepted(**stack, marker, absl::Seconds(60)).ok());
  int refused = 0;
  for (int i = 0; i < kMembers; i += kMembers / 40) {
    if (!Peer::Connect(**stack, members[i]).ok()) ++refused;
  }
  EXPECT_EQ(refused, 0) << "members refused after the room they left was deleted";
}

}  // namespace
}  // namespace unibus::broker_auth::integration
