// BrokerService (what unibus-authd uses to decide data-plane access) against the real unibusd
// binary over real mutual TLS with a real SQLite file: grants, the paged snapshot and the change
// feed, including across a restart. Streams are always read under a ClientContext deadline,
// never after a sleep.
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <chrono>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "common/crypto/identity.h"
#include "control/testing/rpc.h"
#include "control/testing/sealed_keys.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"
#include "unibus/v1/broker.grpc.pb.h"
#include "unibus/v1/rooms.grpc.pb.h"
#include "unibus/v1/users.grpc.pb.h"

namespace unibus::control {
namespace {

using common::Identity;
using testing::Call;
using testing::CodeOf;
using testing::NewRoomId;
using testing::NewRoomKey;
using testing::SealRoomKey;
using Broker = v1::BrokerService::Stub;
using Rooms = v1::RoomService::Stub;
using Users = v1::UserService::Stub;

constexpr auto kStreamDeadline = std::chrono::seconds(10);

std::string UniqueHandle(const std::string& prefix) {
  static int counter = 0;
  return absl::StrCat(prefix, "-", ++counter);
}

struct Peer {
  Identity id;
  std::unique_ptr<Rooms> rooms;

  std::string pub() const { return id.sign_pub_hex(); }
};

Peer NewPeer(const testing::UnibusdProcess& server, v1::Role role = v1::ROLE_MEMBER) {
  Peer peer{Identity::Generate(), nullptr};
  absl::StatusOr<v1::User> added = server.AddUser(peer.id, role, UniqueHandle("peer"));
  EXPECT_TRUE(added.ok()) << added.status();
  peer.rooms = v1::RoomService::NewStub(server.ChannelFor(peer.id));
  return peer;
}

struct TestRoom {
  std::string id;
  std::string key;  // epoch 1
};

// An encrypted room owned by `owner`; `history` as given.
TestRoom NewRoom(const Peer& owner, bool history = true) {
  TestRoom room{NewRoomId(), NewRoomKey()};
  v1::CreateRoomRequest request;
  request.set_room_id(room.id);
  request.set_name("broker room");
  request.set_history(history);
  *request.mutable_owner_key() = SealRoomKey(owner.id, room.id, 1, owner.id, room.key);
  v1::CreateRoomResponse response;
  grpc::Status status = Call(*owner.rooms, &Rooms::CreateRoom, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return room;
}

grpc::StatusCode AddMember(const Peer& by, const TestRoom& room, const Peer& who) {
  v1::AddMemberRequest request;
  request.set_room_id(room.id);
  request.set_sign_pub(who.pub());
  *request.add_keys() = SealRoomKey(by.id, room.id, 1, who.id, room.key);
  return CodeOf(*by.rooms, &Rooms::AddMember, request);
}

// One WatchChanges stream with its own deadline. Cancelled on destruction.
class Watch {
 public:
  Watch(Broker& broker, uint64_t after_position) {
    context_.set_deadline(std::chrono::system_clock::now() + kStreamDeadline);
    v1::WatchChangesRequest request;
    request.set_after_position(after_position);
    reader_ = broker.WatchChanges(&context_, request);
  }
  ~Watch() {
    if (!finished_) Cancel();
  }

  // The next change; false when the stream ended (error, or the deadline passed).
  bool Next(v1::Change* change) { return reader_->Read(change); }

  // For a stream that ended by itself: its status.
  grpc::Status Finish() {
    finished_ = true;
    return reader_->Finish();
  }

  void Cancel() {
    context_.TryCancel();
    v1::Change ignored;
    while (reader_->Read(&ignored)) {
    }
    reader_->Finish();
    finished_ = true;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::Change>> reader_;
  bool finished_ = false;
};

// Reads the next change and checks it; `position` holds the previous position seen and is
// advanced (positions must be strictly increasing).
void ExpectNext(Watch& watch, v1::ChangeKind kind, const std::string& sign_pub,
                const std::string& room_id, uint64_t* position) {
  v1::Change change;
  ASSERT_TRUE(watch.Next(&change)) << "no change delivered within the deadline; expected "
                                   << v1::ChangeKind_Name(kind) << " for " << sign_pub;
  EXPECT_EQ(change.kind(), kind) << change.ShortDebugString();
  EXPECT_EQ(change.sign_pub(), sign_pub) << change.ShortDebugString();
  EXPECT_EQ(change.room_id(), room_id) << change.ShortDebugString();
  EXPECT_GT(change.at_ms(), 0);
  EXPECT_GT(change.position(), *position) << "positions must be strictly increasing";
  *position = change.position();
}

class BrokerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = testing::UnibusdProcess::Start(testing::NewTempDir("broker")).value().release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    // The caller of BrokerService: a SERVICE identity, as unibus-authd is.
    service_ = std::make_unique<Identity>(Identity::Generate());
    ASSERT_TRUE(server_->AddUser(*service_, v1::ROLE_SERVICE, UniqueHandle("authd")).ok());
    broker_ = v1::BrokerService::NewStub(server_->ChannelFor(*service_));
    users_ = v1::UserService::NewStub(server_->ChannelFor(server_->admin()));
  }

  v1::Grants GrantsOf(const std::string& sign_pub) {
    v1::GetGrantsRequest request;
    request.set_sign_pub(sign_pub);
    v1::GetGrantsResponse response;
    grpc::Status status = Call(*broker_, &Broker::GetGrants, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.grants();
  }

  // The feed position ListGrants reports now.
  uint64_t Position() {
    v1::ListGrantsRequest request;
    request.set_page_size(1);
    v1::ListGrantsResponse response;
    grpc::Status status = Call(*broker_, &Broker::ListGrants, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.position();
  }

  grpc::StatusCode Revoke(const std::string& sign_pub) {
    v1::RevokeUserRequest request;
    request.set_sign_pub(sign_pub);
    return CodeOf(*users_, &Users::RevokeUser, request);
  }

  static testing::UnibusdProcess* server_;
  std::unique_ptr<Identity> service_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<Users> users_;
};

testing::UnibusdProcess* BrokerTest::server_ = nullptr;

// ---- GetGrants ----

TEST_F(BrokerTest, GetGrantsListsExactlyTheIdentitysRoomsWithSubjectAndHistory) {
  // Attack modelled: a grant leaking a room the identity is not a member of would let it
  // subscribe to that room's subject on the data plane.
  Peer user = NewPeer(*server_);
  Peer other = NewPeer(*server_);
  TestRoom own = NewRoom(user, /*history=*/true);
  TestRoom joined = NewRoom(other, /*history=*/false);
  ASSERT_EQ(AddMember(other, joined, user), grpc::StatusCode::OK);
  TestRoom foreign = NewRoom(other);  // user is not a member

  v1::Grants grants = GrantsOf(user.pub());
  EXPECT_EQ(grants.sign_pub(), user.pub());
  EXPECT_TRUE(grants.active());
  EXPECT_EQ(grants.role(), v1::ROLE_MEMBER);
  ASSERT_EQ(grants.rooms_size(), 2) << grants.ShortDebugString();
  std::set<std::string> seen;
  for (const v1::RoomGrant& room : grants.rooms()) {
    seen.insert(room.room_id());
    EXPECT_EQ(room.subject(), "ub.room." + room.room_id());
    EXPECT_EQ(room.history(), room.room_id() == own.id) << room.room_id();
  }
  EXPECT_EQ(seen, (std::set<std::string>{own.id, joined.id}));
  EXPECT_EQ(seen.count(foreign.id), 0u);

  // The same identity spelled in upper case is the same identity.
  v1::Grants upper = GrantsOf(absl::AsciiStrToUpper(user.pub()));
  EXPECT_EQ(upper.SerializeAsString(), grants.SerializeAsString());

  // Leaving a room takes it out of the grants at once.
  v1::LeaveRequest leave;
  leave.set_room_id(joined.id);
  ASSERT_EQ(CodeOf(*user.rooms, &Rooms::Leave, leave), grpc::StatusCode::OK);
  v1::Grants after = GrantsOf(user.pub());
  ASSERT_EQ(after.rooms_size(), 1);
  EXPECT_EQ(after.rooms(0).room_id(), own.id);

  // The other identity owns joined and foreign, and nothing else.
  v1::Grants others = GrantsOf(other.pub());
  std::set<std::string> other_rooms;
  for (const v1::RoomGrant& room : others.rooms()) other_rooms.insert(room.room_id());
  EXPECT_EQ(other_rooms, (std::set<std::string>{joined.id, foreign.id}));
}

TEST_F(BrokerTest, RevokedIdentityHasInactiveGrantsAndNoRooms) {
  // Attack modelled: a revoked key still being allowed onto room subjects by the broker.
  Peer user = NewPeer(*server_);
  Peer other = NewPeer(*server_);
  NewRoom(user);
  TestRoom joined = NewRoom(other);
  ASSERT_EQ(AddMember(other, joined, user), grpc::StatusCode::OK);
  ASSERT_EQ(GrantsOf(user.pub()).rooms_size(), 2);

  ASSERT_EQ(Revoke(user.pub()), grpc::StatusCode::OK);
  v1::Grants grants = GrantsOf(user.pub());
  EXPECT_EQ(grants.sign_pub(), user.pub());
  EXPECT_FALSE(grants.active());
  EXPECT_EQ(grants.rooms_size(), 0) << grants.ShortDebugString();
  // Other members keep their grants.
  EXPECT_EQ(GrantsOf(other.pub()).rooms_size(), 1);
}

TEST_F(BrokerTest, GetGrantsOfAnUnknownIdentityIsNotFoundAndMalformedIsInvalidArgument) {
  v1::GetGrantsRequest request;
  request.set_sign_pub(Identity::Generate().sign_pub_hex());
  EXPECT_EQ(CodeOf(*broker_, &Broker::GetGrants, request), grpc::StatusCode::NOT_FOUND);
  for (const std::string& bad : {std::string(""), std::string("abc"), std::string(64, 'x')}) {
    request.set_sign_pub(bad);
    EXPECT_EQ(CodeOf(*broker_, &Broker::GetGrants, request), grpc::StatusCode::INVALID_ARGUMENT)
        << bad;
  }
}

TEST_F(BrokerTest, GetGrantsOfAServiceOrAdminCarriesTheirRole) {
  EXPECT_EQ(GrantsOf(service_->sign_pub_hex()).role(), v1::ROLE_SERVICE);
  v1::Grants admin = GrantsOf(server_->admin().sign_pub_hex());
  EXPECT_EQ(admin.role(), v1::ROLE_ADMIN);
  EXPECT_TRUE(admin.active());
}

// ---- ListGrants ----

TEST_F(BrokerTest, ListGrantsPagesThroughEveryUserAndReturnsThePosition) {
  std::vector<Peer> peers;
  for (int i = 0; i < 5; ++i) peers.push_back(NewPeer(*server_));
  TestRoom room = NewRoom(peers[0]);
  ASSERT_EQ(AddMember(peers[0], room, peers[1]), grpc::StatusCode::OK);

  std::vector<v1::Grants> all;
  std::string token;
  uint64_t first_position = 0;
  int pages = 0;
  do {
    v1::ListGrantsRequest request;
    request.set_page_size(2);
    request.set_page_token(token);
    v1::ListGrantsResponse page;
    grpc::Status status = Call(*broker_, &Broker::ListGrants, request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_LE(page.grants_size(), 2);
    if (pages == 0) first_position = page.position();
    // Nothing changes meanwhile, so every page reports the same position.
    EXPECT_EQ(page.position(), first_position);
    for (const v1::Grants& g : page.grants()) all.push_back(g);
    token = page.next_page_token();
    ASSERT_LT(++pages, 1000);
  } while (!token.empty());

  // Ascending, each identity once, and exactly the users the admin sees.
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].sign_pub(), all[i].sign_pub());
  v1::ListUsersRequest list_users;
  list_users.set_page_size(1000);
  v1::ListUsersResponse users;
  ASSERT_TRUE(Call(*users_, &Users::ListUsers, list_users, &users).ok());
  ASSERT_EQ(static_cast<int>(all.size()), users.users_size());
  for (int i = 0; i < users.users_size(); ++i) {
    EXPECT_EQ(all[i].sign_pub(), users.users(i).sign_pub());
    EXPECT_EQ(all[i].role(), users.users(i).role());
    // Each entry agrees with GetGrants.
    EXPECT_EQ(all[i].SerializeAsString(), GrantsOf(all[i].sign_pub()).SerializeAsString());
  }

  // The position is the newest change: nothing lies beyond it.
  ASSERT_GT(first_position, 0u);
  Watch beyond(*broker_, first_position + 1);
  v1::Change change;
  EXPECT_FALSE(beyond.Next(&change));
  EXPECT_EQ(beyond.Finish().error_code(), grpc::StatusCode::OUT_OF_RANGE);
  // And the last change before it is the MEMBER_ADDED just made.
  Watch from_start(*broker_, first_position - 1);
  ASSERT_TRUE(from_start.Next(&change));
  EXPECT_EQ(change.position(), first_position);
  EXPECT_EQ(change.kind(), v1::CHANGE_KIND_MEMBER_ADDED);
  EXPECT_EQ(change.sign_pub(), peers[1].pub());
  EXPECT_EQ(change.room_id(), room.id);
}

TEST_F(BrokerTest, ListGrantsRejectsNegativePageSizeAndForeignTokens) {
  v1::ListGrantsRequest negative;
  negative.set_page_size(-1);
  EXPECT_EQ(CodeOf(*broker_, &Broker::ListGrants, negative), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListGrantsRequest garbage;
  garbage.set_page_token("not a token");
  EXPECT_EQ(CodeOf(*broker_, &Broker::ListGrants, garbage), grpc::StatusCode::INVALID_ARGUMENT);
}

// ---- WatchChanges ----

TEST_F(BrokerTest, WatchChangesStreamsEveryKindOfChangeInOrderPromptly) {
  // Attack modelled: a revocation or removal that authd hears about late (or never) leaves the
  // identity on the data plane. Each change must arrive right after its write.
  Peer owner = NewPeer(*server_);
  Peer member = NewPeer(*server_);
  uint64_t position = Position();
  Watch watch(*broker_, position);

  TestRoom room = NewRoom(owner);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_MEMBER_ADDED, owner.pub(), room.id, &position));

  ASSERT_EQ(AddMember(owner, room, member), grpc::StatusCode::OK);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_MEMBER_ADDED, member.pub(), room.id, &position));

