// Fixture of the Store conformance suite, and its tests of users and the change feed (rooms,
// members and keys: store_conformance_rooms.cc).
#include "control/store/store_conformance.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/message_differencer.h"

namespace unibus::control::store {

std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

::testing::AssertionResult ProtoEquals(const google::protobuf::Message& expected,
                                       const google::protobuf::Message& actual) {
  if (google::protobuf::util::MessageDifferencer::Equals(expected, actual)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected {" << expected.ShortDebugString()
                                       << "}\n  actual {" << actual.ShortDebugString() << "}";
}

// ---- Fixture ----

void StoreConformanceTest::SetUp() {
  store_ = GetParam().make(clock_, kRoomLimit);
  ASSERT_NE(store_, nullptr);
}

std::string StoreConformanceTest::UserKey(int user) { return absl::StrFormat("%064x", user); }

v1::User StoreConformanceTest::MakeUser(int user, v1::Role role) {
  v1::User u;
  u.set_sign_pub(UserKey(user));
  u.set_kex_pub(absl::StrFormat("%064x", 0xabc000 + user));
  u.set_handle(absl::StrCat("user-", user));
  u.set_role(role);
  u.set_status(v1::USER_STATUS_ACTIVE);
  u.set_created_at_ms(1000 + user);
  return u;
}

std::string StoreConformanceTest::RoomId(int room) { return absl::StrFormat("%032x", room); }

v1::Room StoreConformanceTest::MakeRoom(int room, int owner, bool encrypted) {
  v1::Room r;
  r.set_room_id(RoomId(room));
  r.set_name(absl::StrCat("room ", room));
  r.set_owner(UserKey(owner));
  r.mutable_policy()->set_encrypted(encrypted);
  r.mutable_policy()->set_signed_frames(encrypted);
  r.mutable_policy()->set_history(room % 2 == 0);
  r.set_epoch(encrypted ? 1 : 0);
  r.set_subject("ub.room." + RoomId(room));
  r.set_created_at_ms(5000 + room);
  return r;
}

v1::SealedKey StoreConformanceTest::MakeKey(int room, uint64_t epoch, int recipient) {
  v1::SealedKey key;
  key.set_room_id(RoomId(room));
  key.set_epoch(epoch);
  key.set_recipient(UserKey(recipient));
  std::string sealed(80, '\0');
  for (size_t i = 0; i < sealed.size(); ++i) {
    sealed[i] = static_cast<char>(recipient * 7 + epoch * 31 + i * 5);
  }
  key.set_sealed(sealed);
  key.set_signer(UserKey(1));
  key.set_signature(std::string(32, '\0') + std::string(32, static_cast<char>(0x80 + epoch)));
  return key;
}

std::vector<v1::SealedKey> StoreConformanceTest::MakeKeys(int room, uint64_t epoch,
                                                          const std::vector<int>& recipients) {
  std::vector<v1::SealedKey> keys;
  for (int recipient : recipients) keys.push_back(MakeKey(room, epoch, recipient));
  return keys;
}

absl::Status StoreConformanceTest::AddUsers(int first, int last, v1::Role role) {
  for (int user = first; user <= last; ++user) {
    absl::Status status = store_->AddUser(MakeUser(user, role));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status StoreConformanceTest::CreateRoom(int room, int owner, bool encrypted) {
  const v1::SealedKey key = MakeKey(room, 1, owner);
  return store_->CreateRoom(MakeRoom(room, owner, encrypted), encrypted ? &key : nullptr);
}

absl::Status StoreConformanceTest::Join(int room, int user, v1::RoomRole role) {
  absl::StatusOr<v1::Room> r = store_->GetRoom(RoomId(room));
  if (!r.ok()) return r.status();
  v1::Member member;
  member.set_sign_pub(UserKey(user));
  member.set_role(role);
  member.set_added_at_ms(7000 + user);
  std::vector<v1::SealedKey> keys;
  if (r->policy().encrypted()) keys.push_back(MakeKey(room, r->epoch(), user));
  return StatusOf(store_->AddMember(RoomId(room), member, r->epoch(), keys));
}

std::string StoreConformanceTest::Snapshot(int room, const std::vector<int>& users) {
  std::string out;
  absl::StatusOr<v1::Room> r = store_->GetRoom(RoomId(room));
  absl::StrAppend(&out, "room: ", r.ok() ? r->ShortDebugString() : r.status().ToString(), "\n");
  absl::StatusOr<Page<v1::Member>> members = store_->ListMembers(RoomId(room), "", 1000);
  if (members.ok()) {
    for (const v1::Member& m : members->items) absl::StrAppend(&out, m.ShortDebugString(), "\n");
  }
  for (int user : users) {
    absl::StatusOr<Page<RoomMembership>> rooms = store_->ListRoomsOf(UserKey(user), "", 1000);
    for (const RoomMembership& m : rooms.ok() ? rooms->items : std::vector<RoomMembership>{}) {
      absl::StrAppend(&out, user, " in ", m.room.room_id(), " as ", m.role, "\n");
    }
    for (uint64_t epoch = 0; epoch <= 3; ++epoch) {
      absl::StatusOr<v1::SealedKey> key = store_->GetSealedKey(RoomId(room), epoch, UserKey(user));
      absl::StrAppend(&out, user, "@", epoch, ": ",
                      key.ok() ? key->ShortDebugString() : key.status().ToString(), "\n");
    }
  }
  absl::StrAppend(&out, "latest: ", Latest(), "\n");
  return out;
}

std::vector<v1::Change> StoreConformanceTest::ChangesAfter(uint64_t after) {
  absl::StatusOr<std::vector<v1::Change>> changes = store_->ListChanges(after, 1000);
  EXPECT_TRUE(changes.ok()) << changes.status();
  return changes.ok() ? *changes : std::vector<v1::Change>{};
}

uint64_t StoreConformanceTest::Latest() {
  absl::StatusOr<uint64_t> latest = store_->LatestPosition();
  EXPECT_TRUE(latest.ok()) << latest.status();
  return latest.ok() ? *latest : 0;
}

namespace {

// ---- Users ----

TEST_P(StoreConformanceTest, AddUserThenGetUserByKeyAndHandle) {
  const v1::User user = MakeUser(1, v1::ROLE_ADMIN);
  UNIBUS_ASSERT_OK(store_->AddUser(user));
  absl::StatusOr<v1::User> by_key = store_->GetUser(UserKey(1));
  UNIBUS_ASSERT_OK(by_key);
  EXPECT_TRUE(ProtoEquals(user, *by_key));
  absl::StatusOr<v1::User> by_handle = store_->GetUserByHandle("user-1");
  UNIBUS_ASSERT_OK(by_handle);
  EXPECT_TRUE(ProtoEquals(user, *by_handle));
}

TEST_P(StoreConformanceTest, GetUserOfUnknownKeyOrHandleIsNotFound) {
  UNIBUS_ASSERT_OK(AddUsers(1, 1));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetUser(UserKey(2)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetUserByHandle("user-2"));
}

TEST_P(StoreConformanceTest, AddUserRejectsDuplicateKey) {
  UNIBUS_ASSERT_OK(AddUsers(1, 1));
  const uint64_t latest = Latest();
  v1::User again = MakeUser(1, v1::ROLE_ADMIN);
  again.set_handle("other-handle");
  again.set_kex_pub(std::string(64, 'f'));
  UNIBUS_EXPECT_CODE(kAlreadyExists, store_->AddUser(again));
  absl::StatusOr<v1::User> stored = store_->GetUser(UserKey(1));
  UNIBUS_ASSERT_OK(stored);
  EXPECT_TRUE(ProtoEquals(MakeUser(1), *stored));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetUserByHandle("other-handle"));
  EXPECT_EQ(Latest(), latest);
}

TEST_P(StoreConformanceTest, AddUserRejectsDuplicateHandle) {
  UNIBUS_ASSERT_OK(AddUsers(1, 1));
  const uint64_t latest = Latest();
  v1::User other = MakeUser(2);
  other.set_handle("user-1");
  UNIBUS_EXPECT_CODE(kAlreadyExists, store_->AddUser(other));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetUser(UserKey(2)));
  absl::StatusOr<v1::User> stored = store_->GetUserByHandle("user-1");
  UNIBUS_ASSERT_OK(stored);
  EXPECT_TRUE(ProtoEquals(MakeUser(1), *stored));
  EXPECT_EQ(Latest(), latest);
}

TEST_P(StoreConformanceTest, AddUserAppendsUserAdded) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  std::vector<v1::Change> changes = ChangesAfter(0);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[1].kind(), v1::CHANGE_KIND_USER_ADDED);
  EXPECT_EQ(changes[1].sign_pub(), UserKey(2));
  EXPECT_EQ(changes[1].room_id(), "");
  EXPECT_EQ(changes[1].at_ms(), clock_.NowMs());
}

TEST_P(StoreConformanceTest, ListUsersPagesInKeyOrder) {
  // Added out of order: the store must sort.
  for (int user : {5, 1, 7, 3, 2, 6, 4}) UNIBUS_ASSERT_OK(store_->AddUser(MakeUser(user)));
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  do {
    absl::StatusOr<Page<v1::User>> page = store_->ListUsers(after, 3);
    UNIBUS_ASSERT_OK(page);
    ASSERT_LE(page->items.size(), 3u);
    for (const v1::User& u : page->items) seen.push_back(u.sign_pub());
    if (!page->next.empty()) {
      EXPECT_EQ(page->next, page->items.back().sign_pub());
    }
    after = page->next;
    ASSERT_LT(++pages, 10);
  } while (!after.empty());
  EXPECT_EQ(pages, 3);
  std::vector<std::string> expected;
  for (int user = 1; user <= 7; ++user) expected.push_back(UserKey(user));
  EXPECT_EQ(seen, expected);
}

TEST_P(StoreConformanceTest, ListUsersLastFullPageHasEmptyNext) {
  UNIBUS_ASSERT_OK(AddUsers(1, 6));
  absl::StatusOr<Page<v1::User>> first = store_->ListUsers("", 3);
  UNIBUS_ASSERT_OK(first);
  EXPECT_EQ(first->next, UserKey(3));
  absl::StatusOr<Page<v1::User>> second = store_->ListUsers(first->next, 3);
  UNIBUS_ASSERT_OK(second);
  ASSERT_EQ(second->items.size(), 3u);
  EXPECT_EQ(second->items[0].sign_pub(), UserKey(4));
  EXPECT_EQ(second->next, "");
  absl::StatusOr<Page<v1::User>> past_end = store_->ListUsers(UserKey(6), 3);
  UNIBUS_ASSERT_OK(past_end);
  EXPECT_TRUE(past_end->items.empty());
  EXPECT_EQ(past_end->next, "");
}

TEST_P(StoreConformanceTest, RevokeUserMarksRevokedAndAppendsChange) {
  UNIBUS_ASSERT_OK(AddUsers(1, 1, v1::ROLE_ADMIN));
  UNIBUS_ASSERT_OK(AddUsers(2, 2));
  clock_.Advance(absl::Seconds(3));
  absl::StatusOr<v1::User> revoked = store_->RevokeUser(UserKey(2), 424242);
  UNIBUS_ASSERT_OK(revoked);
  v1::User expected = MakeUser(2);
  expected.set_status(v1::USER_STATUS_REVOKED);
  expected.set_revoked_at_ms(424242);
  EXPECT_TRUE(ProtoEquals(expected, *revoked));
  absl::StatusOr<v1::User> stored = store_->GetUser(UserKey(2));
  UNIBUS_ASSERT_OK(stored);
  EXPECT_TRUE(ProtoEquals(expected, *stored));
  std::vector<v1::Change> changes = ChangesAfter(2);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind(), v1::CHANGE_KIND_USER_REVOKED);
  EXPECT_EQ(changes[0].sign_pub(), UserKey(2));
  EXPECT_EQ(changes[0].at_ms(), clock_.NowMs());
}

TEST_P(StoreConformanceTest, RevokeUserIsIdempotent) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(2), 100));
  const uint64_t latest = Latest();
  absl::StatusOr<v1::User> again = store_->RevokeUser(UserKey(2), 200);
  UNIBUS_ASSERT_OK(again);
  EXPECT_EQ(again->status(), v1::USER_STATUS_REVOKED);
  EXPECT_EQ(again->revoked_at_ms(), 100);
  EXPECT_EQ(Latest(), latest);
}

