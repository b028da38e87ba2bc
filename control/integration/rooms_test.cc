// RoomService against the real unibusd binary over real mutual TLS with a real SQLite file, with
// real sealed and signed room keys. Every test asserts the exact status code, and every refused
// write is followed by reads that show nothing changed.
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

#include "common/crypto/identity.h"
#include "control/testing/rpc.h"
#include "control/testing/sealed_keys.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"
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
using Rooms = v1::RoomService::Stub;

std::string UniqueHandle(const std::string& prefix) {
  static int counter = 0;
  return absl::StrCat(prefix, "-", ++counter);
}

// A user on the allowlist with its own RoomService channel.
struct Peer {
  Identity id;
  std::string handle;
  std::unique_ptr<Rooms> rooms;

  std::string pub() const { return id.sign_pub_hex(); }
};

// An encrypted room with the key of its current epoch.
struct KeyedRoom {
  std::string id;
  uint64_t epoch = 1;
  std::string key;
};

v1::CreateRoomRequest EncryptedRoomRequest(const Identity& owner, const std::string& room_id,
                                           const std::string& room_key) {
  v1::CreateRoomRequest request;
  request.set_room_id(room_id);
  request.set_name("room " + room_id.substr(0, 6));
  *request.mutable_owner_key() = SealRoomKey(owner, room_id, 1, owner, room_key);
  return request;
}

class RoomsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = testing::UnibusdProcess::Start(testing::NewTempDir("rooms")).value().release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  static Peer NewPeer(v1::Role role = v1::ROLE_MEMBER,
                      testing::UnibusdProcess* server = nullptr) {
    if (server == nullptr) server = server_;
    Peer peer{Identity::Generate(), UniqueHandle("peer"), nullptr};
    absl::StatusOr<v1::User> added = server->AddUser(peer.id, role, peer.handle);
    EXPECT_TRUE(added.ok()) << added.status();
    peer.rooms = v1::RoomService::NewStub(server->ChannelFor(peer.id));
    return peer;
  }

  // Creates an encrypted room owned by `owner` (epoch 1).
  static KeyedRoom NewRoom(const Peer& owner) {
    KeyedRoom room{NewRoomId(), 1, NewRoomKey()};
    v1::CreateRoomResponse created;
    grpc::Status status = Call(*owner.rooms, &Rooms::CreateRoom,
                               EncryptedRoomRequest(owner.id, room.id, room.key), &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return room;
  }

  // `by` adds `who` to `room` with the current epoch's key, sealed by `by`.
  static grpc::StatusCode AddMember(const Peer& by, const KeyedRoom& room, const Peer& who,
                                    v1::RoomRole role = v1::ROOM_ROLE_MEMBER) {
    v1::AddMemberRequest request;
    request.set_room_id(room.id);
    request.set_sign_pub(who.pub());
    request.set_role(role);
    *request.add_keys() = SealRoomKey(by.id, room.id, room.epoch, who.id, room.key);
    return CodeOf(*by.rooms, &Rooms::AddMember, request);
  }

  static grpc::Status GetRoom(const Peer& as, const std::string& room_id,
                              v1::GetRoomResponse* out) {
    v1::GetRoomRequest request;
    request.set_room_id(room_id);
    return Call(*as.rooms, &Rooms::GetRoom, request, out);
  }

  // The room as `as` sees it; a failure is reported and an empty room returned.
  static v1::Room RoomAs(const Peer& as, const std::string& room_id) {
    v1::GetRoomResponse response;
    grpc::Status status = GetRoom(as, room_id, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.room();
  }

  static grpc::StatusCode GetRoomCode(const Peer& as, const std::string& room_id) {
    v1::GetRoomResponse ignored;
    return GetRoom(as, room_id, &ignored).error_code();
  }

  static grpc::Status GetKey(const Peer& as, const std::string& room_id, uint64_t epoch,
                             v1::SealedKey* out) {
    v1::GetRoomKeyRequest request;
    request.set_room_id(room_id);
    request.set_epoch(epoch);
    v1::GetRoomKeyResponse response;
    grpc::Status status = Call(*as.rooms, &Rooms::GetRoomKey, request, &response);
    if (out != nullptr) *out = response.key();
    return status;
  }

  static grpc::StatusCode GetKeyCode(const Peer& as, const std::string& room_id,
                                     uint64_t epoch) {
    return GetKey(as, room_id, epoch, nullptr).error_code();
  }

  // Every member's sign_pub as `as` lists them, in server order.
  static std::vector<std::string> Members(const Peer& as, const std::string& room_id) {
    v1::ListMembersRequest request;
    request.set_room_id(room_id);
    request.set_page_size(1000);
    v1::ListMembersResponse response;
    grpc::Status status = Call(*as.rooms, &Rooms::ListMembers, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> keys;
    for (const v1::Member& m : response.members()) keys.push_back(m.sign_pub());
    return keys;
  }

  static std::vector<std::string> Sorted(std::vector<std::string> keys) {
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  // Room ids of every room `as` belongs to.
  static std::vector<std::string> MyRoomIds(const Peer& as) {
    v1::ListMyRoomsRequest request;
    request.set_page_size(1000);
    v1::ListMyRoomsResponse response;
    grpc::Status status = Call(*as.rooms, &Rooms::ListMyRooms, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    for (const v1::MyRoom& r : response.rooms()) ids.push_back(r.room().room_id());
    return ids;
  }

  static v1::RemoveMemberRequest RemoveRequest(const Peer& by, const KeyedRoom& room,
                                               const Peer& target, uint64_t new_epoch,
                                               const std::string& new_key,
                                               const std::vector<const Peer*>& recipients) {
    v1::RemoveMemberRequest request;
    request.set_room_id(room.id);
    request.set_sign_pub(target.pub());
    request.set_new_epoch(new_epoch);
    for (const Peer* p : recipients) {
      *request.add_keys() = SealRoomKey(by.id, room.id, new_epoch, p->id, new_key);
    }
    return request;
  }

  static v1::RekeyRequest RekeyRequest(const Peer& by, const KeyedRoom& room, uint64_t new_epoch,
                                       const std::string& new_key,
                                       const std::vector<const Peer*>& recipients) {
    v1::RekeyRequest request;
    request.set_room_id(room.id);
    request.set_new_epoch(new_epoch);
    for (const Peer* p : recipients) {
      *request.add_keys() = SealRoomKey(by.id, room.id, new_epoch, p->id, new_key);
    }
    return request;
  }

  // A snapshot of everything a refused write must leave alone.
  struct Snapshot {
    uint64_t epoch;
    bool needs_rekey;
    uint32_t member_count;
    std::vector<std::string> members;
  };
  static Snapshot Snap(const Peer& as, const std::string& room_id) {
    v1::Room room = RoomAs(as, room_id);
    return {room.epoch(), room.needs_rekey(), room.member_count(), Members(as, room_id)};
  }
  static void ExpectUnchanged(const Snapshot& before, const Peer& as,
                              const std::string& room_id) {
    Snapshot after = Snap(as, room_id);
    EXPECT_EQ(after.epoch, before.epoch);
    EXPECT_EQ(after.needs_rekey, before.needs_rekey);
    EXPECT_EQ(after.member_count, before.member_count);
    EXPECT_EQ(after.members, before.members);
  }

  static testing::UnibusdProcess* server_;
};

testing::UnibusdProcess* RoomsTest::server_ = nullptr;

// ---- CreateRoom ----

TEST_F(RoomsTest, CreateRoomNamingAnotherOwnerIsInvalidArgumentAndCreatesNothing) {
  // Attack: owner spoofing. The caller tries to create a room recorded as owned by someone else
  // (to pin it on them, or to plant a room in their ListMyRooms and grants).
  Peer attacker = NewPeer();
  Peer victim = NewPeer();
  const std::string room_id = NewRoomId();
  const std::string key = NewRoomKey();
  v1::CreateRoomRequest request = EncryptedRoomRequest(attacker.id, room_id, key);
  request.set_owner(victim.pub());
  EXPECT_EQ(CodeOf(*attacker.rooms, &Rooms::CreateRoom, request),
            grpc::StatusCode::INVALID_ARGUMENT);

  EXPECT_EQ(GetRoomCode(victim, room_id), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetRoomCode(attacker, room_id), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(MyRoomIds(victim).empty());
  EXPECT_TRUE(MyRoomIds(attacker).empty());
  // The id was not even reserved: its rightful creation still works.
  request.clear_owner();
  EXPECT_EQ(CodeOf(*attacker.rooms, &Rooms::CreateRoom, request), grpc::StatusCode::OK);
  EXPECT_EQ(RoomAs(attacker, room_id).owner(), attacker.pub());
}

TEST_F(RoomsTest, CreateRoomNamingTheCallerAsOwnerInAnyCaseWorks) {
  Peer owner = NewPeer();
  const std::string room_id = NewRoomId();
  v1::CreateRoomRequest request = EncryptedRoomRequest(owner.id, room_id, NewRoomKey());
  request.set_owner(absl::AsciiStrToUpper(owner.pub()));
  v1::CreateRoomResponse created;
  ASSERT_TRUE(Call(*owner.rooms, &Rooms::CreateRoom, request, &created).ok());
  EXPECT_EQ(created.room().owner(), owner.pub());
}

TEST_F(RoomsTest, EncryptedRoomWithoutOwnerKeyIsInvalidArgument) {
  Peer owner = NewPeer();
  v1::CreateRoomRequest request = EncryptedRoomRequest(owner.id, NewRoomId(), NewRoomKey());
  request.clear_owner_key();
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom, request),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetRoomCode(owner, request.room_id()), grpc::StatusCode::NOT_FOUND);
  // Explicitly encrypted, still no key.
  request.set_encrypted(true);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom, request),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetRoomCode(owner, request.room_id()), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RoomsTest, EncryptedRoomWithABadOwnerKeyIsInvalidArgumentAndCreatesNothing) {
  // Attack: a room whose epoch-1 key the owner cannot open, or that someone else produced
  // (replayed from another room or epoch, or forged), so that members would trust a key the
  // owner never made.
  Peer owner = NewPeer();
  Peer other = NewPeer();
  const std::string key = NewRoomKey();
  struct Case {
    std::string what;
    v1::SealedKey owner_key;
  };
  auto room_id = NewRoomId();
  std::vector<Case> cases;
  cases.push_back({"signed by someone else", SealRoomKey(other.id, room_id, 1, owner.id, key)});
  {
    v1::SealedKey k = SealRoomKey(other.id, room_id, 1, owner.id, key);
    k.set_signer(owner.pub());  // claims the owner signed it
    cases.push_back({"signed by someone else, signer relabelled", k});
  }
  cases.push_back({"sealed to someone else", SealRoomKey(owner.id, room_id, 1, other.id, key)});
  cases.push_back({"for another room", SealRoomKey(owner.id, NewRoomId(), 1, owner.id, key)});
  cases.push_back({"for epoch 2", SealRoomKey(owner.id, room_id, 2, owner.id, key)});
  cases.push_back({"for epoch 0", SealRoomKey(owner.id, room_id, 0, owner.id, key)});
  {
    v1::SealedKey k = SealRoomKey(owner.id, room_id, 1, owner.id, key);
    std::string sig = k.signature();
    sig[10] ^= 0x01;
    k.set_signature(sig);
    cases.push_back({"flipped signature byte", k});
  }
  {
    v1::SealedKey k = SealRoomKey(owner.id, room_id, 1, owner.id, key);
    std::string sealed = k.sealed();
    sealed[0] ^= 0x01;
    k.set_sealed(sealed);
    cases.push_back({"sealed bytes changed after signing", k});
  }
  {
    v1::SealedKey k = SealRoomKey(owner.id, room_id, 1, owner.id, key);
    k.set_recipient(other.pub());
    cases.push_back({"recipient relabelled after signing", k});
  }
  {
    v1::SealedKey k = SealRoomKey(owner.id, room_id, 1, owner.id, key);
    k.set_sealed(k.sealed().substr(0, 79));
    cases.push_back({"79 sealed bytes", k});
  }
  {
    v1::SealedKey k = SealRoomKey(owner.id, room_id, 1, owner.id, key);
    k.clear_signature();
    cases.push_back({"no signature", k});
  }
  for (const Case& c : cases) {
    v1::CreateRoomRequest request;
    request.set_room_id(room_id);
    request.set_name("bad key");
    *request.mutable_owner_key() = c.owner_key;
    EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom, request),
              grpc::StatusCode::INVALID_ARGUMENT)
        << c.what;
    EXPECT_EQ(GetRoomCode(owner, room_id), grpc::StatusCode::NOT_FOUND) << c.what;
  }
  EXPECT_TRUE(MyRoomIds(owner).empty());
}

