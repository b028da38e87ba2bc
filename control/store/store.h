// The control plane's persistent state: users (the allowlist), rooms, memberships, sealed room
// keys and the change feed that unibus-authd follows.
//
// Records are the unibus.v1 protobuf messages themselves. A store does no authorization: the
// services decide who may call what. A store does enforce every rule that must hold atomically
// with a write (uniqueness, epochs, "the new keys cover exactly the remaining members"), so that
// two concurrent requests cannot break them.
//
// Every mutation that changes what an identity may do on the data plane appends Change records
// (see broker.proto) in the same transaction.
//
// Thread safety: implementations are safe for concurrent use by many threads.
//
// Error codes (every backend returns the same ones; store_conformance checks it):
//   NOT_FOUND, ALREADY_EXISTS, ABORTED (epoch moved on: the caller's view is stale),
//   FAILED_PRECONDITION (the request does not fit the current state), RESOURCE_EXHAUSTED (room
//   full), OUT_OF_RANGE (change feed position not retained), UNAVAILABLE (backend down; never
//   treat as "not found" when authorizing), INTERNAL (bug or corruption).
// Messages never contain SQL, file paths or backend internals.
#ifndef UNIBUS_CONTROL_STORE_STORE_H_
#define UNIBUS_CONTROL_STORE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "control/store/store_dump.h"
#include "unibus/v1/broker.pb.h"
#include "unibus/v1/rooms.pb.h"
#include "unibus/v1/users.pb.h"

namespace unibus::control::store {

// Most members a room may have (RemoveMember/Rekey must carry one key per member in a 1 MiB call).
inline constexpr int kMaxRoomMembers = 2000;

// A page of results. `next` is the key to pass as `after` for the next page; empty at the end.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next;
};

// One of the caller's rooms and the caller's role in it.
struct RoomMembership {
  v1::Room room;
  v1::RoomRole role = v1::ROOM_ROLE_UNSPECIFIED;
};

class Store {
 public:
  virtual ~Store() = default;

  // ---- Users ----

  // REQUIRES: user is valid (see model/validation.h); status ACTIVE; created_at_ms set.
  // ALREADY_EXISTS if the sign_pub or the handle is taken (nothing changes).
  // Appends USER_ADDED.
  virtual absl::Status AddUser(const v1::User& user) = 0;

  // NOT_FOUND if unknown.
  virtual absl::StatusOr<v1::User> GetUser(absl::string_view sign_pub) = 0;
  virtual absl::StatusOr<v1::User> GetUserByHandle(absl::string_view handle) = 0;

  // Users with sign_pub > after, ascending, at most `limit` (REQUIRES: limit > 0).
  virtual absl::StatusOr<Page<v1::User>> ListUsers(absl::string_view after, int limit) = 0;

  // Marks the user REVOKED at `now_ms` and every encrypted room it belongs to needs_rekey.
  // Revoking a revoked user returns it unchanged (no change record). NOT_FOUND if unknown;
  // FAILED_PRECONDITION if it is the last ACTIVE user with role ADMIN. Appends USER_REVOKED.
  virtual absl::StatusOr<v1::User> RevokeUser(absl::string_view sign_pub, int64_t now_ms) = 0;

  // ---- Rooms ----

  // Creates `room` (room_id, name, owner, policy, epoch, created_at_ms set by the caller;
  // member_count and needs_rekey are computed) with its owner as ROOM_ROLE_OWNER, and stores
  // `owner_key` when the room is encrypted. ALREADY_EXISTS if room_id is taken, also by a room
  // that was deleted (ids are never reused: the room's subject may still hold its history);
  // NOT_FOUND if the owner is not an active user. Appends MEMBER_ADDED for the owner.
  virtual absl::Status CreateRoom(const v1::Room& room, const v1::SealedKey* owner_key) = 0;

  // NOT_FOUND if unknown. member_count is filled in.
  virtual absl::StatusOr<v1::Room> GetRoom(absl::string_view room_id) = 0;

  // NOT_FOUND if the room is unknown or sign_pub is not a member. kex_pub and handle filled in.
  virtual absl::StatusOr<v1::Member> GetMember(absl::string_view room_id,
                                               absl::string_view sign_pub) = 0;

