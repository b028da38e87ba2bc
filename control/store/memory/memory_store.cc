// MemoryStore: users, the change feed and shared helpers (rooms: memory_rooms.cc).
#include "control/store/memory/memory_store.h"

#include <cstddef>

namespace unibus::control::store {

MemoryStore::MemoryStore(const common::Clock& clock, int max_room_members)
    : clock_(clock), max_room_members_(max_room_members) {}

// ---- Users ----

absl::Status MemoryStore::AddUser(const v1::User& user) {
  absl::MutexLock lock(&mu_);
  if (users_.contains(user.sign_pub())) return absl::AlreadyExistsError("user key is taken");
  if (handles_.contains(user.handle())) return absl::AlreadyExistsError("handle is taken");
  users_[user.sign_pub()] = user;
  handles_[user.handle()] = user.sign_pub();
  Append(v1::CHANGE_KIND_USER_ADDED, user.sign_pub(), "");
  return absl::OkStatus();
}

absl::StatusOr<v1::User> MemoryStore::GetUser(absl::string_view sign_pub) {
  absl::MutexLock lock(&mu_);
  auto it = users_.find(sign_pub);
  if (it == users_.end()) return absl::NotFoundError("user not found");
  return it->second;
}

absl::StatusOr<v1::User> MemoryStore::GetUserByHandle(absl::string_view handle) {
  absl::MutexLock lock(&mu_);
  auto it = handles_.find(handle);
  if (it == handles_.end()) return absl::NotFoundError("user not found");
  return users_.at(it->second);
}

absl::StatusOr<Page<v1::User>> MemoryStore::ListUsers(absl::string_view after, int limit) {
  absl::MutexLock lock(&mu_);
  Page<v1::User> page;
  for (auto it = users_.upper_bound(after); it != users_.end(); ++it) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next = page.items.back().sign_pub();
      break;
    }
    page.items.push_back(it->second);
  }
  return page;
}

absl::StatusOr<v1::User> MemoryStore::RevokeUser(absl::string_view sign_pub, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  auto it = users_.find(sign_pub);
  if (it == users_.end()) return absl::NotFoundError("user not found");
  v1::User& user = it->second;
  if (user.status() == v1::USER_STATUS_REVOKED) return user;
  if (user.role() == v1::ROLE_ADMIN) {
    int other_admins = 0;
    for (const auto& [key, u] : users_) {
      if (key != user.sign_pub() && u.role() == v1::ROLE_ADMIN &&
          u.status() == v1::USER_STATUS_ACTIVE) {
        ++other_admins;
      }
    }
    if (other_admins == 0) return absl::FailedPreconditionError("last active admin");
  }
  user.set_status(v1::USER_STATUS_REVOKED);
  user.set_revoked_at_ms(now_ms);
  for (auto r = rooms_of_.lower_bound({user.sign_pub(), ""});
       r != rooms_of_.end() && r->first == user.sign_pub(); ++r) {
    v1::Room& room = rooms_.at(r->second).room;
    if (room.policy().encrypted()) room.set_needs_rekey(true);
  }
  Append(v1::CHANGE_KIND_USER_REVOKED, user.sign_pub(), "");
  return user;
}

// ---- Change feed ----

absl::StatusOr<std::vector<v1::Change>> MemoryStore::ListChanges(uint64_t after, int limit) {
  absl::MutexLock lock(&mu_);
  if (after > changes_.size()) return absl::OutOfRangeError("position is beyond the newest");
  auto first = changes_.begin() + static_cast<std::ptrdiff_t>(after);
  auto last = changes_.end() - first > limit ? first + limit : changes_.end();
  return std::vector<v1::Change>(first, last);
}

absl::StatusOr<uint64_t> MemoryStore::LatestPosition() {
  absl::MutexLock lock(&mu_);
  return changes_.size();
}

void MemoryStore::Append(v1::ChangeKind kind, absl::string_view sign_pub,
                         absl::string_view room_id) {
  v1::Change& change = changes_.emplace_back();
  change.set_position(changes_.size());
  change.set_kind(kind);
  change.set_sign_pub(std::string(sign_pub));
  change.set_room_id(std::string(room_id));
  change.set_at_ms(clock_.NowMs());
}