TEST_F(RoomsTest, EncryptedRoomWithoutOrWithAMalformedRoomIdIsInvalidArgument) {
  Peer owner = NewPeer();
  const std::string key = NewRoomKey();
  // No room_id: the owner's key cannot be bound to an id the server picks later.
  v1::CreateRoomRequest request;
  request.set_name("no id");
  *request.mutable_owner_key() = SealRoomKey(owner.id, "", 1, owner.id, key);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom, request),
            grpc::StatusCode::INVALID_ARGUMENT);
  for (std::string bad : {std::string("abc"), std::string(32, 'A'), std::string(32, 'g'),
                          NewRoomId() + "0", std::string("../") + NewRoomId().substr(3)}) {
    EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom, EncryptedRoomRequest(owner.id, bad, key)),
              grpc::StatusCode::INVALID_ARGUMENT)
        << bad;
  }
  EXPECT_TRUE(MyRoomIds(owner).empty());
}

TEST_F(RoomsTest, CreateRoomRejectsBadNames) {
  Peer owner = NewPeer();
  // (Invalid UTF-8 cannot even be sent: proto3 strings refuse it on the wire.)
  for (std::string name : {std::string(""), std::string(129, 'n'), std::string("tab\there"),
                           std::string("del\x7f"), std::string("new\nline"),
                           std::string("nul\0x", 5)}) {
    v1::CreateRoomRequest request = EncryptedRoomRequest(owner.id, NewRoomId(), NewRoomKey());
    request.set_name(name);
    EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom, request),
              grpc::StatusCode::INVALID_ARGUMENT)
        << name;
  }
  EXPECT_TRUE(MyRoomIds(owner).empty());
}

TEST_F(RoomsTest, RoomNamesWithC1ControlCharactersAreInvalidArgument) {
  // Attack: terminal escape injection. U+009B (CSI) acts like ESC '[' in many terminals, and
  // U+0085 (NEL) breaks lines; room names are shown to people by CLIs and logs. The API allows
  // "UTF-8 without control characters", and U+0080-U+009F are control characters (Unicode Cc)
  // just like U+0000-U+001F and U+007F.
  Peer owner = NewPeer();
  for (std::string name : {std::string("evil\xc2\x9b" "2J"), std::string("line\xc2\x85" "break"),
                           std::string("\xc2\x80"), std::string("x\xc2\x9f")}) {
    v1::CreateRoomRequest request = EncryptedRoomRequest(owner.id, NewRoomId(), NewRoomKey());
    request.set_name(name);
    EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom, request),
              grpc::StatusCode::INVALID_ARGUMENT)
        << "name bytes " << absl::CEscape(name);
    EXPECT_EQ(GetRoomCode(owner, request.room_id()), grpc::StatusCode::NOT_FOUND)
        << "name bytes " << absl::CEscape(name);
  }
}

TEST_F(RoomsTest, RevokingAMemberMarksItsEncryptedRoomsForRekey) {
  // Attack modelled: a revoked key still holds the current room key; the room must be flagged
  // so that managers rotate away from it, and the manager must be able to do so without
  // sealing the next key to the revoked identity.
  Peer owner = NewPeer();
  Peer member = NewPeer();
  Peer revoked = NewPeer();
  KeyedRoom encrypted = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, encrypted, member), grpc::StatusCode::OK);
  ASSERT_EQ(AddMember(owner, encrypted, revoked), grpc::StatusCode::OK);
  KeyedRoom untouched = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, untouched, member), grpc::StatusCode::OK);
  v1::CreateRoomRequest plain_request;
  plain_request.set_name("plain");
  plain_request.set_encrypted(false);
  v1::CreateRoomResponse plain;
  ASSERT_TRUE(Call(*owner.rooms, &Rooms::CreateRoom, plain_request, &plain).ok());
  v1::AddMemberRequest join_plain;
  join_plain.set_room_id(plain.room().room_id());
  join_plain.set_sign_pub(revoked.pub());
  ASSERT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, join_plain), grpc::StatusCode::OK);

  auto users = v1::UserService::NewStub(server_->ChannelFor(server_->admin()));
  v1::RevokeUserRequest revoke;
  revoke.set_sign_pub(revoked.pub());
  ASSERT_EQ(CodeOf(*users, &v1::UserService::Stub::RevokeUser, revoke), grpc::StatusCode::OK);

  EXPECT_TRUE(RoomAs(owner, encrypted.id).needs_rekey());
  EXPECT_FALSE(RoomAs(owner, untouched.id).needs_rekey());     // the revoked user was not in it
  EXPECT_FALSE(RoomAs(owner, plain.room().room_id()).needs_rekey());  // no keys to rotate
  EXPECT_EQ(RoomAs(owner, encrypted.id).epoch(), 1u);

  // The revoked identity can no longer read anything itself.
  EXPECT_EQ(GetRoomCode(revoked, encrypted.id), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetKeyCode(revoked, encrypted.id, 0), grpc::StatusCode::PERMISSION_DENIED);

  // Removing the revoked member moves the room on with keys for the others only.
  v1::RemoveMemberResponse removed;
  grpc::Status status =
      Call(*owner.rooms, &Rooms::RemoveMember,
           RemoveRequest(owner, encrypted, revoked, 2, NewRoomKey(), {&owner, &member}), &removed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(removed.room().epoch(), 2u);
  EXPECT_FALSE(removed.room().needs_rekey());
  EXPECT_EQ(Members(owner, encrypted.id), Sorted({owner.pub(), member.pub()}));
}