  // Members with sign_pub > after, ascending. NOT_FOUND if the room is unknown.
  virtual absl::StatusOr<Page<v1::Member>> ListMembers(absl::string_view room_id,
                                                       absl::string_view after, int limit) = 0;

  // Rooms of `sign_pub` with room_id > after, ascending.
  virtual absl::StatusOr<Page<RoomMembership>> ListRoomsOf(absl::string_view sign_pub,
                                                           absl::string_view after,
                                                           int limit) = 0;

  // Adds `member` (sign_pub, role, added_at_ms set) to the room and stores `keys` (already
  // validated: recipient = the new member, room = this room). For an encrypted room `keys` must
  // contain one for `expected_epoch`, which must be the room's epoch (else ABORTED).
  // NOT_FOUND (room, or user unknown / not active), ALREADY_EXISTS (already a member),
  // RESOURCE_EXHAUSTED (kMaxRoomMembers reached), FAILED_PRECONDITION (no key for the current
  // epoch in an encrypted room, or a key for an epoch in the future). Appends MEMBER_ADDED.
  virtual absl::StatusOr<v1::Member> AddMember(absl::string_view room_id,
                                               const v1::Member& member, uint64_t expected_epoch,
                                               const std::vector<v1::SealedKey>& keys) = 0;

  // Removes `sign_pub` and, for an encrypted room, moves the room to `new_epoch` with `keys`,
  // atomically. Cleartext rooms: keys must be empty and the epoch stays (new_epoch ignored).
  // NOT_FOUND (room or member), ABORTED (new_epoch != epoch + 1),
  // FAILED_PRECONDITION (removing the owner; keys' recipients are not exactly the remaining
  // members that are ACTIVE users, each once: a revoked member never gets a new key).
  // Clears needs_rekey. Appends MEMBER_REMOVED. Returns the updated room.
  virtual absl::StatusOr<v1::Room> RemoveMember(absl::string_view room_id,
                                                absl::string_view sign_pub, uint64_t new_epoch,
                                                const std::vector<v1::SealedKey>& keys) = 0;

  // Removes `sign_pub` without a rekey and marks an encrypted room needs_rekey.
  // NOT_FOUND (room or member), FAILED_PRECONDITION (the owner). Appends MEMBER_REMOVED.
  virtual absl::Status Leave(absl::string_view room_id, absl::string_view sign_pub) = 0;

  // Moves an encrypted room to `new_epoch` with `keys` for every member, clears needs_rekey.
  // NOT_FOUND, ABORTED (new_epoch != epoch + 1), FAILED_PRECONDITION (cleartext room; keys'
  // recipients are not exactly the members that are ACTIVE users, each once). Returns the
  // updated room.
  virtual absl::StatusOr<v1::Room> Rekey(absl::string_view room_id, uint64_t new_epoch,
                                         const std::vector<v1::SealedKey>& keys) = 0;

  // The key of `recipient` for `epoch` (0 = the room's current epoch). NOT_FOUND if none.
  virtual absl::StatusOr<v1::SealedKey> GetSealedKey(absl::string_view room_id, uint64_t epoch,
                                                     absl::string_view recipient) = 0;

  // Deletes the room, its members and keys, and keeps a tombstone of its id (with the time) so
  // that CreateRoom refuses the id for ever. NOT_FOUND if unknown (a deleted room included).
  // Appends MEMBER_REMOVED for every member.
  virtual absl::Status DeleteRoom(absl::string_view room_id) = 0;

  // ---- Change feed ----

  // Changes with position > after, ascending, at most `limit`. Positions start at 1, are
  // strictly increasing and never reused. OUT_OF_RANGE if `after` is beyond the newest position.
  virtual absl::StatusOr<std::vector<v1::Change>> ListChanges(uint64_t after, int limit) = 0;

  // The newest position (0 when there is none).
  virtual absl::StatusOr<uint64_t> LatestPosition() = 0;

  // ---- Export ----

  // Every user, room, membership, sealed key (of every epoch) and deleted room id, in canonical
  // order (store_dump.h). Not a consistent snapshot while other writers run.
  virtual absl::StatusOr<StoreDump> Dump() = 0;
};

using StorePtr = std::unique_ptr<Store>;

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_STORE_H_
