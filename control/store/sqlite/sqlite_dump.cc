// SqliteStore: Dump (every table in canonical order) and BackupTo (VACUUM INTO).
#include <sys/stat.h>

#include "control/store/sqlite/sqlite_connection.h"
#include "control/store/sqlite/sqlite_errors.h"
#include "control/store/sqlite/sqlite_rows.h"
#include "control/store/sqlite/sqlite_sql.h"
#include "control/store/sqlite/sqlite_store.h"

namespace unibus::control::store {

using Mode = SqliteTransaction::Mode;

absl::StatusOr<StoreDump> SqliteStore::Dump() {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("Dump", [&]() -> absl::StatusOr<StoreDump> {
    // One read transaction: a consistent snapshot of this database.
    SqliteTransaction txn(*conn_, Mode::kRead);
    StoreDump dump;
    {
      Query users(*conn_, sql::kDumpUsers);
      while (users.Step()) dump.users.push_back(ReadUser(*users));
    }
    {
      Query rooms(*conn_, sql::kDumpRooms);
      while (rooms.Step()) dump.rooms.push_back({ReadRoom(*rooms), {}});
    }
    {
      Query members(*conn_, sql::kDumpMembers);
      size_t r = 0;
      while (members.Step()) {
        const std::string room_id = members->getColumn(0).getString();
        while (r < dump.rooms.size() && dump.rooms[r].room.room_id() < room_id) ++r;
        if (r == dump.rooms.size()) break;
        v1::Member member;
        member.set_sign_pub(members->getColumn(1).getString());
        member.set_role(static_cast<v1::RoomRole>(members->getColumn(2).getInt()));
        member.set_added_at_ms(members->getColumn(3).getInt64());
        dump.rooms[r].members.push_back(std::move(member));
      }
    }
    {
      Query keys(*conn_, sql::kDumpKeys);
      while (keys.Step()) dump.keys.push_back(ReadKey(*keys));
    }
    {
      Query deleted(*conn_, sql::kDumpDeletedRooms);
      while (deleted.Step()) {
        dump.deleted_rooms.push_back(
            {deleted->getColumn(0).getString(), deleted->getColumn(1).getInt64()});
      }
    }
    txn.Commit();
    Canonicalize(dump);
    return dump;
  });
}

absl::Status SqliteStore::BackupTo(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    return absl::AlreadyExistsError("the backup file already exists");
  }
  absl::MutexLock lock(&mu_);
  return CatchExceptions("BackupTo", [&]() -> absl::Status {
    SQLite::Statement vacuum(conn_->db(), "VACUUM INTO ?1");
    vacuum.bind(1, path);
    vacuum.exec();
    chmod(path.c_str(), 0600);
    return absl::OkStatus();
  });
}

}  // namespace unibus::control::store