  v1::RemoveMemberRequest remove;
  remove.set_room_id(room.id);
  remove.set_sign_pub(member.pub());
  remove.set_new_epoch(2);
  *remove.add_keys() = SealRoomKey(owner.id, room.id, 2, owner.id, NewRoomKey());
  ASSERT_EQ(CodeOf(*owner.rooms, &Rooms::RemoveMember, remove), grpc::StatusCode::OK);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_MEMBER_REMOVED, member.pub(), room.id, &position));

  ASSERT_EQ(Revoke(member.pub()), grpc::StatusCode::OK);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_USER_REVOKED, member.pub(), "", &position));

  Identity newcomer = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(newcomer, v1::ROLE_MEMBER, UniqueHandle("newcomer")).ok());
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_USER_ADDED, newcomer.sign_pub_hex(), "", &position));

  // Leave is a removal too.
  Peer leaver = NewPeer(*server_);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_USER_ADDED, leaver.pub(), "", &position));
  v1::AddMemberRequest add;
  add.set_room_id(room.id);
  add.set_sign_pub(leaver.pub());
  *add.add_keys() = SealRoomKey(owner.id, room.id, 2, leaver.id, NewRoomKey());  // epoch 2 now
  ASSERT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, add), grpc::StatusCode::OK);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_MEMBER_ADDED, leaver.pub(), room.id, &position));
  v1::LeaveRequest leave;
  leave.set_room_id(room.id);
  ASSERT_EQ(CodeOf(*leaver.rooms, &Rooms::Leave, leave), grpc::StatusCode::OK);
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_MEMBER_REMOVED, leaver.pub(), room.id, &position));
  EXPECT_EQ(Position(), position);
}

