// MemoryStore: rooms, members and keys (users and the change feed are in memory_store.cc).
#include <algorithm>

#include "control/store/key_rules.h"
#include "control/store/memory/memory_store.h"

namespace unibus::control::store {

absl::Status MemoryStore::CreateRoom(const v1::Room& room, const v1::SealedKey* owner_key) {
  absl::MutexLock lock(&mu_);
  if (rooms_.contains(room.room_id()) || deleted_rooms_.contains(room.room_id())) {
    return absl::AlreadyExistsError("room id is taken");
  }
  if (FindActiveUser(room.owner()) == nullptr) return absl::NotFoundError("owner not found");
  const bool encrypted = room.policy().encrypted();
  if (encrypted && owner_key == nullptr) {
    return absl::FailedPreconditionError("an encrypted room needs the owner's key");
  }
  RoomState& state = rooms_[room.room_id()];
  state.room = room;
  state.room.set_needs_rekey(false);
  state.room.set_member_count(0);
  v1::Member& owner = state.members[room.owner()];
  owner.set_sign_pub(room.owner());
  owner.set_role(v1::ROOM_ROLE_OWNER);
  owner.set_added_at_ms(room.created_at_ms());
  if (encrypted) StoreKeys(state, {*owner_key});
  rooms_of_.insert({room.owner(), room.room_id()});
  Append(v1::CHANGE_KIND_MEMBER_ADDED, room.owner(), room.room_id());
  return absl::OkStatus();
}

absl::StatusOr<v1::Room> MemoryStore::GetRoom(absl::string_view room_id) {
  absl::MutexLock lock(&mu_);
  const RoomState* state = FindRoom(room_id);
  if (state == nullptr) return absl::NotFoundError("room not found");
  return RoomView(*state);
}

absl::StatusOr<v1::Member> MemoryStore::GetMember(absl::string_view room_id,
                                                  absl::string_view sign_pub) {
  absl::MutexLock lock(&mu_);
  const RoomState* state = FindRoom(room_id);
  if (state == nullptr) return absl::NotFoundError("room not found");
  auto it = state->members.find(sign_pub);
  if (it == state->members.end()) return absl::NotFoundError("member not found");
  return MemberView(it->second);
}

absl::StatusOr<Page<v1::Member>> MemoryStore::ListMembers(absl::string_view room_id,
                                                          absl::string_view after, int limit) {
  absl::MutexLock lock(&mu_);
  const RoomState* state = FindRoom(room_id);
  if (state == nullptr) return absl::NotFoundError("room not found");
  Page<v1::Member> page;
  for (auto it = state->members.upper_bound(after); it != state->members.end(); ++it) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next = page.items.back().sign_pub();
      break;
    }
    page.items.push_back(MemberView(it->second));
  }
  return page;
}

absl::StatusOr<Page<RoomMembership>> MemoryStore::ListRoomsOf(absl::string_view sign_pub,
                                                              absl::string_view after,
                                                              int limit) {
  absl::MutexLock lock(&mu_);
  const std::string user(sign_pub);
  Page<RoomMembership> page;
  for (auto it = rooms_of_.upper_bound({user, std::string(after)});
       it != rooms_of_.end() && it->first == user; ++it) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next = page.items.back().room.room_id();
      break;
    }
    const RoomState& state = rooms_.at(it->second);
    page.items.push_back({RoomView(state), state.members.at(user).role()});
  }
  return page;
}

absl::StatusOr<v1::Member> MemoryStore::AddMember(absl::string_view room_id,
                                                  const v1::Member& member,
                                                  uint64_t expected_epoch,
                                                  const std::vector<v1::SealedKey>& keys) {
  absl::MutexLock lock(&mu_);
  RoomState* state = FindRoom(room_id);
  if (state == nullptr) return absl::NotFoundError("room not found");
  if (FindActiveUser(member.sign_pub()) == nullptr) return absl::NotFoundError("user not found");
  if (state->members.contains(member.sign_pub())) {
    return absl::AlreadyExistsError("already a member");
  }
  const bool encrypted = state->room.policy().encrypted();
  if (encrypted && expected_epoch != state->room.epoch()) {
    return absl::AbortedError("the room's epoch has changed");
  }
  absl::Status keys_ok = CheckNewMemberKeys(encrypted, state->room.epoch(), keys);
  if (!keys_ok.ok()) return keys_ok;
  if (static_cast<int>(state->members.size()) >= max_room_members_) {
    return absl::ResourceExhaustedError("the room is full");
  }
  v1::Member& stored = state->members[member.sign_pub()];
  stored.set_sign_pub(member.sign_pub());
  stored.set_role(member.role());
  stored.set_added_at_ms(member.added_at_ms());
  StoreKeys(*state, keys);
  rooms_of_.insert({member.sign_pub(), state->room.room_id()});
  Append(v1::CHANGE_KIND_MEMBER_ADDED, member.sign_pub(), state->room.room_id());
  return MemberView(stored);
}

