// Store conformance tests of rooms, members and sealed keys (fixture: store_conformance.cc).
#include <thread>

#include "control/store/store_conformance.h"

namespace unibus::control::store {
namespace {

v1::Member NewMember(const std::string& sign_pub, v1::RoomRole role = v1::ROOM_ROLE_MEMBER) {
  v1::Member member;
  member.set_sign_pub(sign_pub);
  member.set_role(role);
  member.set_added_at_ms(9000);
  return member;
}

// ---- CreateRoom, GetRoom, GetMember ----

TEST_P(StoreConformanceTest, CreateRoomStoresRoomWithOwnerAsOwnerMember) {
  UNIBUS_ASSERT_OK(AddUsers(1, 1));
  const uint64_t before = Latest();
  UNIBUS_ASSERT_OK(CreateRoom(2, 1, /*encrypted=*/true));
  absl::StatusOr<v1::Room> room = store_->GetRoom(RoomId(2));
  UNIBUS_ASSERT_OK(room);
  v1::Room expected = MakeRoom(2, 1, true);
  expected.set_member_count(1);
  EXPECT_TRUE(ProtoEquals(expected, *room));

  absl::StatusOr<v1::Member> owner = store_->GetMember(RoomId(2), UserKey(1));
  UNIBUS_ASSERT_OK(owner);
  EXPECT_EQ(owner->role(), v1::ROOM_ROLE_OWNER);
  EXPECT_EQ(owner->kex_pub(), MakeUser(1).kex_pub());
  EXPECT_EQ(owner->handle(), "user-1");

  std::vector<v1::Change> changes = ChangesAfter(before);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind(), v1::CHANGE_KIND_MEMBER_ADDED);
  EXPECT_EQ(changes[0].sign_pub(), UserKey(1));
  EXPECT_EQ(changes[0].room_id(), RoomId(2));
}

TEST_P(StoreConformanceTest, CreateRoomStoresOwnerKey) {
  UNIBUS_ASSERT_OK(AddUsers(1, 1));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  absl::StatusOr<v1::SealedKey> key = store_->GetSealedKey(RoomId(1), 1, UserKey(1));
  UNIBUS_ASSERT_OK(key);
  EXPECT_TRUE(ProtoEquals(MakeKey(1, 1, 1), *key));  // Binary bytes survive intact.
  absl::StatusOr<v1::SealedKey> current = store_->GetSealedKey(RoomId(1), 0, UserKey(1));
  UNIBUS_ASSERT_OK(current);
  EXPECT_TRUE(ProtoEquals(MakeKey(1, 1, 1), *current));
}

TEST_P(StoreConformanceTest, CreateCleartextRoomStoresNoKey) {
  UNIBUS_ASSERT_OK(AddUsers(1, 1));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, false));
  absl::StatusOr<v1::Room> room = store_->GetRoom(RoomId(1));
  UNIBUS_ASSERT_OK(room);
  EXPECT_EQ(room->epoch(), 0u);
  EXPECT_FALSE(room->policy().encrypted());
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetSealedKey(RoomId(1), 0, UserKey(1)));
}

TEST_P(StoreConformanceTest, CreateRoomRejectsDuplicateId) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  const std::string before = Snapshot(1, {1, 2});
  UNIBUS_EXPECT_CODE(kAlreadyExists, CreateRoom(1, 2, false));
  EXPECT_EQ(Snapshot(1, {1, 2}), before);
}

TEST_P(StoreConformanceTest, CreateRoomRejectsUnknownOrRevokedOwner) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(2), 100));
  const uint64_t latest = Latest();
  UNIBUS_EXPECT_CODE(kNotFound, CreateRoom(1, 3, true));
  UNIBUS_EXPECT_CODE(kNotFound, CreateRoom(1, 2, true));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetRoom(RoomId(1)));
  EXPECT_EQ(Latest(), latest);
}

TEST_P(StoreConformanceTest, GetRoomOfUnknownIdIsNotFound) {
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetRoom(RoomId(1)));
}

TEST_P(StoreConformanceTest, GetMemberOfNonMemberOrUnknownRoomIsNotFound) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetMember(RoomId(1), UserKey(2)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetMember(RoomId(2), UserKey(1)));
}