TEST_F(BrokerTest, RefusedAndNoOpWritesEmitNoChange) {
  // A refused write, and revoking an already revoked user, must not show up in the feed:
  // the next change seen is the sentinel written afterwards.
  Peer owner = NewPeer(*server_);
  Peer member = NewPeer(*server_);
  TestRoom room = NewRoom(owner);
  ASSERT_EQ(Revoke(member.pub()), grpc::StatusCode::OK);
  uint64_t position = Position();
  Watch watch(*broker_, position);

  EXPECT_EQ(AddMember(owner, room, member), grpc::StatusCode::NOT_FOUND);  // revoked
  EXPECT_EQ(Revoke(member.pub()), grpc::StatusCode::OK);                   // already revoked
  EXPECT_EQ(server_->AddUser(owner.id, v1::ROLE_MEMBER, UniqueHandle("dup")).status().code(),
            absl::StatusCode::kAlreadyExists);
  Identity sentinel = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(sentinel, v1::ROLE_MEMBER, UniqueHandle("sentinel")).ok());
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_USER_ADDED, sentinel.sign_pub_hex(), "", &position));
}

TEST_F(BrokerTest, ResumingFromTheLastPositionSeenDeliversOnlyNewerChanges) {
  // authd reconnects from the last position it applied: it must neither miss nor repeat.
  std::vector<Identity> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Identity::Generate());
  uint64_t position = Position();
  {
    Watch first(*broker_, position);
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(server_->AddUser(ids[i], v1::ROLE_MEMBER, UniqueHandle("resume")).ok());
      ASSERT_NO_FATAL_FAILURE(
          ExpectNext(first, v1::CHANGE_KIND_USER_ADDED, ids[i].sign_pub_hex(), "", &position));
    }
  }  // disconnected
  for (int i = 2; i < 4; ++i) {
    ASSERT_TRUE(server_->AddUser(ids[i], v1::ROLE_MEMBER, UniqueHandle("resume")).ok());
  }
  const uint64_t last_seen = position;
  Watch second(*broker_, last_seen);
  for (int i = 2; i < 4; ++i) {
    ASSERT_NO_FATAL_FAILURE(
        ExpectNext(second, v1::CHANGE_KIND_USER_ADDED, ids[i].sign_pub_hex(), "", &position));
  }
  // Nothing else is pending: the next change is a new one.
  ASSERT_TRUE(server_->AddUser(ids[4], v1::ROLE_MEMBER, UniqueHandle("resume")).ok());
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(second, v1::CHANGE_KIND_USER_ADDED, ids[4].sign_pub_hex(), "", &position));

  // after_position = 0 replays from the oldest retained change: the first admin's USER_ADDED.
  Watch replay(*broker_, 0);
  v1::Change change;
  ASSERT_TRUE(replay.Next(&change));
  EXPECT_EQ(change.position(), 1u);
  EXPECT_EQ(change.kind(), v1::CHANGE_KIND_USER_ADDED);
  EXPECT_EQ(change.sign_pub(), server_->admin().sign_pub_hex());
}