TEST_P(StoreConformanceTest, RevokeUserOfUnknownKeyIsNotFound) {
  UNIBUS_EXPECT_CODE(kNotFound, store_->RevokeUser(UserKey(9), 100));
}

TEST_P(StoreConformanceTest, RevokeUserRefusesLastActiveAdmin) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2, v1::ROLE_ADMIN));
  UNIBUS_ASSERT_OK(AddUsers(3, 3));
  UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(1), 100));
  const uint64_t latest = Latest();
  // User 2 is the last active admin; revoked admin 1 and member 3 do not count.
  UNIBUS_EXPECT_CODE(kFailedPrecondition, store_->RevokeUser(UserKey(2), 200));
  absl::StatusOr<v1::User> still = store_->GetUser(UserKey(2));
  UNIBUS_ASSERT_OK(still);
  EXPECT_EQ(still->status(), v1::USER_STATUS_ACTIVE);
  EXPECT_EQ(Latest(), latest);
  // A member may still be revoked.
  UNIBUS_EXPECT_CODE(kOk, store_->RevokeUser(UserKey(3), 300));
}

TEST_P(StoreConformanceTest, RevokeUserMarksItsEncryptedRoomsNeedsRekey) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, /*encrypted=*/true));
  UNIBUS_ASSERT_OK(CreateRoom(2, 1, /*encrypted=*/false));
  UNIBUS_ASSERT_OK(CreateRoom(3, 1, /*encrypted=*/true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(Join(2, 2));
  UNIBUS_ASSERT_OK(Join(3, 3));
  UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(2), 100));
  absl::StatusOr<v1::Room> encrypted = store_->GetRoom(RoomId(1));
  absl::StatusOr<v1::Room> cleartext = store_->GetRoom(RoomId(2));
  absl::StatusOr<v1::Room> other = store_->GetRoom(RoomId(3));
  UNIBUS_ASSERT_OK(encrypted);
  UNIBUS_ASSERT_OK(cleartext);
  UNIBUS_ASSERT_OK(other);
  EXPECT_TRUE(encrypted->needs_rekey());
  EXPECT_FALSE(cleartext->needs_rekey());
  EXPECT_FALSE(other->needs_rekey());
}