// ---- ListMembers, ListRoomsOf ----

TEST_P(StoreConformanceTest, ListMembersPagesInKeyOrder) {
  UNIBUS_ASSERT_OK(AddUsers(1, 4));
  UNIBUS_ASSERT_OK(CreateRoom(1, 3, false));  // The owner sorts in the middle.
  for (int user : {4, 1, 2}) UNIBUS_ASSERT_OK(Join(1, user));
  absl::StatusOr<Page<v1::Member>> first = store_->ListMembers(RoomId(1), "", 3);
  UNIBUS_ASSERT_OK(first);
  ASSERT_EQ(first->items.size(), 3u);
  EXPECT_EQ(first->items[0].sign_pub(), UserKey(1));
  EXPECT_EQ(first->items[0].handle(), "user-1");
  EXPECT_EQ(first->items[0].kex_pub(), MakeUser(1).kex_pub());
  EXPECT_EQ(first->items[0].added_at_ms(), 7001);
  EXPECT_EQ(first->items[2].sign_pub(), UserKey(3));
  EXPECT_EQ(first->items[2].role(), v1::ROOM_ROLE_OWNER);
  EXPECT_EQ(first->next, UserKey(3));
  absl::StatusOr<Page<v1::Member>> second = store_->ListMembers(RoomId(1), first->next, 3);
  UNIBUS_ASSERT_OK(second);
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].sign_pub(), UserKey(4));
  EXPECT_EQ(second->next, "");
}

TEST_P(StoreConformanceTest, ListMembersOfUnknownRoomIsNotFound) {
  UNIBUS_EXPECT_CODE(kNotFound, store_->ListMembers(RoomId(1), "", 10));
}

TEST_P(StoreConformanceTest, ListRoomsOfPagesInRoomOrderWithRoles) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  for (int room : {5, 2, 7, 1, 4}) UNIBUS_ASSERT_OK(CreateRoom(room, 1, room % 2 == 0));
  UNIBUS_ASSERT_OK(CreateRoom(3, 2, false));  // Not a room of user 1's... until it joins.
  UNIBUS_ASSERT_OK(Join(3, 1, v1::ROOM_ROLE_ADMIN));
  UNIBUS_ASSERT_OK(CreateRoom(6, 2, false));  // Never a room of user 1.
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  do {
    absl::StatusOr<Page<RoomMembership>> page = store_->ListRoomsOf(UserKey(1), after, 2);
    UNIBUS_ASSERT_OK(page);
    for (const RoomMembership& m : page->items) {
      seen.push_back(m.room.room_id());
      const bool is_room_3 = m.room.room_id() == RoomId(3);
      EXPECT_EQ(m.role, is_room_3 ? v1::ROOM_ROLE_ADMIN : v1::ROOM_ROLE_OWNER);
      EXPECT_EQ(m.room.member_count(), is_room_3 ? 2u : 1u);
    }
    after = page->next;
    ASSERT_LT(++pages, 10);
  } while (!after.empty());
  EXPECT_EQ(pages, 3);
  std::vector<std::string> expected;
  for (int room : {1, 2, 3, 4, 5, 7}) expected.push_back(RoomId(room));
  EXPECT_EQ(seen, expected);

  absl::StatusOr<Page<RoomMembership>> none = store_->ListRoomsOf(UserKey(9), "", 10);
  UNIBUS_ASSERT_OK(none);
  EXPECT_TRUE(none->items.empty());
  EXPECT_EQ(none->next, "");
}

// ---- AddMember ----

