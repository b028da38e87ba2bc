#include "broker_auth/grants/grants_diff.h"

namespace unibus::broker_auth::grants {
namespace {

v1::Change ChangeOf(v1::ChangeKind kind, const std::string& sign_pub,
                    const std::string& room_id = "") {
  v1::Change c;
  c.set_kind(kind);
  c.set_sign_pub(sign_pub);
  c.set_room_id(room_id);
  return c;
}

// True if `after` still grants the room as `room` did (history included).
bool StillGranted(const v1::RoomGrant& room, const v1::Grants& after) {
  for (const v1::RoomGrant& r : after.rooms()) {
    if (r.room_id() == room.room_id()) return r.history() || !room.history();
  }
  return false;
}

}  // namespace

std::vector<v1::Change> ShrunkBetween(const absl::flat_hash_map<std::string, v1::Grants>& before,
                                      const absl::flat_hash_map<std::string, v1::Grants>& after) {
  std::vector<v1::Change> shrunk;
  for (const auto& [key, old] : before) {
    if (!old.active()) continue;  // had nothing to lose
    auto it = after.find(key);
    if (it == after.end() || !it->second.active()) {
      shrunk.push_back(ChangeOf(v1::CHANGE_KIND_USER_REVOKED, key));
      continue;
    }
    for (const v1::RoomGrant& room : old.rooms()) {
      if (!StillGranted(room, it->second)) {
        shrunk.push_back(ChangeOf(v1::CHANGE_KIND_MEMBER_REMOVED, key, room.room_id()));
      }
    }
  }
  return shrunk;
}

}  // namespace unibus::broker_auth::grants
