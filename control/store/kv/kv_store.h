// KvStore: the Store (store.h) on NATS JetStream KV, for clusters of unibusd nodes that share one
// bucket (R1-R5). See kv_bucket.h for the streams it creates.
//
// Records (protobuf, kv_records.proto; key parts that are not [A-Za-z0-9_-]+ are written as
// "=" + hex):
//   u.<sign_pub>                 UserRecord: the User and its outbox.
//   h.<handle>                   HandleRecord: handle -> sign_pub (uniqueness by create).
//   r.<room_id>                  RoomRecord: the Room, all members, the tag of each epoch's key
//                                set and an outbox. Every mutation of a room is ONE
//                                compare-and-set of this record, so it is atomic.
//   d.<room_id>                  DeletedRoomRecord: a deleted room's lasting tombstone (its id is
//                                never created again); written before r.<room_id> is removed.
//   m.<sign_pub>.<room_id>       reverse index for ListRoomsOf; written before a member is added,
//                                removed after it departs; always verified against r.<room_id>.
//   k.<room>.<incarnation>.<epoch>.<epoch_tag>.<join_tag>.<recipient>
//                                a SealedKey. Written BEFORE the room record that references it;
//                                the tags are fresh for each writer, so a writer that loses the
//                                compare-and-set never overwrites the winner's keys, and the keys
//                                of a departed member (or deleted room) are unreachable the moment
//                                the room record commits. Garbage is purged best-effort.
//
// Consistency:
// - Every read-modify-write reads a record with its revision and writes with compare-and-set,
//   re-reading and re-validating on a conflict (bounded; ABORTED when it keeps losing).
// - Reads fail closed: the KV stream has AllowDirect = false, so reads go to the stream leader;
//   any nats error is UNAVAILABLE (INTERNAL for a corrupt record), never NOT_FOUND.
// - Change feed: a change's position is its sequence in the change stream (1, 2, 3, ...). A write
//   that implies changes stores them in its record's outbox with a unique mutation id; after the
//   compare-and-set they are published with Nats-Msg-Id "<mutation id>.<i>" (JetStream drops a
//   second copy within 2 minutes). A writer that finds a pending outbox publishes it before
//   overwriting the record, and Open() publishes every pending outbox (Recover). A crash between
//   publish and clearing the outbox that is recovered after the duplicate window yields a
//   duplicate change (harmless: consumers re-read state).
// - A mutation whose record committed but whose publish failed still returns OK; the change
//   is published by the next writer of that record or the next Open().
// - DeleteRoom commits a tombstone (with MEMBER_REMOVED for every member in its outbox), publishes,
//   then writes d.<room_id> and removes keys, index entries and the record. Reads treat a
//   tombstone as NOT_FOUND; CreateRoom refuses the id (ALREADY_EXISTS) while either remains.
// - Not atomic across records: RevokeUser commits the user record (the security-critical step:
//   USER_REVOKED, grants end) and then marks each encrypted room needs_rekey one by one; if that
//   fails it returns UNAVAILABLE and revoking again re-runs the marking. "Last active admin" is
//   checked by reading all users first, so two admins revoking each other at the same moment can
//   both succeed. AddUser commits the user, then re-checks its handle reservation and rolls back.
// - Import writes records as given and emits no changes (unibus-authd reloads after a migration);
//   run it on a quiet bucket.
// Known limits: listing (ListUsers, ListRoomsOf, Dump, the admin check) is O(all matching keys)
// per call (a watcher over u.>, m.<sign_pub>.*, ...); member views read each user record;
// Rekey/RemoveMember write one key per member in sequence; a room record holds all members and
// one tag per epoch (stays well under 1 MiB at kMaxRoomMembers).
//
// Ownership: borrows the natsConnection and the clock (both must outlive the store).
// Thread safety: safe for concurrent use, also by several processes on one bucket.
// Error codes: those of store.h; Open: INVALID_ARGUMENT (options), UNAVAILABLE.
#ifndef UNIBUS_CONTROL_STORE_KV_KV_STORE_H_
#define UNIBUS_CONTROL_STORE_KV_KV_STORE_H_

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "control/store/kv/kv_bucket.h"
#include "control/store/store.h"

namespace unibus::control::store {

namespace kv {
class MemberEntry;
class Outbox;
class RoomRecord;
class UserRecord;
}  // namespace kv

struct KvStoreOptions {
  natsConnection* connection = nullptr;  // Borrowed; must outlive the store.
  std::string bucket = "unibus_control";  // [A-Za-z0-9_-]+
  int replicas = 1;                      // 1..5
  absl::Duration timeout = absl::Seconds(5);  // Per JetStream request.
  // Tests only: stop every mutation right after its compare-and-set, as if the process died
  // before publishing the outbox.
  bool crash_after_commit_for_testing = false;
};

class KvStore final : public Store {
 public:
  // Creates the streams if missing (or binds to them), then publishes pending outboxes and
  // finishes interrupted room deletions (Recover).
  static absl::StatusOr<std::unique_ptr<KvStore>> Open(const KvStoreOptions& options,
                                                       const common::Clock& clock,
                                                       int max_room_members = kMaxRoomMembers);