TEST_F(RoomsTest, CreateRoomAppliesSecureDefaults) {
  Peer owner = NewPeer();
  const std::string room_id = NewRoomId();
  const std::string key = NewRoomKey();
  v1::CreateRoomRequest request = EncryptedRoomRequest(owner.id, room_id, key);
  request.set_name("Ünïcode room ✓");
  v1::CreateRoomResponse created;
  grpc::Status status = Call(*owner.rooms, &Rooms::CreateRoom, request, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const v1::Room& room : {created.room(), RoomAs(owner, room_id)}) {
    EXPECT_EQ(room.room_id(), room_id);
    EXPECT_EQ(room.name(), "Ünïcode room ✓");
    EXPECT_EQ(room.owner(), owner.pub());
    EXPECT_TRUE(room.policy().encrypted());
    EXPECT_TRUE(room.policy().signed_frames());
    EXPECT_TRUE(room.policy().history());
    EXPECT_EQ(room.epoch(), 1u);
    EXPECT_FALSE(room.needs_rekey());
    EXPECT_EQ(room.subject(), "ub.room." + room_id);
    EXPECT_EQ(room.member_count(), 1u);
    EXPECT_GT(room.created_at_ms(), 0);
  }
  v1::GetRoomResponse got;
  ASSERT_TRUE(GetRoom(owner, room_id, &got).ok());
  EXPECT_EQ(got.my_role(), v1::ROOM_ROLE_OWNER);
  EXPECT_EQ(Members(owner, room_id), std::vector<std::string>{owner.pub()});
  // The owner's epoch-1 key is stored exactly as sent.
  v1::SealedKey stored;
  ASSERT_TRUE(GetKey(owner, room_id, 0, &stored).ok());
  EXPECT_EQ(stored.SerializeAsString(), request.owner_key().SerializeAsString());
}

TEST_F(RoomsTest, CreateRoomKeepsExplicitPolicyFlags) {
  Peer owner = NewPeer();
  v1::CreateRoomRequest request = EncryptedRoomRequest(owner.id, NewRoomId(), NewRoomKey());
  request.set_signed_frames(false);
  request.set_history(false);
  v1::CreateRoomResponse created;
  ASSERT_TRUE(Call(*owner.rooms, &Rooms::CreateRoom, request, &created).ok());
  v1::Room room = RoomAs(owner, request.room_id());
  EXPECT_TRUE(room.policy().encrypted());
  EXPECT_FALSE(room.policy().signed_frames());
  EXPECT_FALSE(room.policy().history());
}

TEST_F(RoomsTest, DuplicateRoomIdIsAlreadyExistsAndTheRoomIsUntouched) {
  // Attack: taking over another user's room by creating one with the same id.
  Peer owner = NewPeer();
  Peer attacker = NewPeer();
  KeyedRoom room = NewRoom(owner);
  const v1::Room before = RoomAs(owner, room.id);
  v1::SealedKey key_before;
  ASSERT_TRUE(GetKey(owner, room.id, 1, &key_before).ok());
  EXPECT_EQ(CodeOf(*attacker.rooms, &Rooms::CreateRoom,
                   EncryptedRoomRequest(attacker.id, room.id, NewRoomKey())),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom,
                   EncryptedRoomRequest(owner.id, room.id, NewRoomKey())),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(RoomAs(owner, room.id).SerializeAsString(), before.SerializeAsString());
  EXPECT_EQ(GetRoomCode(attacker, room.id), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Members(owner, room.id), std::vector<std::string>{owner.pub()});
  EXPECT_TRUE(MyRoomIds(attacker).empty());
  // The owner's key was not replaced by either attempt.
  v1::SealedKey key_after;
  ASSERT_TRUE(GetKey(owner, room.id, 1, &key_after).ok());
  EXPECT_EQ(key_after.SerializeAsString(), key_before.SerializeAsString());
}

TEST_F(RoomsTest, CleartextRoomOnALoopbackServerWorksAtEpochZero) {
  Peer owner = NewPeer();
  Peer member = NewPeer();
  v1::CreateRoomRequest request;
  request.set_name("plain");
  request.set_encrypted(false);
  v1::CreateRoomResponse created;
  grpc::Status status = Call(*owner.rooms, &Rooms::CreateRoom, request, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::Room& room = created.room();
  EXPECT_EQ(room.room_id().size(), 32u);  // generated by the server
  EXPECT_EQ(room.room_id().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_FALSE(room.policy().encrypted());
  EXPECT_FALSE(room.policy().signed_frames());  // defaults to `encrypted`
  EXPECT_TRUE(room.policy().history());
  EXPECT_EQ(room.epoch(), 0u);
  EXPECT_EQ(room.subject(), "ub.room." + room.room_id());
  EXPECT_EQ(RoomAs(owner, room.room_id()).epoch(), 0u);
  EXPECT_EQ(GetKeyCode(owner, room.room_id(), 0), grpc::StatusCode::FAILED_PRECONDITION);

  // Members join without keys; a key is refused.
  KeyedRoom plain{room.room_id(), 0, NewRoomKey()};
  v1::AddMemberRequest with_key;
  with_key.set_room_id(plain.id);
  with_key.set_sign_pub(member.pub());
  *with_key.add_keys() = SealRoomKey(owner.id, plain.id, 0, member.id, plain.key);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, with_key),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetRoomCode(member, plain.id), grpc::StatusCode::NOT_FOUND);
  v1::AddMemberRequest add;
  add.set_room_id(plain.id);
  add.set_sign_pub(member.pub());
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, add), grpc::StatusCode::OK);
  EXPECT_EQ(RoomAs(member, plain.id).epoch(), 0u);
  // Removing a member of a cleartext room needs no keys and keeps epoch 0.
  v1::RemoveMemberRequest remove;
  remove.set_room_id(plain.id);
  remove.set_sign_pub(member.pub());
  v1::RemoveMemberResponse removed;
  ASSERT_TRUE(Call(*owner.rooms, &Rooms::RemoveMember, remove, &removed).ok());
  EXPECT_EQ(removed.room().epoch(), 0u);
  EXPECT_EQ(GetRoomCode(member, plain.id), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RoomsTest, CleartextRoomWithAnOwnerKeyIsInvalidArgument) {
  Peer owner = NewPeer();
  const std::string room_id = NewRoomId();
  v1::CreateRoomRequest request = EncryptedRoomRequest(owner.id, room_id, NewRoomKey());
  request.set_encrypted(false);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom, request),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetRoomCode(owner, room_id), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RoomsTest, CleartextRoomIsPermissionDeniedWhereTheOperatorDeniesThem) {
  // Attack: a client downgrading a room to cleartext on a node whose operator requires
  // end-to-end encryption.
  std::unique_ptr<testing::UnibusdProcess> deny =
      testing::UnibusdProcess::Start(testing::NewTempDir("deny"), {"--cleartext_rooms=deny"})
          .value();
  Peer owner = NewPeer(v1::ROLE_MEMBER, deny.get());
  v1::CreateRoomRequest request;
  request.set_name("plain");
  request.set_encrypted(false);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom, request),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string room_id = NewRoomId();
  request.set_room_id(room_id);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom, request),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetRoomCode(owner, room_id), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(MyRoomIds(owner).empty());
  // Encrypted rooms are still fine there.
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::CreateRoom,
                   EncryptedRoomRequest(owner.id, NewRoomId(), NewRoomKey())),
            grpc::StatusCode::OK);
}