TEST_P(StoreConformanceTest, AddMemberStoresMemberKeysAndChange) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {1, 2})));
  const uint64_t before = Latest();
  // Epoch 2 is current; an epoch-1 key gives access to history.
  absl::StatusOr<v1::Member> added =
      store_->AddMember(RoomId(1), NewMember(UserKey(3), v1::ROOM_ROLE_ADMIN), 2,
                        {MakeKey(1, 1, 3), MakeKey(1, 2, 3)});
  UNIBUS_ASSERT_OK(added);
  v1::Member expected = NewMember(UserKey(3), v1::ROOM_ROLE_ADMIN);
  expected.set_kex_pub(MakeUser(3).kex_pub());
  expected.set_handle("user-3");
  expected.set_status(v1::USER_STATUS_ACTIVE);
  EXPECT_TRUE(ProtoEquals(expected, *added));
  absl::StatusOr<v1::Member> stored = store_->GetMember(RoomId(1), UserKey(3));
  UNIBUS_ASSERT_OK(stored);
  EXPECT_TRUE(ProtoEquals(expected, *stored));
  for (uint64_t epoch : {1, 2}) {
    absl::StatusOr<v1::SealedKey> key = store_->GetSealedKey(RoomId(1), epoch, UserKey(3));
    UNIBUS_ASSERT_OK(key);
    EXPECT_TRUE(ProtoEquals(MakeKey(1, epoch, 3), *key));
  }
  std::vector<v1::Change> changes = ChangesAfter(before);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind(), v1::CHANGE_KIND_MEMBER_ADDED);
  EXPECT_EQ(changes[0].sign_pub(), UserKey(3));
  EXPECT_EQ(changes[0].room_id(), RoomId(1));
  absl::StatusOr<v1::Room> room = store_->GetRoom(RoomId(1));
  UNIBUS_ASSERT_OK(room);
  EXPECT_EQ(room->member_count(), 3u);
}

TEST_P(StoreConformanceTest, AddMemberRejectsStaleEpoch) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {1, 2})));
  const std::string before = Snapshot(1, {1, 2, 3});
  UNIBUS_EXPECT_CODE(kAborted, store_->AddMember(RoomId(1), NewMember(UserKey(3)), 1,
                                                 {MakeKey(1, 1, 3)}));
  EXPECT_EQ(Snapshot(1, {1, 2, 3}), before);
}

TEST_P(StoreConformanceTest, AddMemberRequiresCurrentEpochKeyAndNoFutureOne) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  const std::string before = Snapshot(1, {1, 2});
  UNIBUS_EXPECT_CODE(kFailedPrecondition,
                     store_->AddMember(RoomId(1), NewMember(UserKey(2)), 1, {}));
  UNIBUS_EXPECT_CODE(kFailedPrecondition, store_->AddMember(RoomId(1), NewMember(UserKey(2)), 1,
                                                            {MakeKey(1, 1, 2), MakeKey(1, 2, 2)}));
  EXPECT_EQ(Snapshot(1, {1, 2}), before);
}

TEST_P(StoreConformanceTest, AddMemberToCleartextRoomTakesNoKeys) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, false));
  UNIBUS_EXPECT_CODE(kOk, store_->AddMember(RoomId(1), NewMember(UserKey(2)), 0, {}));
  UNIBUS_EXPECT_CODE(kFailedPrecondition, store_->AddMember(RoomId(1), NewMember(UserKey(3)), 0,
                                                            {MakeKey(1, 0, 3)}));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetMember(RoomId(1), UserKey(3)));
}

TEST_P(StoreConformanceTest, AddMemberRejectsUnknownRoomAndUnknownOrRevokedUser) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(2), 100));
  const std::string before = Snapshot(1, {1, 2, 3});
  UNIBUS_EXPECT_CODE(kNotFound, store_->AddMember(RoomId(2), NewMember(UserKey(2)), 1,
                                                  {MakeKey(2, 1, 2)}));
  UNIBUS_EXPECT_CODE(kNotFound, store_->AddMember(RoomId(1), NewMember(UserKey(2)), 1,
                                                  {MakeKey(1, 1, 2)}));
  UNIBUS_EXPECT_CODE(kNotFound, store_->AddMember(RoomId(1), NewMember(UserKey(3)), 1,
                                                  {MakeKey(1, 1, 3)}));
  EXPECT_EQ(Snapshot(1, {1, 2, 3}), before);
}

TEST_P(StoreConformanceTest, AddMemberRejectsExistingMember) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  const std::string before = Snapshot(1, {1, 2});
  UNIBUS_EXPECT_CODE(kAlreadyExists, Join(1, 2, v1::ROOM_ROLE_ADMIN));
  UNIBUS_EXPECT_CODE(kAlreadyExists, Join(1, 1));
  EXPECT_EQ(Snapshot(1, {1, 2}), before);
}

