// SqliteStore: rooms, members and sealed keys (users and the change feed: sqlite_store.cc).
#include <algorithm>

#include "control/store/key_rules.h"
#include "control/store/sqlite/sqlite_connection.h"
#include "control/store/sqlite/sqlite_errors.h"
#include "control/store/sqlite/sqlite_rows.h"
#include "control/store/sqlite/sqlite_sql.h"
#include "control/store/sqlite/sqlite_store.h"

namespace unibus::control::store {

using Mode = SqliteTransaction::Mode;

absl::Status SqliteStore::CreateRoom(const v1::Room& room, const v1::SealedKey* owner_key) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("CreateRoom", [&]() -> absl::Status {
    SqliteTransaction txn(*conn_, Mode::kWrite);
    if (FindRoom(room.room_id()).ok() || WasDeleted(room.room_id())) {
      return absl::AlreadyExistsError("room id is taken");
    }
    absl::StatusOr<v1::User> owner = FindUser(room.owner());
    if (!owner.ok() || owner->status() != v1::USER_STATUS_ACTIVE) {
      return absl::NotFoundError("owner not found");
    }
    const bool encrypted = room.policy().encrypted();
    if (encrypted && owner_key == nullptr) {
      return absl::FailedPreconditionError("an encrypted room needs the owner's key");
    }
    {
      Query insert(*conn_, sql::kInsertRoom);
      BindRoom(*insert, room);
      insert->exec();
    }
    Query member(*conn_, sql::kInsertMember);
    member->bind(1, room.room_id());
    member->bind(2, room.owner());
    BindInt(*member, 3, v1::ROOM_ROLE_OWNER);
    BindInt(*member, 4, room.created_at_ms());
    member->exec();
    if (encrypted) StoreKeys(room.room_id(), {*owner_key});
    Append(v1::CHANGE_KIND_MEMBER_ADDED, room.owner(), room.room_id());
    txn.Commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Room> SqliteStore::GetRoom(absl::string_view room_id) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("GetRoom", [&] { return FindRoom(room_id); });
}

absl::StatusOr<v1::Member> SqliteStore::GetMember(absl::string_view room_id,
                                                  absl::string_view sign_pub) {
  absl::MutexLock lock(&mu_);
  // An unknown room has no members: one query answers both NOT_FOUND cases.
  return CatchExceptions("GetMember", [&] { return FindMember(room_id, sign_pub); });
}

absl::StatusOr<Page<v1::Member>> SqliteStore::ListMembers(absl::string_view room_id,
                                                          absl::string_view after, int limit) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("ListMembers", [&]() -> absl::StatusOr<Page<v1::Member>> {
    SqliteTransaction txn(*conn_, Mode::kRead);
    absl::StatusOr<v1::Room> room = FindRoom(room_id);
    if (!room.ok()) return room.status();
    Query query(*conn_, sql::kListMembers);
    BindText(*query, 1, room_id);
    BindText(*query, 2, after);
    BindInt(*query, 3, int64_t{limit} + 1);  // One more tells whether a next page exists.
    Page<v1::Member> page;
    while (query.Step()) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.next = page.items.back().sign_pub();
        break;
      }
      page.items.push_back(ReadMember(*query));
    }
    return page;
  });
}

absl::StatusOr<Page<RoomMembership>> SqliteStore::ListRoomsOf(absl::string_view sign_pub,
                                                              absl::string_view after,
                                                              int limit) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("ListRoomsOf", [&]() -> absl::StatusOr<Page<RoomMembership>> {
    Query query(*conn_, sql::kListRoomsOf);
    BindText(*query, 1, sign_pub);
    BindText(*query, 2, after);
    BindInt(*query, 3, int64_t{limit} + 1);
    Page<RoomMembership> page;
    while (query.Step()) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.next = page.items.back().room.room_id();
        break;
      }
      page.items.push_back(
          {ReadRoom(*query), static_cast<v1::RoomRole>(query->getColumn(11).getInt())});
    }
    return page;
  });
}