TEST_P(StoreConformanceTest, ConcurrentAddUserWithOneHandleAdmitsOne) {
  constexpr int kThreads = 8;
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([this, i, &results] {
      v1::User user = MakeUser(10 + i);
      user.set_handle("contested");
      results[i] = store_->AddUser(user);
    });
  }
  for (std::thread& t : threads) t.join();
  int ok = 0;
  for (const absl::Status& status : results) {
    if (status.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(Latest(), 1u);
}

// ---- Change feed ----

TEST_P(StoreConformanceTest, LatestPositionIsZeroWhenEmpty) {
  EXPECT_EQ(Latest(), 0u);
  absl::StatusOr<std::vector<v1::Change>> changes = store_->ListChanges(0, 10);
  UNIBUS_ASSERT_OK(changes);
  EXPECT_TRUE(changes->empty());
}

TEST_P(StoreConformanceTest, ListChangesReturnsChangesInOrderAfterPosition) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  clock_.Advance(absl::Milliseconds(5));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(store_->Leave(RoomId(1), UserKey(2)));
  EXPECT_EQ(Latest(), 5u);
  std::vector<v1::Change> all = ChangesAfter(0);
  ASSERT_EQ(all.size(), 5u);
  const v1::ChangeKind kinds[] = {v1::CHANGE_KIND_USER_ADDED, v1::CHANGE_KIND_USER_ADDED,
                                  v1::CHANGE_KIND_MEMBER_ADDED, v1::CHANGE_KIND_MEMBER_ADDED,
                                  v1::CHANGE_KIND_MEMBER_REMOVED};
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].position(), i + 1);
    EXPECT_EQ(all[i].kind(), kinds[i]) << i;
  }
  EXPECT_EQ(all[2].sign_pub(), UserKey(1));
  EXPECT_EQ(all[2].room_id(), RoomId(1));
  EXPECT_EQ(all[4].sign_pub(), UserKey(2));
  EXPECT_EQ(all[4].room_id(), RoomId(1));
  EXPECT_EQ(all[1].at_ms() + 5, all[2].at_ms());

  absl::StatusOr<std::vector<v1::Change>> page = store_->ListChanges(1, 2);
  UNIBUS_ASSERT_OK(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].position(), 2u);
  EXPECT_EQ((*page)[1].position(), 3u);
}