TEST_F(BrokerTest, ARevokedServiceIdentitysOpenFeedDeliversNothingNewer) {
  // Attack: a leaked unibus-authd key is revoked, but the thief already holds a WatchChanges
  // stream and keeps reading every identity's and room's changes for as long as it stays
  // connected. Revocation must cut the feed: after its own USER_REVOKED (which it may see) the
  // stream must end with PERMISSION_DENIED and deliver no later change.
  Identity thief = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(thief, v1::ROLE_SERVICE, UniqueHandle("leaked-authd")).ok());
  auto stolen = v1::BrokerService::NewStub(server_->ChannelFor(thief));
  uint64_t position = Position();
  Watch watch(*stolen, position);
  Identity before = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(before, v1::ROLE_MEMBER, UniqueHandle("before")).ok());
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_USER_ADDED, before.sign_pub_hex(), "", &position));

  ASSERT_EQ(Revoke(thief.sign_pub_hex()), grpc::StatusCode::OK);
  const uint64_t revoked_at = Position();
  Identity after = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(after, v1::ROLE_MEMBER, UniqueHandle("after")).ok());

  v1::Change change;
  bool leaked = false;
  while (watch.Next(&change)) {
    if (change.position() > revoked_at) {
      ADD_FAILURE() << "a revoked identity's stream delivered a later change: "
                    << change.ShortDebugString();
      leaked = true;
      break;
    }
  }
  if (!leaked) {
    EXPECT_EQ(watch.Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  // A new stream is refused outright (that part is the documented per-call check).
  Watch again(*stolen, 0);
  EXPECT_FALSE(again.Next(&change));
  EXPECT_EQ(again.Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(BrokerTest, AfterPositionInTheFutureIsOutOfRange) {
  const uint64_t latest = Position();
  for (uint64_t after : {latest + 1, latest + 1000, std::numeric_limits<uint64_t>::max()}) {
    Watch watch(*broker_, after);
    v1::Change change;
    EXPECT_FALSE(watch.Next(&change)) << after;
    EXPECT_EQ(watch.Finish().error_code(), grpc::StatusCode::OUT_OF_RANGE) << after;
  }
  // The newest position itself is fine: the stream waits for the next change.
  uint64_t position = latest;
  Watch watch(*broker_, latest);
  Identity id = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(id, v1::ROLE_MEMBER, UniqueHandle("next")).ok());
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_USER_ADDED, id.sign_pub_hex(), "", &position));
}