TEST_P(StoreConformanceTest, AddMemberRejectsFullRoom) {
  UNIBUS_ASSERT_OK(AddUsers(1, kRoomLimit + 1));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  for (int user = 2; user <= kRoomLimit; ++user) UNIBUS_ASSERT_OK(Join(1, user));
  const std::string before = Snapshot(1, {kRoomLimit + 1});
  UNIBUS_EXPECT_CODE(kResourceExhausted, Join(1, kRoomLimit + 1));
  EXPECT_EQ(Snapshot(1, {kRoomLimit + 1}), before);
  // Room is freed by a departure.
  UNIBUS_ASSERT_OK(store_->Leave(RoomId(1), UserKey(2)));
  UNIBUS_EXPECT_CODE(kOk, Join(1, kRoomLimit + 1));
}

TEST_P(StoreConformanceTest, ConcurrentAddMemberNeverOverfillsRoom) {
  constexpr int kUsers = 12;
  UNIBUS_ASSERT_OK(AddUsers(1, kUsers));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  std::vector<absl::Status> results(kUsers + 1);
  std::vector<std::thread> threads;
  for (int user = 2; user <= kUsers; ++user) {
    threads.emplace_back([this, user, &results] { results[user] = Join(1, user); });
  }
  for (std::thread& t : threads) t.join();
  int ok = 0;
  for (int user = 2; user <= kUsers; ++user) {
    if (results[user].ok()) {
      ++ok;
    } else {
      EXPECT_EQ(results[user].code(), absl::StatusCode::kResourceExhausted) << results[user];
    }
  }
  EXPECT_EQ(ok, kRoomLimit - 1);
  absl::StatusOr<v1::Room> room = store_->GetRoom(RoomId(1));
  UNIBUS_ASSERT_OK(room);
  EXPECT_EQ(room->member_count(), static_cast<uint32_t>(kRoomLimit));
}

// ---- RemoveMember ----

TEST_P(StoreConformanceTest, RemoveMemberMovesRoomToNewEpochWithKeysOfTheOthers) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(Join(1, 3));
  UNIBUS_ASSERT_OK(store_->Leave(RoomId(1), UserKey(3)));  // Sets needs_rekey.
  UNIBUS_ASSERT_OK(Join(1, 3));
  const uint64_t before = Latest();
  absl::StatusOr<v1::Room> room = store_->RemoveMember(RoomId(1), UserKey(2), 2,
                                                       MakeKeys(1, 2, {3, 1}));
  UNIBUS_ASSERT_OK(room);
  EXPECT_EQ(room->epoch(), 2u);
  EXPECT_EQ(room->member_count(), 2u);
  EXPECT_FALSE(room->needs_rekey());
  absl::StatusOr<v1::Room> stored = store_->GetRoom(RoomId(1));
  UNIBUS_ASSERT_OK(stored);
  EXPECT_TRUE(ProtoEquals(*room, *stored));

  UNIBUS_EXPECT_CODE(kNotFound, store_->GetMember(RoomId(1), UserKey(2)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetSealedKey(RoomId(1), 2, UserKey(2)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetSealedKey(RoomId(1), 0, UserKey(2)));
  for (int user : {1, 3}) {
    absl::StatusOr<v1::SealedKey> key = store_->GetSealedKey(RoomId(1), 0, UserKey(user));
    UNIBUS_ASSERT_OK(key);
    EXPECT_TRUE(ProtoEquals(MakeKey(1, 2, user), *key));
  }
  absl::StatusOr<Page<RoomMembership>> rooms = store_->ListRoomsOf(UserKey(2), "", 10);
  UNIBUS_ASSERT_OK(rooms);
  EXPECT_TRUE(rooms->items.empty());
  std::vector<v1::Change> changes = ChangesAfter(before);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind(), v1::CHANGE_KIND_MEMBER_REMOVED);
  EXPECT_EQ(changes[0].sign_pub(), UserKey(2));
  EXPECT_EQ(changes[0].room_id(), RoomId(1));
}