TEST_P(StoreConformanceTest, ListChangesBeyondNewestIsOutOfRange) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  absl::StatusOr<std::vector<v1::Change>> at_newest = store_->ListChanges(2, 10);
  UNIBUS_ASSERT_OK(at_newest);
  EXPECT_TRUE(at_newest->empty());
  UNIBUS_EXPECT_CODE(kOutOfRange, store_->ListChanges(3, 10));
  UNIBUS_EXPECT_CODE(kOutOfRange, store_->ListChanges(~uint64_t{0}, 10));
}

TEST_P(StoreConformanceTest, FailedMutationsAppendNoChangeAndPositionsStayDense) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_EXPECT_CODE(kAlreadyExists, store_->AddUser(MakeUser(1)));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_EXPECT_CODE(kAlreadyExists, CreateRoom(1, 2, true));
  UNIBUS_ASSERT_OK(store_->DeleteRoom(RoomId(1)));
  UNIBUS_EXPECT_CODE(kAlreadyExists, CreateRoom(1, 1, true));  // a deleted id, refused
  UNIBUS_ASSERT_OK(CreateRoom(2, 1, true));  // new positions after failures, never reused
  std::vector<v1::Change> all = ChangesAfter(0);
  ASSERT_EQ(all.size(), 5u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].position(), i + 1);
  EXPECT_EQ(all[3].kind(), v1::CHANGE_KIND_MEMBER_REMOVED);
  EXPECT_EQ(all[4].kind(), v1::CHANGE_KIND_MEMBER_ADDED);
}