// ---- Non-members ----

TEST_F(RoomsTest, NonMemberGetsNotFoundExactlyAsForAMissingRoom) {
  // Attack: probing whether a room id exists (and what it holds) without being a member.
  Peer owner = NewPeer();
  Peer outsider = NewPeer();
  KeyedRoom room = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, room, NewPeer()), grpc::StatusCode::OK);
  const std::string missing = NewRoomId();

  for (const std::string& id : {room.id, missing}) {
    SCOPED_TRACE(id == room.id ? "existing room" : "missing room");
    v1::GetRoomResponse get;
    grpc::Status got = GetRoom(outsider, id, &get);
    EXPECT_EQ(got.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_FALSE(get.has_room());

    v1::ListMembersRequest list;
    list.set_room_id(id);
    v1::ListMembersResponse members;
    grpc::Status listed = Call(*outsider.rooms, &Rooms::ListMembers, list, &members);
    EXPECT_EQ(listed.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(members.members_size(), 0);

    v1::SealedKey key;
    grpc::Status keyed = GetKey(outsider, id, 0, &key);
    EXPECT_EQ(keyed.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(GetKeyCode(outsider, id, 1), grpc::StatusCode::NOT_FOUND);
    EXPECT_TRUE(key.sealed().empty());

    v1::LeaveRequest leave;
    leave.set_room_id(id);
    EXPECT_EQ(CodeOf(*outsider.rooms, &Rooms::Leave, leave), grpc::StatusCode::NOT_FOUND);
    v1::DeleteRoomRequest del;
    del.set_room_id(id);
    EXPECT_EQ(CodeOf(*outsider.rooms, &Rooms::DeleteRoom, del), grpc::StatusCode::NOT_FOUND);
    KeyedRoom target{id, 1, NewRoomKey()};
    EXPECT_EQ(AddMember(outsider, target, outsider), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(CodeOf(*outsider.rooms, &Rooms::Rekey,
                     RekeyRequest(outsider, target, 2, NewRoomKey(), {&outsider})),
              grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(CodeOf(*outsider.rooms, &Rooms::RemoveMember,
                     RemoveRequest(outsider, target, owner, 2, NewRoomKey(), {&outsider})),
              grpc::StatusCode::NOT_FOUND);
  }
  // Not even the error text tells the two apart.
  v1::GetRoomResponse a, b;
  EXPECT_EQ(GetRoom(outsider, room.id, &a).error_message(),
            GetRoom(outsider, missing, &b).error_message());
  v1::SealedKey ka, kb;
  EXPECT_EQ(GetKey(outsider, room.id, 0, &ka).error_message(),
            GetKey(outsider, missing, 0, &kb).error_message());

  // None of that made the outsider a member or changed the room.
  EXPECT_EQ(RoomAs(owner, room.id).member_count(), 2u);
  EXPECT_EQ(RoomAs(owner, room.id).epoch(), 1u);
  EXPECT_TRUE(MyRoomIds(outsider).empty());
}

TEST_F(RoomsTest, GlobalAdminWhoIsNotAMemberCannotReadTheRoom) {
  // Attack: a (compromised) global admin key reading rooms it does not belong to. Room rights
  // come from membership only.
  Peer owner = NewPeer();
  KeyedRoom room = NewRoom(owner);
  Peer admin = NewPeer(v1::ROLE_ADMIN);
  EXPECT_EQ(GetRoomCode(admin, room.id), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetKeyCode(admin, room.id, 0), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(AddMember(admin, room, admin), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Members(owner, room.id), std::vector<std::string>{owner.pub()});
}

// ---- GetRoomKey ----

TEST_F(RoomsTest, GetRoomKeyReturnsOnlyTheCallersOwnKey) {
  // Attack: a member fetching the sealed key of another member (e.g. to hand it to an outsider
  // whose kex key it matches, or to learn who holds which epoch).
  Peer owner = NewPeer();
  Peer member = NewPeer();
  KeyedRoom room = NewRoom(owner);
  v1::AddMemberRequest add;
  add.set_room_id(room.id);
  add.set_sign_pub(member.pub());
  *add.add_keys() = SealRoomKey(owner.id, room.id, 1, member.id, room.key);
  ASSERT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, add), grpc::StatusCode::OK);

  v1::SealedKey owners, members;
  ASSERT_TRUE(GetKey(owner, room.id, 0, &owners).ok());
  ASSERT_TRUE(GetKey(member, room.id, 0, &members).ok());
  EXPECT_EQ(owners.recipient(), owner.pub());
  EXPECT_EQ(members.recipient(), member.pub());
  EXPECT_EQ(owners.epoch(), 1u);
  EXPECT_EQ(members.epoch(), 1u);
  EXPECT_EQ(members.SerializeAsString(), add.keys(0).SerializeAsString());
  EXPECT_NE(owners.sealed(), members.sealed());
  // Epoch 0 and the explicit current epoch give the same key.
  v1::SealedKey explicit_epoch;
  ASSERT_TRUE(GetKey(member, room.id, 1, &explicit_epoch).ok());
  EXPECT_EQ(explicit_epoch.SerializeAsString(), members.SerializeAsString());
  // An epoch with no key for the caller.
  EXPECT_EQ(GetKeyCode(member, room.id, 2), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetKeyCode(member, room.id, 99), grpc::StatusCode::NOT_FOUND);

  // There is no way to name a recipient: the request has only room_id and epoch.
  const google::protobuf::Descriptor* request = v1::GetRoomKeyRequest::descriptor();
  ASSERT_EQ(request->field_count(), 2);
  EXPECT_NE(request->FindFieldByName("room_id"), nullptr);
  EXPECT_NE(request->FindFieldByName("epoch"), nullptr);
}

// ---- AddMember ----

TEST_F(RoomsTest, AddMemberByAPlainMemberIsPermissionDenied) {
  // Attack: an ordinary member inviting an outsider into the room.
  Peer owner = NewPeer();
  Peer member = NewPeer();
  Peer outsider = NewPeer();
  KeyedRoom room = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, room, member), grpc::StatusCode::OK);
  const Snapshot before = Snap(owner, room.id);
  EXPECT_EQ(AddMember(member, room, outsider), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AddMember(member, room, outsider, v1::ROOM_ROLE_ADMIN),
            grpc::StatusCode::PERMISSION_DENIED);
  ExpectUnchanged(before, owner, room.id);
  EXPECT_EQ(GetRoomCode(outsider, room.id), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RoomsTest, RoomAdminAddingAnAdminIsPermissionDeniedButMayAddMembers) {
  // Attack: a room admin multiplying admins (only the owner grants ADMIN).
  Peer owner = NewPeer();
  Peer admin = NewPeer();
  Peer candidate = NewPeer();
  KeyedRoom room = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, room, admin, v1::ROOM_ROLE_ADMIN), grpc::StatusCode::OK);
  const Snapshot before = Snap(owner, room.id);
  EXPECT_EQ(AddMember(admin, room, candidate, v1::ROOM_ROLE_ADMIN),
            grpc::StatusCode::PERMISSION_DENIED);
  ExpectUnchanged(before, owner, room.id);
  EXPECT_EQ(GetRoomCode(candidate, room.id), grpc::StatusCode::NOT_FOUND);
  // Owner and ADMIN are the only grantable roles besides MEMBER; OWNER is never grantable.
  EXPECT_EQ(AddMember(owner, room, candidate, v1::ROOM_ROLE_OWNER),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GetRoomCode(candidate, room.id), grpc::StatusCode::NOT_FOUND);

  EXPECT_EQ(AddMember(admin, room, candidate), grpc::StatusCode::OK);
  v1::GetRoomResponse got;
  ASSERT_TRUE(GetRoom(candidate, room.id, &got).ok());
  EXPECT_EQ(got.my_role(), v1::ROOM_ROLE_MEMBER);
  Peer second_admin = NewPeer();
  EXPECT_EQ(AddMember(owner, room, second_admin, v1::ROOM_ROLE_ADMIN), grpc::StatusCode::OK);
  ASSERT_TRUE(GetRoom(second_admin, room.id, &got).ok());
  EXPECT_EQ(got.my_role(), v1::ROOM_ROLE_ADMIN);
}

