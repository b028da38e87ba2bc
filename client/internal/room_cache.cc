#include "client/internal/room_cache.h"

#include "common/crypto/room_key_envelope.h"

namespace unibus::client::internal {

absl::StatusOr<v1::Room> RoomCache::Room(const std::string& room_id, bool refresh) {
  {
    absl::MutexLock lock(&mu_);
    auto it = rooms_.find(room_id);
    if (!refresh && it != rooms_.end() && absl::Now() - it->second.fetched < ttl_) {
      return it->second.room;
    }
  }
  v1::GetRoomRequest request;
  request.set_room_id(room_id);
  v1::GetRoomResponse response;
  absl::Status s = control_.Call([&](ControlLink::Endpoint& e, grpc::ClientContext& c) {
    return e.rooms->GetRoom(&c, request, &response);
  });
  if (!s.ok()) {
    if (s.code() == absl::StatusCode::kNotFound) Forget(room_id);
    return s;
  }
  PutRoom(response.room());
  return response.room();
}

void RoomCache::PutRoom(const v1::Room& room) {
  absl::MutexLock lock(&mu_);
  Entry& e = rooms_[room.room_id()];
  e.room = room;
  e.fetched = absl::Now();
}

void RoomCache::Forget(const std::string& room_id) {
  absl::MutexLock lock(&mu_);
  rooms_.erase(room_id);
}

absl::StatusOr<std::vector<v1::Member>> RoomCache::Members(const std::string& room_id) {
  std::vector<v1::Member> members;
  v1::ListMembersRequest request;
  request.set_room_id(room_id);
  request.set_page_size(500);
  do {
    v1::ListMembersResponse response;
    absl::Status s = control_.Call([&](ControlLink::Endpoint& e, grpc::ClientContext& c) {
      return e.rooms->ListMembers(&c, request, &response);
    });
    if (!s.ok()) return s;
    for (v1::Member& m : *response.mutable_members()) members.push_back(std::move(m));
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return members;
}

bool RoomCache::MaySeal(const std::string& room_id, const std::string& signer) {
  absl::StatusOr<v1::Room> room = Room(room_id);
  if (room.ok() && room->owner() == signer) return true;
  absl::StatusOr<std::vector<v1::Member>> members = Members(room_id);
  if (!members.ok()) return false;
  for (const v1::Member& m : *members) {
    if (m.sign_pub() == signer) {
      return m.role() == v1::ROOM_ROLE_OWNER || m.role() == v1::ROOM_ROLE_ADMIN;
    }
  }
  return false;
}

absl::StatusOr<std::string> RoomCache::FetchKey(const std::string& room_id, uint64_t epoch) {
  v1::GetRoomKeyRequest request;
  request.set_room_id(room_id);
  request.set_epoch(epoch);
  v1::GetRoomKeyResponse response;
  absl::Status s = control_.Call([&](ControlLink::Endpoint& e, grpc::ClientContext& c) {
    return e.rooms->GetRoomKey(&c, request, &response);
  });
  if (!s.ok()) return s;
  return common::OpenRoomKey(response.key(), me_, room_id, epoch,
                             [&](const std::string& signer) { return MaySeal(room_id, signer); });
}

absl::StatusOr<std::string> RoomCache::Key(const std::string& room_id, uint64_t epoch) {
  {
    absl::MutexLock lock(&mu_);
    auto it = rooms_.find(room_id);
    if (it != rooms_.end()) {
      auto k = it->second.keys.find(epoch);
      if (k != it->second.keys.end()) return std::string(k->second->view());
    }
  }
  absl::StatusOr<std::string> key = FetchKey(room_id, epoch);
  if (!key.ok()) return key.status();
  PutKey(room_id, epoch, *key);
  return key;
}

void RoomCache::PutKey(const std::string& room_id, uint64_t epoch, const std::string& key) {
  absl::MutexLock lock(&mu_);
  rooms_[room_id].keys[epoch] = std::make_shared<common::SecretBytes>(key);
}

}  // namespace unibus::client::internal