// ---- Dump ----

TEST_P(StoreConformanceTest, DumpHoldsEveryRecordInCanonicalOrder) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(2, 1, true));
  UNIBUS_ASSERT_OK(CreateRoom(1, 2, false));
  UNIBUS_ASSERT_OK(Join(2, 3));
  UNIBUS_ASSERT_OK(Join(2, 2, v1::ROOM_ROLE_ADMIN));
  UNIBUS_ASSERT_OK(store_->Rekey(RoomId(2), 2, MakeKeys(2, 2, {3, 1, 2})));
  UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(3), 9000));
  absl::StatusOr<StoreDump> dump = store_->Dump();
  UNIBUS_ASSERT_OK(dump);

  ASSERT_EQ(dump->users.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<v1::User> user = store_->GetUser(UserKey(i + 1));
    UNIBUS_ASSERT_OK(user);
    EXPECT_TRUE(ProtoEquals(*user, dump->users[i]));
  }
  ASSERT_EQ(dump->rooms.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<v1::Room> room = store_->GetRoom(RoomId(i + 1));
    UNIBUS_ASSERT_OK(room);
    EXPECT_TRUE(ProtoEquals(*room, dump->rooms[i].room));
    absl::StatusOr<Page<v1::Member>> members = store_->ListMembers(RoomId(i + 1), "", 100);
    UNIBUS_ASSERT_OK(members);
    ASSERT_EQ(members->items.size(), dump->rooms[i].members.size());
    for (size_t m = 0; m < members->items.size(); ++m) {
      v1::Member expected;
      expected.set_sign_pub(members->items[m].sign_pub());
      expected.set_role(members->items[m].role());
      expected.set_added_at_ms(members->items[m].added_at_ms());
      EXPECT_TRUE(ProtoEquals(expected, dump->rooms[i].members[m]));
    }
  }
  EXPECT_TRUE(dump->rooms[1].room.needs_rekey());
  // Room 2: epoch 1 for users 1, 2, 3, then epoch 2 for all three.
  std::vector<v1::SealedKey> expected = MakeKeys(2, 1, {1, 2, 3});
  for (const v1::SealedKey& key : MakeKeys(2, 2, {1, 2, 3})) expected.push_back(key);
  ASSERT_EQ(dump->keys.size(), expected.size());
  for (size_t k = 0; k < expected.size(); ++k) {
    EXPECT_TRUE(ProtoEquals(expected[k], dump->keys[k]));
  }
  EXPECT_TRUE(dump->deleted_rooms.empty());
}

TEST_P(StoreConformanceTest, DumpCarriesTheIdsOfDeletedRooms) {
  // migrate-to-kv copies the dump: a tombstone it dropped would make the id free again.
  UNIBUS_ASSERT_OK(AddUsers(1, 1));
  for (int room : {1, 2, 3}) UNIBUS_ASSERT_OK(CreateRoom(room, 1, false));
  const int64_t first = clock_.NowMs();
  UNIBUS_ASSERT_OK(store_->DeleteRoom(RoomId(3)));
  clock_.Advance(absl::Seconds(7));
  UNIBUS_ASSERT_OK(store_->DeleteRoom(RoomId(1)));
  absl::StatusOr<StoreDump> dump = store_->Dump();
  UNIBUS_ASSERT_OK(dump);
  ASSERT_EQ(dump->rooms.size(), 1u);
  EXPECT_EQ(dump->rooms[0].room.room_id(), RoomId(2));
  ASSERT_EQ(dump->deleted_rooms.size(), 2u);  // ascending room_id
  EXPECT_EQ(dump->deleted_rooms[0].room_id, RoomId(1));
  EXPECT_EQ(dump->deleted_rooms[0].deleted_at_ms, first + 7000);
  EXPECT_EQ(dump->deleted_rooms[1].room_id, RoomId(3));
  EXPECT_EQ(dump->deleted_rooms[1].deleted_at_ms, first);
}

}  // namespace
}  // namespace unibus::control::store