TEST_F(RoomsTest, AddMemberWithAForgedKeyIsInvalidArgumentAndAddsNobody) {
  // Attack: admitting a member with a room key the caller did not seal: a key signed by
  // another member (the server must only accept the caller's own signature), a tampered
  // signature, or a key sealed to someone other than the new member (who then could not read,
  // while the real holder is someone else).
  Peer owner = NewPeer();
  Peer member = NewPeer();
  Peer newcomer = NewPeer();
  Peer third = NewPeer();
  KeyedRoom room = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, room, member), grpc::StatusCode::OK);
  const Snapshot before = Snap(owner, room.id);

  struct Case {
    std::string what;
    v1::SealedKey key;
  };
  std::vector<Case> cases;
  cases.push_back({"signed by another member",
                   SealRoomKey(member.id, room.id, 1, newcomer.id, room.key)});
  {
    v1::SealedKey k = SealRoomKey(member.id, room.id, 1, newcomer.id, room.key);
    k.set_signer(owner.pub());
    cases.push_back({"signed by another member, signer relabelled", k});
  }
  {
    v1::SealedKey k = SealRoomKey(owner.id, room.id, 1, newcomer.id, room.key);
    std::string sig = k.signature();
    sig[63] ^= 0x80;
    k.set_signature(sig);
    cases.push_back({"flipped signature byte", k});
  }
  cases.push_back(
      {"sealed to a different recipient", SealRoomKey(owner.id, room.id, 1, third.id, room.key)});
  {
    v1::SealedKey k = SealRoomKey(owner.id, room.id, 1, third.id, room.key);
    k.set_recipient(newcomer.pub());
    cases.push_back({"sealed to a different recipient, relabelled", k});
  }
  cases.push_back(
      {"for another room", SealRoomKey(owner.id, NewRoomId(), 1, newcomer.id, room.key)});
  cases.push_back({"for epoch 0", SealRoomKey(owner.id, room.id, 0, newcomer.id, room.key)});
  cases.push_back(
      {"for a future epoch", SealRoomKey(owner.id, room.id, 2, newcomer.id, room.key)});
  {
    v1::SealedKey k = SealRoomKey(owner.id, room.id, 1, newcomer.id, room.key);
    k.set_sealed(k.sealed() + "x");
    cases.push_back({"81 sealed bytes", k});
  }
  for (const Case& c : cases) {
    v1::AddMemberRequest request;
    request.set_room_id(room.id);
    request.set_sign_pub(newcomer.pub());
    *request.add_keys() = c.key;
    EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, request),
              grpc::StatusCode::INVALID_ARGUMENT)
        << c.what;
    // A forged key next to a good one is refused as well.
    *request.add_keys() = SealRoomKey(owner.id, room.id, 1, newcomer.id, room.key);
    EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, request),
              grpc::StatusCode::INVALID_ARGUMENT)
        << c.what << " (with a good key)";
    EXPECT_EQ(GetRoomCode(newcomer, room.id), grpc::StatusCode::NOT_FOUND) << c.what;
  }
  ExpectUnchanged(before, owner, room.id);
  EXPECT_EQ(GetRoomCode(third, room.id), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(AddMember(owner, room, newcomer), grpc::StatusCode::OK);  // the real key works
}

TEST_F(RoomsTest, AddMemberWithoutTheCurrentEpochsKeyIsFailedPrecondition) {
  // Attack/accident: a member admitted without the key every sender uses now.
  Peer owner = NewPeer();
  Peer member = NewPeer();
  Peer newcomer = NewPeer();
  KeyedRoom room = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, room, member), grpc::StatusCode::OK);

  v1::AddMemberRequest no_keys;
  no_keys.set_room_id(room.id);
  no_keys.set_sign_pub(newcomer.pub());
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, no_keys),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(GetRoomCode(newcomer, room.id), grpc::StatusCode::NOT_FOUND);

  // Move the room to epoch 2; an epoch-1 key alone is then not enough.
  const std::string key2 = NewRoomKey();
  ASSERT_EQ(CodeOf(*owner.rooms, &Rooms::Rekey,
                   RekeyRequest(owner, room, 2, key2, {&owner, &member})),
            grpc::StatusCode::OK);
  const Snapshot before = Snap(owner, room.id);
  v1::AddMemberRequest old_only = no_keys;
  *old_only.add_keys() = SealRoomKey(owner.id, room.id, 1, newcomer.id, room.key);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, old_only),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(GetRoomCode(newcomer, room.id), grpc::StatusCode::NOT_FOUND);
  ExpectUnchanged(before, owner, room.id);

  // Current plus earlier epoch: admitted, with access to history.
  v1::AddMemberRequest both = old_only;
  *both.add_keys() = SealRoomKey(owner.id, room.id, 2, newcomer.id, key2);
  ASSERT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, both), grpc::StatusCode::OK);
  v1::SealedKey k1, k2;
  ASSERT_TRUE(GetKey(newcomer, room.id, 1, &k1).ok());
  ASSERT_TRUE(GetKey(newcomer, room.id, 0, &k2).ok());
  EXPECT_EQ(k1.epoch(), 1u);
  EXPECT_EQ(k2.epoch(), 2u);
  EXPECT_EQ(k2.SerializeAsString(), both.keys(1).SerializeAsString());
}

TEST_F(RoomsTest, AddMemberOfAnUnknownOrRevokedUserIsNotFound) {
  // Attack: smuggling a key that is not (or no longer) on the allowlist into a room, e.g. a
  // revoked laptop's key.
  Peer owner = NewPeer();
  KeyedRoom room = NewRoom(owner);
  Peer revoked = NewPeer();
  auto users = v1::UserService::NewStub(server_->ChannelFor(server_->admin()));
  v1::RevokeUserRequest revoke;
  revoke.set_sign_pub(revoked.pub());
  ASSERT_EQ(CodeOf(*users, &v1::UserService::Stub::RevokeUser, revoke), grpc::StatusCode::OK);
  Peer unknown{Identity::Generate(), "never-added", nullptr};

  const Snapshot before = Snap(owner, room.id);
  EXPECT_EQ(AddMember(owner, room, unknown), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(AddMember(owner, room, revoked), grpc::StatusCode::NOT_FOUND);
  ExpectUnchanged(before, owner, room.id);
  // Malformed keys are a different matter.
  v1::AddMemberRequest bad;
  bad.set_room_id(room.id);
  bad.set_sign_pub("not-a-key");
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::AddMember, bad), grpc::StatusCode::INVALID_ARGUMENT);
  ExpectUnchanged(before, owner, room.id);
}