TEST_F(BrokerTest, DeleteRoomEmitsMemberRemovedForEveryMember) {
  // Attack modelled: after a room is deleted, a member the feed forgot keeps its grant.
  Peer owner = NewPeer(*server_);
  std::vector<Peer> members;
  for (int i = 0; i < 3; ++i) members.push_back(NewPeer(*server_));
  TestRoom room = NewRoom(owner);
  TestRoom kept = NewRoom(owner);
  for (const Peer& m : members) {
    ASSERT_EQ(AddMember(owner, room, m), grpc::StatusCode::OK);
  }
  ASSERT_EQ(AddMember(owner, kept, members[0]), grpc::StatusCode::OK);
  uint64_t position = Position();
  Watch watch(*broker_, position);

  v1::DeleteRoomRequest del;
  del.set_room_id(room.id);
  ASSERT_EQ(CodeOf(*owner.rooms, &Rooms::DeleteRoom, del), grpc::StatusCode::OK);

  std::set<std::string> expected = {owner.pub()};
  for (const Peer& m : members) expected.insert(m.pub());
  std::set<std::string> removed;
  for (size_t i = 0; i < expected.size(); ++i) {
    v1::Change change;
    ASSERT_TRUE(watch.Next(&change)) << "only " << i << " removals delivered";
    EXPECT_EQ(change.kind(), v1::CHANGE_KIND_MEMBER_REMOVED);
    EXPECT_EQ(change.room_id(), room.id);
    EXPECT_GT(change.position(), position);
    position = change.position();
    EXPECT_TRUE(removed.insert(change.sign_pub()).second) << "twice: " << change.sign_pub();
  }
  EXPECT_EQ(removed, expected);
  // Nothing more for that room: the next change is a sentinel.
  Identity sentinel = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(sentinel, v1::ROLE_MEMBER, UniqueHandle("sentinel")).ok());
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_USER_ADDED, sentinel.sign_pub_hex(), "", &position));

  // And the grants agree.
  for (const Peer& m : members) {
    const v1::Grants grants = GrantsOf(m.pub());
    for (const v1::RoomGrant& g : grants.rooms()) EXPECT_NE(g.room_id(), room.id);
  }
  v1::Grants first = GrantsOf(members[0].pub());
  ASSERT_EQ(first.rooms_size(), 1);
  EXPECT_EQ(first.rooms(0).room_id(), kept.id);
}