absl::StatusOr<v1::Member> SqliteStore::AddMember(absl::string_view room_id,
                                                  const v1::Member& member,
                                                  uint64_t expected_epoch,
                                                  const std::vector<v1::SealedKey>& keys) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("AddMember", [&]() -> absl::StatusOr<v1::Member> {
    SqliteTransaction txn(*conn_, Mode::kWrite);
    absl::StatusOr<v1::Room> room = FindRoom(room_id);
    if (!room.ok()) return room.status();
    absl::StatusOr<v1::User> user = FindUser(member.sign_pub());
    if (!user.ok() || user->status() != v1::USER_STATUS_ACTIVE) {
      return absl::NotFoundError("user not found");
    }
    if (FindMember(room_id, member.sign_pub()).ok()) {
      return absl::AlreadyExistsError("already a member");
    }
    const bool encrypted = room->policy().encrypted();
    if (encrypted && expected_epoch != room->epoch()) {
      return absl::AbortedError("the room's epoch has changed");
    }
    absl::Status keys_ok = CheckNewMemberKeys(encrypted, room->epoch(), keys);
    if (!keys_ok.ok()) return keys_ok;
    if (room->member_count() >= static_cast<uint32_t>(options_.max_room_members)) {
      return absl::ResourceExhaustedError("the room is full");
    }
    {
      Query insert(*conn_, sql::kInsertMember);
      BindText(*insert, 1, room_id);
      insert->bind(2, member.sign_pub());
      BindInt(*insert, 3, member.role());
      BindInt(*insert, 4, member.added_at_ms());
      insert->exec();
    }
    StoreKeys(room_id, keys);
    Append(v1::CHANGE_KIND_MEMBER_ADDED, member.sign_pub(), room_id);
    txn.Commit();
    v1::Member added = member;
    added.set_kex_pub(user->kex_pub());
    added.set_handle(user->handle());
    added.set_status(user->status());
    return added;
  });
}

absl::StatusOr<v1::Room> SqliteStore::RemoveMember(absl::string_view room_id,
                                                   absl::string_view sign_pub,
                                                   uint64_t new_epoch,
                                                   const std::vector<v1::SealedKey>& keys) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("RemoveMember", [&]() -> absl::StatusOr<v1::Room> {
    SqliteTransaction txn(*conn_, Mode::kWrite);
    absl::StatusOr<v1::Room> room = FindDeparting(room_id, sign_pub);
    if (!room.ok()) return room.status();
    const bool encrypted = room->policy().encrypted();
    if (encrypted && new_epoch != room->epoch() + 1) {
      return absl::AbortedError("new_epoch is not the room's epoch + 1");
    }
    std::vector<std::string> remaining = ActiveMemberKeys(room_id);
    remaining.erase(std::remove(remaining.begin(), remaining.end(), sign_pub), remaining.end());
    absl::Status keys_ok = encrypted ? CheckKeysCoverExactly(remaining, new_epoch, keys)
                                     : CheckNewMemberKeys(false, 0, keys);
    if (!keys_ok.ok()) return keys_ok;
    EraseMember(room_id, sign_pub);
    if (encrypted) MoveToEpoch(room_id, new_epoch, keys);
    room = FindRoom(room_id);
    txn.Commit();
    return room;
  });
}

absl::Status SqliteStore::Leave(absl::string_view room_id, absl::string_view sign_pub) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("Leave", [&]() -> absl::Status {
    SqliteTransaction txn(*conn_, Mode::kWrite);
    absl::StatusOr<v1::Room> room = FindDeparting(room_id, sign_pub);
    if (!room.ok()) return room.status();
    EraseMember(room_id, sign_pub);
    if (room->policy().encrypted()) SetNeedsRekey(room_id, true);
    txn.Commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::Room> SqliteStore::Rekey(absl::string_view room_id, uint64_t new_epoch,
                                            const std::vector<v1::SealedKey>& keys) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("Rekey", [&]() -> absl::StatusOr<v1::Room> {
    SqliteTransaction txn(*conn_, Mode::kWrite);
    absl::StatusOr<v1::Room> room = FindRoom(room_id);
    if (!room.ok()) return room.status();
    if (!room->policy().encrypted()) {
      return absl::FailedPreconditionError("cleartext rooms have no keys");
    }
    if (new_epoch != room->epoch() + 1) {
      return absl::AbortedError("new_epoch is not the room's epoch + 1");
    }
    absl::Status keys_ok = CheckKeysCoverExactly(ActiveMemberKeys(room_id), new_epoch, keys);
    if (!keys_ok.ok()) return keys_ok;
    MoveToEpoch(room_id, new_epoch, keys);
    room = FindRoom(room_id);
    txn.Commit();
    return room;
  });
}

absl::StatusOr<v1::SealedKey> SqliteStore::GetSealedKey(absl::string_view room_id,
                                                        uint64_t epoch,
                                                        absl::string_view recipient) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("GetSealedKey", [&]() -> absl::StatusOr<v1::SealedKey> {
    SqliteTransaction txn(*conn_, Mode::kRead);
    absl::StatusOr<v1::Room> room = FindRoom(room_id);
    if (!room.ok()) return room.status();
    Query query(*conn_, sql::kKey);
    BindText(*query, 1, room_id);
    BindText(*query, 2, recipient);
    BindInt(*query, 3, static_cast<int64_t>(epoch == 0 ? room->epoch() : epoch));
    if (!query.Step()) return absl::NotFoundError("no key for that epoch");
    return ReadKey(*query);
  });
}