TEST_P(StoreConformanceTest, RemoveMemberWithWrongRecipientsChangesNothing) {
  UNIBUS_ASSERT_OK(AddUsers(1, 4));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(Join(1, 3));
  const std::string before = Snapshot(1, {1, 2, 3, 4});
  const std::vector<std::vector<v1::SealedKey>> bad = {
      MakeKeys(1, 2, {1}),           // Member 3 missing.
      MakeKeys(1, 2, {1, 3, 2}),     // The removed member too.
      MakeKeys(1, 2, {1, 3, 4}),     // An outsider.
      MakeKeys(1, 2, {1, 1}),        // A duplicate instead of member 3.
      MakeKeys(1, 2, {1, 3, 3}),     // A duplicate on top.
      {MakeKey(1, 2, 1), MakeKey(1, 3, 3)},  // One key for another epoch.
      {},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(i);
    UNIBUS_EXPECT_CODE(kFailedPrecondition,
                       store_->RemoveMember(RoomId(1), UserKey(2), 2, bad[i]));
    EXPECT_EQ(Snapshot(1, {1, 2, 3, 4}), before);
  }
}

TEST_P(StoreConformanceTest, RemoveMemberRejectsStaleEpoch) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(Join(1, 3));
  const std::string before = Snapshot(1, {1, 2, 3});
  for (uint64_t epoch : {0, 1, 3}) {
    UNIBUS_EXPECT_CODE(kAborted, store_->RemoveMember(RoomId(1), UserKey(2), epoch,
                                                      MakeKeys(1, epoch, {1, 3})));
  }
  EXPECT_EQ(Snapshot(1, {1, 2, 3}), before);
}

TEST_P(StoreConformanceTest, RemoveMemberRefusesOwnerAndUnknowns) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  const std::string before = Snapshot(1, {1, 2, 3});
  UNIBUS_EXPECT_CODE(kFailedPrecondition,
                     store_->RemoveMember(RoomId(1), UserKey(1), 2, MakeKeys(1, 2, {2})));
  UNIBUS_EXPECT_CODE(kNotFound,
                     store_->RemoveMember(RoomId(1), UserKey(3), 2, MakeKeys(1, 2, {1, 2})));
  UNIBUS_EXPECT_CODE(kNotFound,
                     store_->RemoveMember(RoomId(9), UserKey(2), 2, MakeKeys(9, 2, {1})));
  EXPECT_EQ(Snapshot(1, {1, 2, 3}), before);
}

TEST_P(StoreConformanceTest, RemoveMemberFromCleartextRoomKeepsEpochAndTakesNoKeys) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, false));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(Join(1, 3));
  UNIBUS_EXPECT_CODE(kFailedPrecondition,
                     store_->RemoveMember(RoomId(1), UserKey(2), 1, MakeKeys(1, 1, {1, 3})));
  absl::StatusOr<v1::Room> room = store_->RemoveMember(RoomId(1), UserKey(2), 7, {});
  UNIBUS_ASSERT_OK(room);
  EXPECT_EQ(room->epoch(), 0u);
  EXPECT_EQ(room->member_count(), 2u);
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetMember(RoomId(1), UserKey(2)));
}

// ---- Leave ----

TEST_P(StoreConformanceTest, LeaveRemovesMemberAndMarksEncryptedRoomNeedsRekey) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  const uint64_t before = Latest();
  UNIBUS_ASSERT_OK(store_->Leave(RoomId(1), UserKey(2)));
  absl::StatusOr<v1::Room> room = store_->GetRoom(RoomId(1));
  UNIBUS_ASSERT_OK(room);
  EXPECT_TRUE(room->needs_rekey());
  EXPECT_EQ(room->epoch(), 1u);
  EXPECT_EQ(room->member_count(), 1u);
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetMember(RoomId(1), UserKey(2)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetSealedKey(RoomId(1), 1, UserKey(2)));
  std::vector<v1::Change> changes = ChangesAfter(before);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind(), v1::CHANGE_KIND_MEMBER_REMOVED);
  EXPECT_EQ(changes[0].sign_pub(), UserKey(2));
  UNIBUS_EXPECT_CODE(kNotFound, store_->Leave(RoomId(1), UserKey(2)));
}