TEST_F(RoomsTest, AddingAnExistingMemberIsAlreadyExistsAndKeepsTheirRole) {
  // Attack: re-adding a member to change its role (e.g. promote it to ADMIN) or to overwrite
  // its stored key.
  Peer owner = NewPeer();
  Peer member = NewPeer();
  KeyedRoom room = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, room, member), grpc::StatusCode::OK);
  v1::SealedKey key_before;
  ASSERT_TRUE(GetKey(member, room.id, 0, &key_before).ok());
  const Snapshot before = Snap(owner, room.id);

  EXPECT_EQ(AddMember(owner, room, member), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(AddMember(owner, room, member, v1::ROOM_ROLE_ADMIN),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(AddMember(owner, room, owner), grpc::StatusCode::ALREADY_EXISTS);
  ExpectUnchanged(before, owner, room.id);
  v1::GetRoomResponse got;
  ASSERT_TRUE(GetRoom(member, room.id, &got).ok());
  EXPECT_EQ(got.my_role(), v1::ROOM_ROLE_MEMBER);
  ASSERT_TRUE(GetRoom(owner, room.id, &got).ok());
  EXPECT_EQ(got.my_role(), v1::ROOM_ROLE_OWNER);
  v1::SealedKey key_after;
  ASSERT_TRUE(GetKey(member, room.id, 0, &key_after).ok());
  EXPECT_EQ(key_after.SerializeAsString(), key_before.SerializeAsString());
}

// ---- RemoveMember ----

// A room with owner, a room admin and two plain members.
class RemoveMemberTest : public RoomsTest {
 protected:
  void SetUp() override {
    room_ = NewRoom(owner_);
    ASSERT_EQ(AddMember(owner_, room_, admin_, v1::ROOM_ROLE_ADMIN), grpc::StatusCode::OK);
    ASSERT_EQ(AddMember(owner_, room_, stays_), grpc::StatusCode::OK);
    ASSERT_EQ(AddMember(owner_, room_, goes_), grpc::StatusCode::OK);
  }

  Peer owner_ = NewPeer();
  Peer admin_ = NewPeer();
  Peer stays_ = NewPeer();
  Peer goes_ = NewPeer();
  KeyedRoom room_;
  const std::string next_key_ = NewRoomKey();
};

TEST_F(RemoveMemberTest, MissingARemainingMembersKeyIsFailedPreconditionAndChangesNothing) {
  // Attack: a removal that leaves a remaining member without the new key (or quietly drops a
  // member from the new epoch) must not half-happen.
  const Snapshot before = Snap(owner_, room_.id);
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(owner_, room_, goes_, 2, next_key_, {&owner_, &admin_})),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(owner_, room_, goes_, 2, next_key_, {})),
            grpc::StatusCode::FAILED_PRECONDITION);
  // A duplicate instead of the missing one does not count.
  EXPECT_EQ(
      CodeOf(*owner_.rooms, &Rooms::RemoveMember,
             RemoveRequest(owner_, room_, goes_, 2, next_key_, {&owner_, &admin_, &admin_})),
      grpc::StatusCode::FAILED_PRECONDITION);
  ExpectUnchanged(before, owner_, room_.id);
  EXPECT_EQ(before.epoch, 1u);
  EXPECT_EQ(before.members.size(), 4u);
  // The member that was to be removed is still in, with its key; no epoch-2 key was stored.
  EXPECT_EQ(GetRoomCode(goes_, room_.id), grpc::StatusCode::OK);
  EXPECT_EQ(GetKeyCode(goes_, room_.id, 0), grpc::StatusCode::OK);
  EXPECT_EQ(GetKeyCode(owner_, room_.id, 2), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetKeyCode(admin_, room_.id, 2), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RemoveMemberTest, AKeyForTheRemovedMemberIsFailedPrecondition) {
  // Attack: the removed member keeps the next epoch's key and can go on reading.
  const Snapshot before = Snap(owner_, room_.id);
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(owner_, room_, goes_, 2, next_key_,
                                 {&owner_, &admin_, &stays_, &goes_})),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Swapping the removed member in for a remaining one is no better.
  EXPECT_EQ(
      CodeOf(*owner_.rooms, &Rooms::RemoveMember,
             RemoveRequest(owner_, room_, goes_, 2, next_key_, {&owner_, &admin_, &goes_})),
      grpc::StatusCode::FAILED_PRECONDITION);
  // Nor is a key for an outsider.
  Peer outsider = NewPeer();
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(owner_, room_, goes_, 2, next_key_,
                                 {&owner_, &admin_, &stays_, &outsider})),
            grpc::StatusCode::FAILED_PRECONDITION);
  ExpectUnchanged(before, owner_, room_.id);
  EXPECT_EQ(GetKeyCode(goes_, room_.id, 2), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetKeyCode(outsider, room_.id, 2), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetRoomCode(outsider, room_.id), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RemoveMemberTest, StaleNewEpochIsAborted) {
  // A client working from an old view of the room (someone rekeyed meanwhile).
  const Snapshot before = Snap(owner_, room_.id);
  for (uint64_t stale : {uint64_t{0}, uint64_t{1}, uint64_t{3}}) {
    EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::RemoveMember,
                     RemoveRequest(owner_, room_, goes_, stale, next_key_,
                                   {&owner_, &admin_, &stays_})),
              grpc::StatusCode::ABORTED)
        << "new_epoch=" << stale;
  }
  ExpectUnchanged(before, owner_, room_.id);
  EXPECT_EQ(GetRoomCode(goes_, room_.id), grpc::StatusCode::OK);
}

TEST_F(RemoveMemberTest, RemovingTheOwnerIsFailedPrecondition) {
  // Attack: a room admin deposing the owner.
  const Snapshot before = Snap(owner_, room_.id);
  EXPECT_EQ(CodeOf(*admin_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(admin_, room_, owner_, 2, next_key_, {&admin_, &stays_, &goes_})),
            grpc::StatusCode::FAILED_PRECONDITION);
  ExpectUnchanged(before, owner_, room_.id);
  v1::GetRoomResponse got;
  ASSERT_TRUE(GetRoom(owner_, room_.id, &got).ok());
  EXPECT_EQ(got.my_role(), v1::ROOM_ROLE_OWNER);
}

TEST_F(RemoveMemberTest, RemovingYourselfIsFailedPrecondition) {
  const Snapshot before = Snap(owner_, room_.id);
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(owner_, room_, owner_, 2, next_key_, {&admin_, &stays_, &goes_})),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(CodeOf(*admin_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(admin_, room_, admin_, 2, next_key_, {&owner_, &stays_, &goes_})),
            grpc::StatusCode::FAILED_PRECONDITION);
  ExpectUnchanged(before, owner_, room_.id);
}

TEST_F(RemoveMemberTest, PlainMembersAndRoomAdminsCannotRemoveTheirBetters) {
  // Attack: a plain member removing others; a room admin removing another room admin.
  Peer admin2 = NewPeer();
  ASSERT_EQ(AddMember(owner_, room_, admin2, v1::ROOM_ROLE_ADMIN), grpc::StatusCode::OK);
  const Snapshot before = Snap(owner_, room_.id);
  EXPECT_EQ(CodeOf(*stays_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(stays_, room_, goes_, 2, next_key_,
                                 {&owner_, &admin_, &admin2, &stays_})),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CodeOf(*admin_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(admin_, room_, admin2, 2, next_key_,
                                 {&owner_, &admin_, &stays_, &goes_})),
            grpc::StatusCode::PERMISSION_DENIED);
  ExpectUnchanged(before, owner_, room_.id);
  // Removing a non-member: NOT_FOUND.
  Peer outsider = NewPeer();
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(owner_, room_, outsider, 2, next_key_,
                                 {&owner_, &admin_, &admin2, &stays_, &goes_})),
            grpc::StatusCode::NOT_FOUND);
  ExpectUnchanged(before, owner_, room_.id);
}

TEST_F(RemoveMemberTest, RemovalMovesToEpochTwoAndCutsTheRemovedMemberOff) {
  // Attack modelled: a removed member trying to keep reading the room.
  ASSERT_EQ(GetKeyCode(goes_, room_.id, 1), grpc::StatusCode::OK);
  v1::RemoveMemberRequest request =
      RemoveRequest(admin_, room_, goes_, 2, next_key_, {&owner_, &admin_, &stays_});
  v1::RemoveMemberResponse removed;
  grpc::Status status = Call(*admin_.rooms, &Rooms::RemoveMember, request, &removed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(removed.room().epoch(), 2u);
  EXPECT_EQ(removed.room().member_count(), 3u);
  EXPECT_FALSE(removed.room().needs_rekey());
  EXPECT_EQ(RoomAs(owner_, room_.id).epoch(), 2u);

  // The removed member sees nothing at all any more, for any epoch.
  EXPECT_EQ(GetRoomCode(goes_, room_.id), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetKeyCode(goes_, room_.id, 0), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetKeyCode(goes_, room_.id, 1), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetKeyCode(goes_, room_.id, 2), grpc::StatusCode::NOT_FOUND);
  v1::ListMembersRequest list;
  list.set_room_id(room_.id);
  EXPECT_EQ(CodeOf(*goes_.rooms, &Rooms::ListMembers, list), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(MyRoomIds(goes_).empty());

  // Every remaining member gets its own epoch-2 key, exactly as sealed.
  const Peer* remaining[] = {&owner_, &admin_, &stays_};
  for (size_t i = 0; i < 3; ++i) {
    v1::SealedKey current, explicit2;
    ASSERT_TRUE(GetKey(*remaining[i], room_.id, 0, &current).ok());
    ASSERT_TRUE(GetKey(*remaining[i], room_.id, 2, &explicit2).ok());
    EXPECT_EQ(current.epoch(), 2u);
    EXPECT_EQ(current.recipient(), remaining[i]->pub());
    EXPECT_EQ(current.SerializeAsString(), request.keys(static_cast<int>(i)).SerializeAsString());
    EXPECT_EQ(explicit2.SerializeAsString(), current.SerializeAsString());
    // History stays readable for those who remain.
    EXPECT_EQ(GetKeyCode(*remaining[i], room_.id, 1), grpc::StatusCode::OK);
  }
  EXPECT_EQ(Members(owner_, room_.id), Sorted({owner_.pub(), admin_.pub(), stays_.pub()}));
  // Removing again: not a member any more.
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::RemoveMember,
                   RemoveRequest(owner_, KeyedRoom{room_.id, 2, next_key_}, goes_, 3, NewRoomKey(),
                                 {&owner_, &admin_, &stays_})),
            grpc::StatusCode::NOT_FOUND);
}

// ---- Leave and Rekey ----

