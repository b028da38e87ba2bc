// MemoryStore: the in-memory Store (a fake, STYLE.md "Tests"), for tests of the services. It
// passes the same conformance suite as the persistent backends. Nothing is persisted.
//
// Ownership: borrows `clock` (must outlive the store); owns all records.
// Thread safety: safe for concurrent use; one mutex serialises every call, so each mutation is
// atomic (it validates everything before it changes anything).
// Error codes: exactly those of store.h (UNAVAILABLE and INTERNAL never happen).
#ifndef UNIBUS_CONTROL_STORE_MEMORY_MEMORY_STORE_H_
#define UNIBUS_CONTROL_STORE_MEMORY_MEMORY_STORE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/time/clock.h"
#include "control/store/store.h"

namespace unibus::control::store {

class MemoryStore final : public Store {
 public:
  // `max_room_members` < kMaxRoomMembers keeps "room full" tests fast.
  explicit MemoryStore(const common::Clock& clock, int max_room_members = kMaxRoomMembers);

  absl::Status AddUser(const v1::User& user) override;
  absl::StatusOr<v1::User> GetUser(absl::string_view sign_pub) override;
  absl::StatusOr<v1::User> GetUserByHandle(absl::string_view handle) override;
  absl::StatusOr<Page<v1::User>> ListUsers(absl::string_view after, int limit) override;
  absl::StatusOr<v1::User> RevokeUser(absl::string_view sign_pub, int64_t now_ms) override;

  absl::Status CreateRoom(const v1::Room& room, const v1::SealedKey* owner_key) override;
  absl::StatusOr<v1::Room> GetRoom(absl::string_view room_id) override;
  absl::StatusOr<v1::Member> GetMember(absl::string_view room_id,
                                       absl::string_view sign_pub) override;
  absl::StatusOr<Page<v1::Member>> ListMembers(absl::string_view room_id,
                                               absl::string_view after, int limit) override;
  absl::StatusOr<Page<RoomMembership>> ListRoomsOf(absl::string_view sign_pub,
                                                   absl::string_view after, int limit) override;
  absl::StatusOr<v1::Member> AddMember(absl::string_view room_id, const v1::Member& member,
                                       uint64_t expected_epoch,
                                       const std::vector<v1::SealedKey>& keys) override;
  absl::StatusOr<v1::Room> RemoveMember(absl::string_view room_id, absl::string_view sign_pub,
                                        uint64_t new_epoch,
                                        const std::vector<v1::SealedKey>& keys) override;
  absl::Status Leave(absl::string_view room_id, absl::string_view sign_pub) override;
  absl::StatusOr<v1::Room> Rekey(absl::string_view room_id, uint64_t new_epoch,
                                 const std::vector<v1::SealedKey>& keys) override;
  absl::StatusOr<v1::SealedKey> GetSealedKey(absl::string_view room_id, uint64_t epoch,
                                             absl::string_view recipient) override;
  absl::Status DeleteRoom(absl::string_view room_id) override;

  absl::StatusOr<std::vector<v1::Change>> ListChanges(uint64_t after, int limit) override;
  absl::StatusOr<uint64_t> LatestPosition() override;
  absl::StatusOr<StoreDump> Dump() override;

 private:
  struct RoomState {
    v1::Room room;                                      // member_count not maintained.
    absl::btree_map<std::string, v1::Member> members;   // By sign_pub; role, added_at_ms.
    // By (recipient, epoch), so that a departing member's keys are one range.
    absl::btree_map<std::pair<std::string, uint64_t>, v1::SealedKey> keys;
  };

  RoomState* FindRoom(absl::string_view room_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const v1::User* FindActiveUser(absl::string_view sign_pub) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Room RoomView(const RoomState& state) const;
  v1::Member MemberView(const v1::Member& member) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> MemberKeys(const RoomState& state) const;
  // Members that are still active users: the recipients a new epoch's keys must cover.
  std::vector<std::string> ActiveMemberKeys(const RoomState& state) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StoreKeys(RoomState& state, const std::vector<v1::SealedKey>& keys);
  // The room's new epoch with its keys; clears needs_rekey.
  void MoveToEpoch(RoomState& state, uint64_t new_epoch, const std::vector<v1::SealedKey>& keys);
  void EraseMember(RoomState& state, const std::string& sign_pub)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<RoomState*> FindDeparting(absl::string_view room_id, absl::string_view sign_pub)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Append(v1::ChangeKind kind, absl::string_view sign_pub, absl::string_view room_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const common::Clock& clock_;
  const int max_room_members_;

  absl::Mutex mu_;
  absl::btree_map<std::string, v1::User> users_ ABSL_GUARDED_BY(mu_);            // By sign_pub.
  absl::flat_hash_map<std::string, std::string> handles_ ABSL_GUARDED_BY(mu_);   // To sign_pub.
  absl::btree_map<std::string, RoomState> rooms_ ABSL_GUARDED_BY(mu_);           // By room_id.
  // Tombstones: room_id -> deleted_at_ms. A deleted room's id is never created again.
  absl::btree_map<std::string, int64_t> deleted_rooms_ ABSL_GUARDED_BY(mu_);
  absl::btree_set<std::pair<std::string, std::string>> rooms_of_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Change> changes_ ABSL_GUARDED_BY(mu_);  // changes_[i].position() == i + 1.
};

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_MEMORY_MEMORY_STORE_H_