TEST_P(StoreConformanceTest, LeaveCleartextRoomDoesNotNeedRekey) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, false));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(store_->Leave(RoomId(1), UserKey(2)));
  absl::StatusOr<v1::Room> room = store_->GetRoom(RoomId(1));
  UNIBUS_ASSERT_OK(room);
  EXPECT_FALSE(room->needs_rekey());
}

TEST_P(StoreConformanceTest, LeaveRefusesOwnerAndUnknowns) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  const std::string before = Snapshot(1, {1, 2});
  UNIBUS_EXPECT_CODE(kFailedPrecondition, store_->Leave(RoomId(1), UserKey(1)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->Leave(RoomId(1), UserKey(2)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->Leave(RoomId(2), UserKey(1)));
  EXPECT_EQ(Snapshot(1, {1, 2}), before);
}

// ---- Rekey ----

TEST_P(StoreConformanceTest, RekeyMovesEpochAndClearsNeedsRekey) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(Join(1, 3));
  UNIBUS_ASSERT_OK(store_->Leave(RoomId(1), UserKey(3)));
  const uint64_t latest = Latest();
  absl::StatusOr<v1::Room> room = store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {2, 1}));
  UNIBUS_ASSERT_OK(room);
  EXPECT_EQ(room->epoch(), 2u);
  EXPECT_FALSE(room->needs_rekey());
  absl::StatusOr<v1::Room> stored = store_->GetRoom(RoomId(1));
  UNIBUS_ASSERT_OK(stored);
  EXPECT_TRUE(ProtoEquals(*room, *stored));
  for (int user : {1, 2}) {
    absl::StatusOr<v1::SealedKey> key = store_->GetSealedKey(RoomId(1), 2, UserKey(user));
    UNIBUS_ASSERT_OK(key);
    EXPECT_TRUE(ProtoEquals(MakeKey(1, 2, user), *key));
  }
  EXPECT_EQ(Latest(), latest);  // Membership is unchanged: nothing for the data plane.
}

TEST_P(StoreConformanceTest, RekeyOfCleartextRoomIsFailedPrecondition) {
  UNIBUS_ASSERT_OK(AddUsers(1, 1));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, false));
  UNIBUS_EXPECT_CODE(kFailedPrecondition, store_->Rekey(RoomId(1), 1, MakeKeys(1, 1, {1})));
  UNIBUS_EXPECT_CODE(kNotFound, store_->Rekey(RoomId(2), 2, MakeKeys(2, 2, {1})));
}

TEST_P(StoreConformanceTest, RekeyRejectsStaleEpochAndWrongRecipients) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  const std::string before = Snapshot(1, {1, 2, 3});
  UNIBUS_EXPECT_CODE(kAborted, store_->Rekey(RoomId(1), 1, MakeKeys(1, 1, {1, 2})));
  UNIBUS_EXPECT_CODE(kAborted, store_->Rekey(RoomId(1), 3, MakeKeys(1, 3, {1, 2})));
  UNIBUS_EXPECT_CODE(kFailedPrecondition, store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {1})));
  UNIBUS_EXPECT_CODE(kFailedPrecondition, store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {1, 2, 3})));
  UNIBUS_EXPECT_CODE(kFailedPrecondition, store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {1, 1})));
  EXPECT_EQ(Snapshot(1, {1, 2, 3}), before);
}

TEST_P(StoreConformanceTest, RekeyAfterRevocationCoversOnlyActiveMembers) {
  // A revoked member stays listed but must never receive a new epoch's key.
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(Join(1, 3));
  UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(3), 9000));
  UNIBUS_EXPECT_CODE(kFailedPrecondition, store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {1, 2, 3})));
  UNIBUS_ASSERT_OK(store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {1, 2})));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetSealedKey(RoomId(1), 2, UserKey(3)));
}