  // Publishes every pending outbox and finishes interrupted room deletions. UNAVAILABLE.
  absl::Status Recover();

  ~KvStore() override;

  // `fn` runs on a nats.c thread whenever any process appends to the change feed (a wake-up
  // hint; read ListChanges for the content). Must not block.
  void SetChangeListener(std::function<void()> fn);

  // Writes the dump's users, rooms, members (and index) and keys as given. Idempotent; emits no
  // changes. UNAVAILABLE.
  absl::Status Import(const StoreDump& dump);

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

  // What a room mutation does besides rewriting the room record (see kv_rooms.cc).
  struct RoomPlan;

 private:
  KvStore(std::unique_ptr<kv::KvBucket> bucket, const common::Clock& clock, int max_room_members,
          bool crash_after_commit);

  // A record with the revision it was read at.
  template <typename R>
  struct Loaded {
    bool found = false;
    R record;
    uint64_t revision = 0;
  };
  template <typename R>
  absl::StatusOr<Loaded<R>> Load(absl::string_view key);

  v1::Change MakeChange(v1::ChangeKind kind, absl::string_view sign_pub,
                        absl::string_view room_id) const;
  // Publishes the outbox's changes (idempotent through Nats-Msg-Id).
  absl::Status Publish(const kv::Outbox& outbox);
  absl::StatusOr<v1::User> ActiveUser(absl::string_view sign_pub);
  absl::StatusOr<std::vector<v1::User>> AllUsers();
  absl::StatusOr<uint64_t> ReserveHandle(const v1::User& user);
  void ReleaseHandle(const std::string& handle, const std::string& sign_pub);
  absl::Status MarkRoomsNeedRekey(const std::string& sign_pub);

  // Runs `mutate` on the current room record and commits it (see kv_rooms.cc).
  absl::StatusOr<kv::RoomRecord> UpdateRoom(
      absl::string_view room_id,
      const std::function<absl::Status(bool exists, kv::RoomRecord& record, RoomPlan& plan)>&
          mutate);
  absl::Status WriteKeys(const RoomPlan& plan, const std::string& room_id);
  void AfterRoomCommit(const kv::RoomRecord& record, uint64_t revision, const RoomPlan& plan);
  void AbandonRoomPlan(const std::string& room_id, const RoomPlan& plan);
  absl::StatusOr<kv::RoomRecord> LoadLiveRoom(absl::string_view room_id);
  // True if a room with this id was deleted (d.<room_id>, or a room record marked deleted).
  absl::StatusOr<bool> WasDeleted(absl::string_view room_id);
  // Deletes the tombstoned room's keys, index entries and record (best-effort).
  void FinishDelete(const kv::RoomRecord& tombstone, uint64_t revision);
  // Deletes m.<sign_pub>.<room_id> unless the room (re-read) has sign_pub as a member.
  void RemoveIndexIfStale(const std::string& sign_pub, const std::string& room_id);
  absl::StatusOr<v1::Member> MemberView(const kv::MemberEntry& entry);
  absl::StatusOr<std::vector<std::string>> ActiveMembersOf(const kv::RoomRecord& record);

  // ---- The relay (kv_relay.cc) ----
  // A committed record whose outbox could not be published (JetStream busy, a leader election):
  // the relay thread retries it every half second, and every minute runs Recover() for records
  // left by processes that died. Without it a committed revocation could stay unknown to
  // unibus-authd until the next write of the same record.
  void NotePending(const std::string& key);
  // After a user record committed at `revision`: publishes its outbox and clears it, or leaves it
  // to the relay.
  void AnnounceUser(const std::string& key, kv::UserRecord record, uint64_t revision);
  void StartRelay();
  void Relay();
  // Publishes and clears the outbox of one record (and finishes its deletion); OK if none.
  absl::Status Settle(const std::string& key);

  std::unique_ptr<kv::KvBucket> bucket_;
  const common::Clock& clock_;
  const int max_room_members_;
  const bool crash_after_commit_;

  absl::Mutex relay_mu_;
  absl::flat_hash_set<std::string> pending_ ABSL_GUARDED_BY(relay_mu_);
  bool stopping_ ABSL_GUARDED_BY(relay_mu_) = false;
  std::thread relay_;
};

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_KV_KV_STORE_H_