absl::StatusOr<v1::Room> MemoryStore::RemoveMember(absl::string_view room_id,
                                                   absl::string_view sign_pub,
                                                   uint64_t new_epoch,
                                                   const std::vector<v1::SealedKey>& keys) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<RoomState*> found = FindDeparting(room_id, sign_pub);
  if (!found.ok()) return found.status();
  RoomState& state = **found;
  const bool encrypted = state.room.policy().encrypted();
  if (encrypted && new_epoch != state.room.epoch() + 1) {
    return absl::AbortedError("new_epoch is not the room's epoch + 1");
  }
  std::vector<std::string> remaining = ActiveMemberKeys(state);
  remaining.erase(std::remove(remaining.begin(), remaining.end(), sign_pub), remaining.end());
  absl::Status keys_ok = encrypted ? CheckKeysCoverExactly(remaining, new_epoch, keys)
                                   : CheckNewMemberKeys(false, 0, keys);
  if (!keys_ok.ok()) return keys_ok;
  EraseMember(state, std::string(sign_pub));
  if (encrypted) MoveToEpoch(state, new_epoch, keys);  // cleartext rooms never need a rekey
  return RoomView(state);
}

absl::Status MemoryStore::Leave(absl::string_view room_id, absl::string_view sign_pub) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<RoomState*> found = FindDeparting(room_id, sign_pub);
  if (!found.ok()) return found.status();
  RoomState& state = **found;
  EraseMember(state, std::string(sign_pub));
  if (state.room.policy().encrypted()) state.room.set_needs_rekey(true);
  return absl::OkStatus();
}

absl::StatusOr<v1::Room> MemoryStore::Rekey(absl::string_view room_id, uint64_t new_epoch,
                                            const std::vector<v1::SealedKey>& keys) {
  absl::MutexLock lock(&mu_);
  RoomState* state = FindRoom(room_id);
  if (state == nullptr) return absl::NotFoundError("room not found");
  if (!state->room.policy().encrypted()) {
    return absl::FailedPreconditionError("cleartext rooms have no keys");
  }
  if (new_epoch != state->room.epoch() + 1) {
    return absl::AbortedError("new_epoch is not the room's epoch + 1");
  }
  absl::Status keys_ok = CheckKeysCoverExactly(ActiveMemberKeys(*state), new_epoch, keys);
  if (!keys_ok.ok()) return keys_ok;
  MoveToEpoch(*state, new_epoch, keys);
  return RoomView(*state);
}

absl::StatusOr<v1::SealedKey> MemoryStore::GetSealedKey(absl::string_view room_id,
                                                        uint64_t epoch,
                                                        absl::string_view recipient) {
  absl::MutexLock lock(&mu_);
  const RoomState* state = FindRoom(room_id);
  if (state == nullptr) return absl::NotFoundError("room not found");
  if (epoch == 0) epoch = state->room.epoch();
  auto it = state->keys.find({std::string(recipient), epoch});
  if (it == state->keys.end()) return absl::NotFoundError("no key for that epoch");
  return it->second;
}

absl::Status MemoryStore::DeleteRoom(absl::string_view room_id) {
  absl::MutexLock lock(&mu_);
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return absl::NotFoundError("room not found");
  for (const std::string& sign_pub : MemberKeys(it->second)) EraseMember(it->second, sign_pub);
  rooms_.erase(it);
  deleted_rooms_.emplace(std::string(room_id), clock_.NowMs());
  return absl::OkStatus();
}

}  // namespace unibus::control::store