absl::Status SqliteStore::DeleteRoom(absl::string_view room_id) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("DeleteRoom", [&]() -> absl::Status {
    SqliteTransaction txn(*conn_, Mode::kWrite);
    absl::StatusOr<v1::Room> room = FindRoom(room_id);
    if (!room.ok()) return room.status();
    {
      Query removed(*conn_, sql::kInsertRemovedForRoom);
      BindInt(*removed, 1, v1::CHANGE_KIND_MEMBER_REMOVED);
      BindText(*removed, 2, room_id);
      BindInt(*removed, 3, clock_.NowMs());
      removed->exec();
    }
    {
      Query erase(*conn_, sql::kDeleteRoom);  // Members and keys go by ON DELETE CASCADE.
      BindText(*erase, 1, room_id);
      erase->exec();
    }
    Query tombstone(*conn_, sql::kInsertDeletedRoom);
    BindText(*tombstone, 1, room_id);
    BindInt(*tombstone, 2, clock_.NowMs());
    tombstone->exec();
    txn.Commit();
    return absl::OkStatus();
  });
}

// ---- Helpers ----

absl::StatusOr<v1::Room> SqliteStore::FindRoom(absl::string_view room_id) {
  Query query(*conn_, sql::kRoomById);
  BindText(*query, 1, room_id);
  if (!query.Step()) return absl::NotFoundError("room not found");
  return ReadRoom(*query);
}

bool SqliteStore::WasDeleted(absl::string_view room_id) {
  Query query(*conn_, sql::kDeletedRoom);
  BindText(*query, 1, room_id);
  return query.Step();
}

absl::StatusOr<v1::Member> SqliteStore::FindMember(absl::string_view room_id,
                                                   absl::string_view sign_pub) {
  Query query(*conn_, sql::kMember);
  BindText(*query, 1, room_id);
  BindText(*query, 2, sign_pub);
  if (!query.Step()) return absl::NotFoundError("member not found");
  return ReadMember(*query);
}

absl::StatusOr<v1::Room> SqliteStore::FindDeparting(absl::string_view room_id,
                                                    absl::string_view sign_pub) {
  absl::StatusOr<v1::Room> room = FindRoom(room_id);
  if (!room.ok()) return room.status();
  if (!FindMember(room_id, sign_pub).ok()) return absl::NotFoundError("member not found");
  if (room->owner() == sign_pub) {
    return absl::FailedPreconditionError("the owner cannot leave or be removed");
  }
  return room;
}

std::vector<std::string> SqliteStore::MemberKeys(absl::string_view room_id) {
  Query query(*conn_, sql::kMemberKeys);
  BindText(*query, 1, room_id);
  std::vector<std::string> keys;
  while (query.Step()) keys.push_back(query->getColumn(0).getString());
  return keys;
}

std::vector<std::string> SqliteStore::ActiveMemberKeys(absl::string_view room_id) {
  Query query(*conn_, sql::kActiveMemberKeys);
  BindText(*query, 1, room_id);
  BindInt(*query, 2, v1::USER_STATUS_ACTIVE);
  std::vector<std::string> keys;
  while (query.Step()) keys.push_back(query->getColumn(0).getString());
  return keys;
}

void SqliteStore::MoveToEpoch(absl::string_view room_id, uint64_t new_epoch,
                              const std::vector<v1::SealedKey>& keys) {
  Query set_epoch(*conn_, sql::kSetEpoch);  // Also clears needs_rekey.
  BindText(*set_epoch, 1, room_id);
  BindInt(*set_epoch, 2, static_cast<int64_t>(new_epoch));
  set_epoch->exec();
  StoreKeys(room_id, keys);
}

void SqliteStore::StoreKeys(absl::string_view room_id, const std::vector<v1::SealedKey>& keys) {
  for (const v1::SealedKey& key : keys) {
    Query upsert(*conn_, sql::kUpsertKey);
    BindKey(*upsert, room_id, key);
    upsert->exec();
  }
}

void SqliteStore::EraseMember(absl::string_view room_id, absl::string_view sign_pub) {
  {
    Query keys(*conn_, sql::kDeleteKeysOf);
    BindText(*keys, 1, room_id);
    BindText(*keys, 2, sign_pub);
    keys->exec();
  }
  Query member(*conn_, sql::kDeleteMember);
  BindText(*member, 1, room_id);
  BindText(*member, 2, sign_pub);
  member->exec();
  Append(v1::CHANGE_KIND_MEMBER_REMOVED, sign_pub, room_id);
}

void SqliteStore::SetNeedsRekey(absl::string_view room_id, bool needs_rekey) {
  Query update(*conn_, sql::kSetNeedsRekey);
  BindText(*update, 1, room_id);
  BindInt(*update, 2, needs_rekey ? 1 : 0);
  update->exec();
}

}  // namespace unibus::control::store