TEST_F(RemoveMemberTest, LeaveMarksTheRoomForRekey) {
  ASSERT_FALSE(RoomAs(owner_, room_.id).needs_rekey());
  v1::LeaveRequest leave;
  leave.set_room_id(room_.id);
  EXPECT_EQ(CodeOf(*goes_.rooms, &Rooms::Leave, leave), grpc::StatusCode::OK);
  v1::Room room = RoomAs(owner_, room_.id);
  EXPECT_TRUE(room.needs_rekey());
  EXPECT_EQ(room.epoch(), 1u);  // no rekey yet: senders keep the current epoch
  EXPECT_EQ(room.member_count(), 3u);
  EXPECT_EQ(GetRoomCode(goes_, room_.id), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetKeyCode(goes_, room_.id, 1), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CodeOf(*goes_.rooms, &Rooms::Leave, leave), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RemoveMemberTest, OwnerCannotLeave) {
  const Snapshot before = Snap(owner_, room_.id);
  v1::LeaveRequest leave;
  leave.set_room_id(room_.id);
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::Leave, leave), grpc::StatusCode::FAILED_PRECONDITION);
  ExpectUnchanged(before, owner_, room_.id);
}

TEST_F(RemoveMemberTest, RekeyClearsNeedsRekeyAndBumpsTheEpoch) {
  v1::LeaveRequest leave;
  leave.set_room_id(room_.id);
  ASSERT_EQ(CodeOf(*goes_.rooms, &Rooms::Leave, leave), grpc::StatusCode::OK);
  ASSERT_TRUE(RoomAs(owner_, room_.id).needs_rekey());

  v1::RekeyRequest request = RekeyRequest(admin_, room_, 2, next_key_, {&owner_, &admin_, &stays_});
  v1::RekeyResponse rekeyed;
  grpc::Status status = Call(*admin_.rooms, &Rooms::Rekey, request, &rekeyed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(rekeyed.room().epoch(), 2u);
  EXPECT_FALSE(rekeyed.room().needs_rekey());
  v1::Room room = RoomAs(owner_, room_.id);
  EXPECT_EQ(room.epoch(), 2u);
  EXPECT_FALSE(room.needs_rekey());
  const Peer* members[] = {&owner_, &admin_, &stays_};
  for (size_t i = 0; i < 3; ++i) {
    v1::SealedKey key;
    ASSERT_TRUE(GetKey(*members[i], room_.id, 0, &key).ok());
    EXPECT_EQ(key.epoch(), 2u);
    EXPECT_EQ(key.SerializeAsString(), request.keys(static_cast<int>(i)).SerializeAsString());
  }
}

TEST_F(RemoveMemberTest, RekeyMissingAKeyIsFailedPreconditionAndChangesNothing) {
  v1::LeaveRequest leave;
  leave.set_room_id(room_.id);
  ASSERT_EQ(CodeOf(*goes_.rooms, &Rooms::Leave, leave), grpc::StatusCode::OK);
  const Snapshot before = Snap(owner_, room_.id);
  ASSERT_TRUE(before.needs_rekey);
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::Rekey,
                   RekeyRequest(owner_, room_, 2, next_key_, {&owner_, &admin_})),
            grpc::StatusCode::FAILED_PRECONDITION);
  // The member who left must not be given the new key.
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::Rekey,
                   RekeyRequest(owner_, room_, 2, next_key_, {&owner_, &admin_, &stays_, &goes_})),
            grpc::StatusCode::FAILED_PRECONDITION);
  ExpectUnchanged(before, owner_, room_.id);
  EXPECT_EQ(GetKeyCode(owner_, room_.id, 2), grpc::StatusCode::NOT_FOUND);
  // Stale epoch: ABORTED.
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::Rekey,
                   RekeyRequest(owner_, room_, 1, next_key_, {&owner_, &admin_, &stays_})),
            grpc::StatusCode::ABORTED);
  EXPECT_EQ(CodeOf(*owner_.rooms, &Rooms::Rekey,
                   RekeyRequest(owner_, room_, 3, next_key_, {&owner_, &admin_, &stays_})),
            grpc::StatusCode::ABORTED);
  ExpectUnchanged(before, owner_, room_.id);
}

TEST_F(RemoveMemberTest, RekeyByAPlainMemberIsPermissionDenied) {
  // Attack: a plain member replacing the room key with one it controls the distribution of.
  const Snapshot before = Snap(owner_, room_.id);
  EXPECT_EQ(CodeOf(*stays_.rooms, &Rooms::Rekey,
                   RekeyRequest(stays_, room_, 2, next_key_, {&owner_, &admin_, &stays_, &goes_})),
            grpc::StatusCode::PERMISSION_DENIED);
  ExpectUnchanged(before, owner_, room_.id);
  EXPECT_EQ(GetKeyCode(stays_, room_.id, 2), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RoomsTest, RekeyOfACleartextRoomIsFailedPrecondition) {
  Peer owner = NewPeer();
  v1::CreateRoomRequest request;
  request.set_name("plain");
  request.set_encrypted(false);
  v1::CreateRoomResponse created;
  ASSERT_TRUE(Call(*owner.rooms, &Rooms::CreateRoom, request, &created).ok());
  KeyedRoom plain{created.room().room_id(), 0, NewRoomKey()};
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::Rekey, RekeyRequest(owner, plain, 1, plain.key, {&owner})),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::Rekey, RekeyRequest(owner, plain, 1, plain.key, {})),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::Room room = RoomAs(owner, plain.id);
  EXPECT_EQ(room.epoch(), 0u);
  EXPECT_FALSE(room.policy().encrypted());
}

// ---- Listing ----

TEST_F(RoomsTest, ListMyRoomsReturnsOnlyTheCallersRooms) {
  // Attack: learning which rooms other users are in.
  Peer x = NewPeer();
  Peer y = NewPeer();
  std::vector<std::string> xs, ys;
  std::vector<KeyedRoom> x_rooms;
  for (int i = 0; i < 3; ++i) {
    x_rooms.push_back(NewRoom(x));
    xs.push_back(x_rooms.back().id);
  }
  for (int i = 0; i < 2; ++i) ys.push_back(NewRoom(y).id);
  EXPECT_EQ(MyRoomIds(x), Sorted(xs));
  EXPECT_EQ(MyRoomIds(y), Sorted(ys));

  // Joining one of x's rooms adds exactly that room, with the member role.
  ASSERT_EQ(AddMember(x, x_rooms[0], y), grpc::StatusCode::OK);
  ys.push_back(x_rooms[0].id);
  EXPECT_EQ(MyRoomIds(y), Sorted(ys));
  EXPECT_EQ(MyRoomIds(x), Sorted(xs));
  v1::ListMyRoomsResponse response;
  ASSERT_TRUE(Call(*y.rooms, &Rooms::ListMyRooms, v1::ListMyRoomsRequest(), &response).ok());
  for (const v1::MyRoom& r : response.rooms()) {
    EXPECT_EQ(r.my_role(),
              r.room().room_id() == x_rooms[0].id ? v1::ROOM_ROLE_MEMBER : v1::ROOM_ROLE_OWNER);
    EXPECT_EQ(r.room().subject(), "ub.room." + r.room().room_id());
    EXPECT_EQ(r.room().member_count(), r.room().room_id() == x_rooms[0].id ? 2u : 1u);
  }
}