TEST_P(StoreConformanceTest, RemoveMemberOfRevokedUserNeedsKeysOnlyForActiveOthers) {
  UNIBUS_ASSERT_OK(AddUsers(1, 4));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  for (int user : {2, 3, 4}) UNIBUS_ASSERT_OK(Join(1, user));
  UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(3), 9000));
  UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(4), 9001));
  // Removing revoked user 3: keys for the active remaining members (1, 2), not for revoked 4.
  UNIBUS_EXPECT_CODE(kFailedPrecondition,
                     store_->RemoveMember(RoomId(1), UserKey(3), 2, MakeKeys(1, 2, {1, 2, 4})));
  UNIBUS_ASSERT_OK(store_->RemoveMember(RoomId(1), UserKey(3), 2, MakeKeys(1, 2, {1, 2})));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetMember(RoomId(1), UserKey(3)));
}

// ---- GetSealedKey ----

TEST_P(StoreConformanceTest, GetSealedKeyEpochZeroMeansCurrentAndOldEpochsRemain) {
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {1, 2})));
  absl::StatusOr<v1::SealedKey> current = store_->GetSealedKey(RoomId(1), 0, UserKey(2));
  UNIBUS_ASSERT_OK(current);
  EXPECT_EQ(current->epoch(), 2u);
  absl::StatusOr<v1::SealedKey> old = store_->GetSealedKey(RoomId(1), 1, UserKey(2));
  UNIBUS_ASSERT_OK(old);
  EXPECT_TRUE(ProtoEquals(MakeKey(1, 1, 2), *old));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetSealedKey(RoomId(1), 3, UserKey(2)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetSealedKey(RoomId(1), 0, UserKey(3)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetSealedKey(RoomId(2), 0, UserKey(1)));
}

// ---- DeleteRoom ----

TEST_P(StoreConformanceTest, DeleteRoomRemovesMembersAndKeysAndAppendsChanges) {
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  UNIBUS_ASSERT_OK(CreateRoom(1, 2, true));
  UNIBUS_ASSERT_OK(CreateRoom(2, 1, true));
  UNIBUS_ASSERT_OK(Join(1, 3));
  UNIBUS_ASSERT_OK(Join(1, 1));
  UNIBUS_ASSERT_OK(Join(2, 3));
  const uint64_t before = Latest();
  UNIBUS_ASSERT_OK(store_->DeleteRoom(RoomId(1)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetRoom(RoomId(1)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->ListMembers(RoomId(1), "", 10));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetSealedKey(RoomId(1), 1, UserKey(3)));
  std::vector<v1::Change> changes = ChangesAfter(before);
  ASSERT_EQ(changes.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(changes[i].kind(), v1::CHANGE_KIND_MEMBER_REMOVED);
    EXPECT_EQ(changes[i].sign_pub(), UserKey(i + 1));  // In sign_pub order.
    EXPECT_EQ(changes[i].room_id(), RoomId(1));
  }
  absl::StatusOr<Page<RoomMembership>> rooms = store_->ListRoomsOf(UserKey(3), "", 10);
  UNIBUS_ASSERT_OK(rooms);
  ASSERT_EQ(rooms->items.size(), 1u);
  EXPECT_EQ(rooms->items[0].room.room_id(), RoomId(2));
}

TEST_P(StoreConformanceTest, DeletedRoomIdIsNeverCreatedAgain) {
  // A re-created id would hand its new owner the old room's retained history (its subject).
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, false));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(store_->DeleteRoom(RoomId(1)));
  const std::string gone = Snapshot(1, {1, 2});
  for (int owner : {2, 1}) {  // an ex-member, or the old owner; either policy
    UNIBUS_EXPECT_CODE(kAlreadyExists, CreateRoom(1, owner, false));
    UNIBUS_EXPECT_CODE(kAlreadyExists, CreateRoom(1, owner, true));
  }
  EXPECT_EQ(Snapshot(1, {1, 2}), gone);  // still gone, and no change appended
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetRoom(RoomId(1)));
  UNIBUS_EXPECT_CODE(kNotFound, store_->DeleteRoom(RoomId(1)));
  // Other ids are not affected.
  UNIBUS_ASSERT_OK(CreateRoom(2, 2, false));
}

TEST_P(StoreConformanceTest, DeleteRoomOfUnknownIdIsNotFound) {
  const uint64_t latest = Latest();
  UNIBUS_EXPECT_CODE(kNotFound, store_->DeleteRoom(RoomId(1)));
  EXPECT_EQ(Latest(), latest);
}

}  // namespace
}  // namespace unibus::control::store
