// SqliteStore: the default Store, on one SQLite file (WAL journal, synchronous=NORMAL,
// foreign keys on, versioned migrations: see sqlite_schema.h).
//
// Ownership: owns its connection; borrows `clock` (must outlive the store), which stamps the
// change feed.
// Thread safety: safe for concurrent use. One connection, guarded by one mutex, serves every call;
// each mutation runs in one IMMEDIATE transaction together with its change records. A second
// connection on a background thread runs WAL checkpoints. Several processes may open the same
// file (they wait up to busy_timeout_ms for the write lock).
// Error codes: those of store.h. SQLite failures map to UNAVAILABLE (busy, locked, I/O, disk
// full) or INTERNAL (corruption, bugs); their messages never contain SQL, paths or SQLite's own
// text (details go to stderr). No exception escapes.
#ifndef UNIBUS_CONTROL_STORE_SQLITE_SQLITE_STORE_H_
#define UNIBUS_CONTROL_STORE_SQLITE_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/time/clock.h"
#include "control/store/store.h"

namespace unibus::control::store {

class SqliteCheckpointer;
class SqliteConnection;

class SqliteStore final : public Store {
 public:
  struct Options {
    // Below kMaxRoomMembers only to keep "room full" tests fast.
    int max_room_members = kMaxRoomMembers;
    // How long a write waits for another process's write lock before UNAVAILABLE.
    int busy_timeout_ms = 5000;
    // WAL size (pages) at which a background thread checkpoints, and at which a commit
    // checkpoints itself because the thread fell behind (see sqlite_checkpointer.h).
    int checkpoint_pages = 1000;
    int max_wal_pages = 20000;
  };

  // Opens or creates the database at `path` and migrates it to the current schema.
  // FAILED_PRECONDITION: the file was written by a newer schema version.
  // UNAVAILABLE: cannot open or lock the file. INTERNAL: not a database, or corrupt.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const common::Clock& clock);
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                           const common::Clock& clock,
                                                           const Options& options);
  ~SqliteStore() override;

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

  // Writes a consistent copy of the database to `path` (VACUUM INTO), 0600. ALREADY_EXISTS if
  // `path` exists (a backup is never overwritten).
  absl::Status BackupTo(const std::string& path);

  // For tests: the value of one of the pragmas journal_mode, synchronous, foreign_keys,
  // user_version on this store's connection. INVALID_ARGUMENT for any other name.
  absl::StatusOr<std::string> PragmaForTesting(absl::string_view name);

 private:
  SqliteStore(std::unique_ptr<SqliteConnection> conn,
              std::unique_ptr<SqliteCheckpointer> checkpointer, const common::Clock& clock,
              const Options& options);

  // Each runs inside the caller's transaction and may throw SQLite::Exception.
  absl::StatusOr<v1::User> FindUser(absl::string_view sign_pub) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::Room> FindRoom(absl::string_view room_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // True if a room with this id was deleted (its tombstone).
  bool WasDeleted(absl::string_view room_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::Member> FindMember(absl::string_view room_id, absl::string_view sign_pub)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The room, if `sign_pub` may leave or be removed from it (not the owner).
  absl::StatusOr<v1::Room> FindDeparting(absl::string_view room_id, absl::string_view sign_pub)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> ActiveMemberKeys(absl::string_view room_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<std::string> MemberKeys(absl::string_view room_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The room's new epoch with its keys; clears needs_rekey.
  void MoveToEpoch(absl::string_view room_id, uint64_t new_epoch,
                   const std::vector<v1::SealedKey>& keys) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StoreKeys(absl::string_view room_id, const std::vector<v1::SealedKey>& keys)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Deletes the membership and the member's keys; appends MEMBER_REMOVED.
  void EraseMember(absl::string_view room_id, absl::string_view sign_pub)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetNeedsRekey(absl::string_view room_id, bool needs_rekey)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Append(v1::ChangeKind kind, absl::string_view sign_pub, absl::string_view room_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const common::Clock& clock_;
  const Options options_;

  absl::Mutex mu_;
  std::unique_ptr<SqliteConnection> conn_ ABSL_GUARDED_BY(mu_);
  // Hooks conn_'s commits; declared after conn_ so that it stops before conn_ closes.
  std::unique_ptr<SqliteCheckpointer> checkpointer_;
};

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_SQLITE_SQLITE_STORE_H_