TEST_F(RoomsTest, ListMyRoomsPaginates) {
  Peer owner = NewPeer();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(NewRoom(owner).id);
  std::vector<std::string> paged;
  std::string token;
  int pages = 0;
  do {
    v1::ListMyRoomsRequest request;
    request.set_page_size(2);
    request.set_page_token(token);
    v1::ListMyRoomsResponse page;
    grpc::Status status = Call(*owner.rooms, &Rooms::ListMyRooms, request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_LE(page.rooms_size(), 2);
    for (const v1::MyRoom& r : page.rooms()) {
      paged.push_back(r.room().room_id());
      EXPECT_EQ(r.my_role(), v1::ROOM_ROLE_OWNER);
    }
    token = page.next_page_token();
    ASSERT_LT(++pages, 100);
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(paged, Sorted(ids));  // ascending, each once

  v1::ListMyRoomsRequest negative;
  negative.set_page_size(-2);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::ListMyRooms, negative),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListMyRoomsRequest garbage;
  garbage.set_page_token("%%%");
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::ListMyRooms, garbage),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RoomsTest, ListMembersPaginatesAndCarriesKexPubAndHandle) {
  Peer owner = NewPeer();
  KeyedRoom room = NewRoom(owner);
  std::vector<Peer> members;
  for (int i = 0; i < 4; ++i) {
    members.push_back(NewPeer());
    ASSERT_EQ(AddMember(owner, room, members.back(),
                        i == 0 ? v1::ROOM_ROLE_ADMIN : v1::ROOM_ROLE_MEMBER),
              grpc::StatusCode::OK);
  }
  std::vector<v1::Member> paged;
  std::string token;
  int pages = 0;
  do {
    v1::ListMembersRequest request;
    request.set_room_id(room.id);
    request.set_page_size(2);
    request.set_page_token(token);
    v1::ListMembersResponse page;
    // A plain member may list too.
    grpc::Status status = Call(*members[3].rooms, &Rooms::ListMembers, request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_LE(page.members_size(), 2);
    for (const v1::Member& m : page.members()) paged.push_back(m);
    token = page.next_page_token();
    ASSERT_LT(++pages, 100);
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(paged.size(), 5u);
  for (size_t i = 1; i < paged.size(); ++i) {
    EXPECT_LT(paged[i - 1].sign_pub(), paged[i].sign_pub());
  }
  auto check = [&](const Peer& p, v1::RoomRole role) {
    auto it = std::find_if(paged.begin(), paged.end(),
                           [&](const v1::Member& m) { return m.sign_pub() == p.pub(); });
    ASSERT_NE(it, paged.end()) << p.handle;
    EXPECT_EQ(it->kex_pub(), p.id.kex_pub_hex());
    EXPECT_EQ(it->handle(), p.handle);
    EXPECT_EQ(it->role(), role);
    EXPECT_GT(it->added_at_ms(), 0);
  };
  check(owner, v1::ROOM_ROLE_OWNER);
  check(members[0], v1::ROOM_ROLE_ADMIN);
  for (int i = 1; i < 4; ++i) check(members[i], v1::ROOM_ROLE_MEMBER);

  v1::ListMembersRequest negative;
  negative.set_room_id(room.id);
  negative.set_page_size(-1);
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::ListMembers, negative),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListMembersRequest garbage;
  garbage.set_room_id(room.id);
  garbage.set_page_token("not a token");
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::ListMembers, garbage),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// ---- DeleteRoom ----

TEST_F(RoomsTest, DeleteRoomByAPlainMemberOrRoomAdminIsPermissionDenied) {
  // Attack: a member (or room admin) destroying a room it does not own.
  Peer owner = NewPeer();
  Peer admin = NewPeer();
  Peer member = NewPeer();
  KeyedRoom room = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, room, admin, v1::ROOM_ROLE_ADMIN), grpc::StatusCode::OK);
  ASSERT_EQ(AddMember(owner, room, member), grpc::StatusCode::OK);
  const Snapshot before = Snap(owner, room.id);
  v1::DeleteRoomRequest del;
  del.set_room_id(room.id);
  EXPECT_EQ(CodeOf(*member.rooms, &Rooms::DeleteRoom, del), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CodeOf(*admin.rooms, &Rooms::DeleteRoom, del), grpc::StatusCode::PERMISSION_DENIED);
  ExpectUnchanged(before, owner, room.id);
  EXPECT_EQ(GetKeyCode(member, room.id, 0), grpc::StatusCode::OK);
}

TEST_F(RoomsTest, DeleteRoomByTheOwnerRemovesItForEveryone) {
  Peer owner = NewPeer();
  Peer member = NewPeer();
  KeyedRoom room = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, room, member), grpc::StatusCode::OK);
  v1::DeleteRoomRequest del;
  del.set_room_id(room.id);
  ASSERT_EQ(CodeOf(*owner.rooms, &Rooms::DeleteRoom, del), grpc::StatusCode::OK);
  for (const Peer* p : {&owner, &member}) {
    EXPECT_EQ(GetRoomCode(*p, room.id), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(GetKeyCode(*p, room.id, 1), grpc::StatusCode::NOT_FOUND);
    EXPECT_TRUE(MyRoomIds(*p).empty());
  }
  EXPECT_EQ(CodeOf(*owner.rooms, &Rooms::DeleteRoom, del), grpc::StatusCode::NOT_FOUND);
}

// A cleartext room with history, created with the given id.
v1::CreateRoomRequest CleartextRoomRequest(const std::string& room_id) {
  v1::CreateRoomRequest request;
  request.set_room_id(room_id);
  request.set_name("history");
  request.set_encrypted(false);
  request.set_history(true);
  return request;
}

TEST(RoomIdReuseTest, DeletedRoomIdCannotBeCreatedAgainEvenAfterARestart) {
  // Attack (L1): Mallory, removed from a cleartext room with history, learns that it was deleted
  // and creates a room with the same id (it is in every frame header and blob token), to own its
  // subject and read the history retained there, including what was sent after her removal.
  // Failed before the fix (her CreateRoom answered OK and she owned the id).
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("reuse")).value();
  Identity alice = Identity::Generate(), mallory = Identity::Generate();
  ASSERT_TRUE(server->AddUser(alice, v1::ROLE_MEMBER, "alice").ok());
  ASSERT_TRUE(server->AddUser(mallory, v1::ROLE_MEMBER, "mallory").ok());
  auto alices = v1::RoomService::NewStub(server->ChannelFor(alice));
  auto mallorys = v1::RoomService::NewStub(server->ChannelFor(mallory));
  const std::string id = NewRoomId();
  ASSERT_EQ(CodeOf(*alices, &Rooms::CreateRoom, CleartextRoomRequest(id)), grpc::StatusCode::OK);
  v1::AddMemberRequest add;
  add.set_room_id(id);
  add.set_sign_pub(mallory.sign_pub_hex());
  add.set_role(v1::ROOM_ROLE_MEMBER);
  ASSERT_EQ(CodeOf(*alices, &Rooms::AddMember, add), grpc::StatusCode::OK);
  v1::RemoveMemberRequest remove;
  remove.set_room_id(id);
  remove.set_sign_pub(mallory.sign_pub_hex());
  ASSERT_EQ(CodeOf(*alices, &Rooms::RemoveMember, remove), grpc::StatusCode::OK);
  v1::DeleteRoomRequest del;
  del.set_room_id(id);
  ASSERT_EQ(CodeOf(*alices, &Rooms::DeleteRoom, del), grpc::StatusCode::OK);

  EXPECT_EQ(CodeOf(*mallorys, &Rooms::CreateRoom, CleartextRoomRequest(id)),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CodeOf(*mallorys, &Rooms::CreateRoom,
                   EncryptedRoomRequest(mallory, id, NewRoomKey())),
            grpc::StatusCode::ALREADY_EXISTS);
  // Not even its old owner: an id names one room, once.
  EXPECT_EQ(CodeOf(*alices, &Rooms::CreateRoom, CleartextRoomRequest(id)),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::GetRoomRequest get;
  get.set_room_id(id);
  EXPECT_EQ(CodeOf(*mallorys, &Rooms::GetRoom, get), grpc::StatusCode::NOT_FOUND);

  // The tombstone is stored, not remembered.
  ASSERT_TRUE(server->Restart().ok());
  mallorys = v1::RoomService::NewStub(server->ChannelFor(mallory));
  EXPECT_EQ(CodeOf(*mallorys, &Rooms::CreateRoom, CleartextRoomRequest(id)),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CodeOf(*mallorys, &Rooms::CreateRoom, CleartextRoomRequest(NewRoomId())),
            grpc::StatusCode::OK);
}

TEST_F(RoomsTest, DeleteRoomByAGlobalAdminWhoIsNotAMemberWorks) {
  Peer owner = NewPeer();
  Peer member = NewPeer();
  Peer admin = NewPeer(v1::ROLE_ADMIN);
  KeyedRoom room = NewRoom(owner);
  ASSERT_EQ(AddMember(owner, room, member), grpc::StatusCode::OK);
  ASSERT_EQ(GetRoomCode(admin, room.id), grpc::StatusCode::NOT_FOUND);  // not a member
  v1::DeleteRoomRequest del;
  del.set_room_id(room.id);
  ASSERT_EQ(CodeOf(*admin.rooms, &Rooms::DeleteRoom, del), grpc::StatusCode::OK);
  EXPECT_EQ(GetRoomCode(owner, room.id), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetRoomCode(member, room.id), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CodeOf(*admin.rooms, &Rooms::DeleteRoom, del), grpc::StatusCode::NOT_FOUND);
  v1::DeleteRoomRequest missing;
  missing.set_room_id(NewRoomId());
  EXPECT_EQ(CodeOf(*admin.rooms, &Rooms::DeleteRoom, missing), grpc::StatusCode::NOT_FOUND);
  v1::DeleteRoomRequest malformed;
  malformed.set_room_id("nope");
  EXPECT_EQ(CodeOf(*admin.rooms, &Rooms::DeleteRoom, malformed),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace unibus::control
