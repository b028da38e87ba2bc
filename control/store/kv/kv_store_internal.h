// Private helpers of KvStore shared by kv_store.cc and kv_rooms.cc: record key names, tags and
// room views. Not part of the API.
#ifndef UNIBUS_CONTROL_STORE_KV_KV_STORE_INTERNAL_H_
#define UNIBUS_CONTROL_STORE_KV_KV_STORE_INTERNAL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "control/store/kv/kv_records.pb.h"
#include "control/store/kv/kv_store.h"

namespace unibus::control::store {

// How often a read-modify-write re-reads after losing a compare-and-set before giving up.
inline constexpr int kMaxAttempts = 64;
// A handle reservation without its user record is taken over only after this long (store clock):
// younger ones belong to an AddUser still in progress.
inline constexpr int64_t kHandleOrphanMs = 60 * 1000;

struct KvStore::RoomPlan {
  bool write = true;  // False: nothing changes, commit nothing.
  std::vector<std::pair<std::string, std::string>> keys;  // Sealed keys (name, value) to put.
  std::vector<std::string> add_index;                      // Members added (sign_pub).
  std::vector<std::string> purge_on_abort;                 // Filters of the keys put.
  std::vector<std::pair<std::string, std::string>> departed;  // (sign_pub, join_tag).
  std::vector<v1::Change> changes;
};

namespace kv {

// A key part: itself if it matches [A-Za-z0-9_-]+, else "=" + lowercase hex.
std::string Enc(absl::string_view part);
std::string UserKeyName(absl::string_view sign_pub);
std::string HandleKeyName(absl::string_view handle);
std::string RoomKeyName(absl::string_view room_id);
std::string DeletedRoomKeyName(absl::string_view room_id);
std::string IndexKeyName(absl::string_view sign_pub, absl::string_view room_id);
std::string IndexFilter(absl::string_view sign_pub);
std::string SealedKeyName(absl::string_view room_id, absl::string_view incarnation,
                          uint64_t epoch, absl::string_view epoch_tag,
                          absl::string_view join_tag, absl::string_view recipient);
// Filters: every key of a room incarnation; every key of one membership.
std::string RoomKeysFilter(absl::string_view room_id, absl::string_view incarnation);
std::string MemberKeysFilter(absl::string_view room_id, absl::string_view incarnation,
                             absl::string_view join_tag, absl::string_view recipient);
std::string EpochKeysFilter(absl::string_view room_id, absl::string_view incarnation,
                            uint64_t epoch, absl::string_view epoch_tag);

// 96 random bits as hex: mutation ids and tags.
std::string NewTag();

absl::Status Corrupt();

MemberEntry* FindMember(RoomRecord& record, absl::string_view sign_pub);
const MemberEntry* FindMember(const RoomRecord& record, absl::string_view sign_pub);
// The room as GetRoom returns it (member_count filled in).
v1::Room RoomView(const RoomRecord& record);

}  // namespace kv
}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_KV_KV_STORE_INTERNAL_H_