TEST(BrokerRestartTest, TheFeedSurvivesARestart) {
  // authd resumes after a control-plane restart: old positions stay valid and new ones keep
  // increasing (a reused position would make authd skip a change).
  std::unique_ptr<testing::UnibusdProcess> server =
      testing::UnibusdProcess::Start(testing::NewTempDir("restart")).value();
  Identity service = Identity::Generate();
  ASSERT_TRUE(server->AddUser(service, v1::ROLE_SERVICE, "authd").ok());
  Peer owner = NewPeer(*server);
  TestRoom room = NewRoom(owner);

  std::vector<v1::Change> before;
  uint64_t latest = 0;
  {
    auto broker = v1::BrokerService::NewStub(server->ChannelFor(service));
    v1::ListGrantsResponse grants;
    ASSERT_TRUE(Call(*broker, &Broker::ListGrants, v1::ListGrantsRequest(), &grants).ok());
    latest = grants.position();
    Watch watch(*broker, 0);
    v1::Change change;
    while (before.empty() || before.back().position() < latest) {
      ASSERT_TRUE(watch.Next(&change));
      before.push_back(change);
    }
  }
  ASSERT_EQ(before.size(), 4u);  // admin, authd, owner added; owner joined the room
  EXPECT_EQ(before.back().kind(), v1::CHANGE_KIND_MEMBER_ADDED);

  ASSERT_TRUE(server->Restart().ok());

  // Fresh channels: the old ones point at the stopped process.
  auto broker = v1::BrokerService::NewStub(server->ChannelFor(service));
  v1::ListGrantsResponse grants;
  grpc::Status status = Call(*broker, &Broker::ListGrants, v1::ListGrantsRequest(), &grants);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(grants.position(), latest);

  // Resuming from the last position seen before the restart picks up the next change.
  uint64_t position = latest;
  Watch watch(*broker, latest);
  Identity newcomer = Identity::Generate();
  ASSERT_TRUE(server->AddUser(newcomer, v1::ROLE_MEMBER, "after-restart").ok());
  ASSERT_NO_FATAL_FAILURE(
      ExpectNext(watch, v1::CHANGE_KIND_USER_ADDED, newcomer.sign_pub_hex(), "", &position));
  EXPECT_GT(position, latest);

  // The old changes are all still listed, unchanged, before the new one.
  Watch replay(*broker, 0);
  for (const v1::Change& old : before) {
    v1::Change change;
    ASSERT_TRUE(replay.Next(&change));
    EXPECT_EQ(change.SerializeAsString(), old.SerializeAsString());
  }
  v1::Change next;
  ASSERT_TRUE(replay.Next(&next));
  EXPECT_EQ(next.position(), position);
  EXPECT_EQ(next.sign_pub(), newcomer.sign_pub_hex());

  // The grants survived too.
  v1::GetGrantsRequest get;
  get.set_sign_pub(owner.pub());
  v1::GetGrantsResponse owner_grants;
  ASSERT_TRUE(Call(*broker, &Broker::GetGrants, get, &owner_grants).ok());
  ASSERT_EQ(owner_grants.grants().rooms_size(), 1);
  EXPECT_EQ(owner_grants.grants().rooms(0).room_id(), room.id);
}

}  // namespace
}  // namespace unibus::control