// ---- Helpers ----

MemoryStore::RoomState* MemoryStore::FindRoom(absl::string_view room_id) {
  auto it = rooms_.find(room_id);
  return it == rooms_.end() ? nullptr : &it->second;
}

const v1::User* MemoryStore::FindActiveUser(absl::string_view sign_pub) {
  auto it = users_.find(sign_pub);
  if (it == users_.end() || it->second.status() != v1::USER_STATUS_ACTIVE) return nullptr;
  return &it->second;
}

v1::Room MemoryStore::RoomView(const RoomState& state) const {
  v1::Room room = state.room;
  room.set_member_count(static_cast<uint32_t>(state.members.size()));
  return room;
}

v1::Member MemoryStore::MemberView(const v1::Member& member) const {
  v1::Member view = member;
  const v1::User& user = users_.at(member.sign_pub());
  view.set_kex_pub(user.kex_pub());
  view.set_handle(user.handle());
  view.set_status(user.status());
  return view;
}

std::vector<std::string> MemoryStore::MemberKeys(const RoomState& state) const {
  std::vector<std::string> keys;
  keys.reserve(state.members.size());
  for (const auto& kv : state.members) keys.push_back(kv.first);
  return keys;
}

std::vector<std::string> MemoryStore::ActiveMemberKeys(const RoomState& state) const {
  std::vector<std::string> keys;
  for (const auto& kv : state.members) {
    auto user = users_.find(kv.first);
    if (user != users_.end() && user->second.status() == v1::USER_STATUS_ACTIVE) {
      keys.push_back(kv.first);
    }
  }
  return keys;
}

void MemoryStore::MoveToEpoch(RoomState& state, uint64_t new_epoch,
                              const std::vector<v1::SealedKey>& keys) {
  state.room.set_epoch(new_epoch);
  state.room.set_needs_rekey(false);
  StoreKeys(state, keys);
}

void MemoryStore::StoreKeys(RoomState& state, const std::vector<v1::SealedKey>& keys) {
  for (const v1::SealedKey& key : keys) {
    v1::SealedKey& stored = state.keys[{key.recipient(), key.epoch()}];
    stored = key;
    stored.set_room_id(state.room.room_id());
  }
}

void MemoryStore::EraseMember(RoomState& state, const std::string& sign_pub) {
  auto first = state.keys.lower_bound({sign_pub, 0});
  auto last = first;
  while (last != state.keys.end() && last->first.first == sign_pub) ++last;
  state.keys.erase(first, last);
  state.members.erase(sign_pub);
  rooms_of_.erase({sign_pub, state.room.room_id()});
  Append(v1::CHANGE_KIND_MEMBER_REMOVED, sign_pub, state.room.room_id());
}

absl::StatusOr<MemoryStore::RoomState*> MemoryStore::FindDeparting(absl::string_view room_id,
                                                                   absl::string_view sign_pub) {
  RoomState* state = FindRoom(room_id);
  if (state == nullptr) return absl::NotFoundError("room not found");
  if (!state->members.contains(sign_pub)) return absl::NotFoundError("member not found");
  if (state->room.owner() == sign_pub) {
    return absl::FailedPreconditionError("the owner cannot leave or be removed");
  }
  return state;
}

absl::StatusOr<StoreDump> MemoryStore::Dump() {
  absl::MutexLock lock(&mu_);
  StoreDump dump;
  for (const auto& [key, user] : users_) dump.users.push_back(user);
  for (const auto& [room_id, state] : rooms_) {
    RoomDump room{RoomView(state), {}};
    for (const auto& [key, member] : state.members) room.members.push_back(member);
    dump.rooms.push_back(std::move(room));
    for (const auto& [key, sealed] : state.keys) dump.keys.push_back(sealed);
  }
  for (const auto& [room_id, at_ms] : deleted_rooms_) dump.deleted_rooms.push_back({room_id, at_ms});
  Canonicalize(dump);
  return dump;
}

}  // namespace unibus::control::store
