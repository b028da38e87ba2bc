// `unibusd migrate-to-kv` and `unibusd export`.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/time/clock.h"
#include "control/cli/commands.h"
#include "control/store/kv/kv_store.h"
#include "control/store/sqlite/sqlite_store.h"

namespace unibus::control::cli {
namespace {

std::string Counts(const store::StoreDump& dump) {
  size_t members = 0;
  for (const store::RoomDump& room : dump.rooms) members += room.members.size();
  return absl::StrCat(dump.users.size(), " users, ", dump.rooms.size(), " rooms, ", members,
                      " memberships, ", dump.keys.size(), " sealed keys, ",
                      dump.deleted_rooms.size(), " deleted room ids");
}

std::string DefaultBackupPath(const std::string& db) {
  return absl::StrCat(db, ".backup-", absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(),
                                                        absl::UTCTimeZone()));
}

}  // namespace

int MigrateToKv(const std::string& db, const std::string& backup, const ClusterFlags& cluster) {
  if (db.empty()) {
    std::cerr << "unibusd migrate-to-kv: --db is required\n";
    return 2;
  }
  if (absl::Status s = ValidateClusterFlags(cluster); !s.ok()) {
    std::cerr << "unibusd migrate-to-kv: " << s.message() << "\n";
    return 2;
  }
  const common::Clock& clock = common::RealClock::Get();
  auto sqlite = store::SqliteStore::Open(db, clock);
  if (!sqlite.ok()) {
    std::cerr << "unibusd migrate-to-kv: cannot open the database " << db << ": "
              << sqlite.status().message() << "\n";
    return 1;
  }
  // 1. A backup first, so that nothing this command does can cost the source.
  const std::string backup_path = backup.empty() ? DefaultBackupPath(db) : backup;
  if (absl::Status s = (*sqlite)->BackupTo(backup_path); !s.ok()) {
    std::cerr << "unibusd migrate-to-kv: backup to " << backup_path << " failed: " << s.message()
              << "; nothing was copied\n";
    return 1;
  }
  std::cerr << "unibusd migrate-to-kv: backup written to " << backup_path << "\n";
  absl::StatusOr<store::StoreDump> source = (*sqlite)->Dump();
  if (!source.ok()) {
    std::cerr << "unibusd migrate-to-kv: reading " << db << ": " << source.status().message()
              << "\n";
    return 1;
  }
  std::cerr << "unibusd migrate-to-kv: read " << Counts(*source) << "\n";
  // 2. Copy. Import writes only records the KV store lacks; if it holds any record with other
  //    content (used since an earlier migration), it writes nothing and refuses.
  absl::StatusOr<std::unique_ptr<ClusterBackends>> backends = ClusterBackends::Open(cluster, clock);
  if (!backends.ok()) {
    std::cerr << "unibusd migrate-to-kv: " << backends.status().message() << "\n";
    return 1;
  }
  if (absl::Status s = (*backends)->kv().Import(*source); !s.ok()) {
    std::cerr << "unibusd migrate-to-kv: copying failed: " << s.message()
              << (absl::IsFailedPrecondition(s)
                      ? " (nothing was written; compare with `unibusd export`)\n"
                      : " (running the command again resumes)\n");
    return 1;
  }
  // 3. Check: the KV store must now hold at least exactly what SQLite holds.
  absl::StatusOr<store::StoreDump> copied = (*backends)->kv().Dump();
  if (!copied.ok()) {
    std::cerr << "unibusd migrate-to-kv: reading back: " << copied.status().message() << "\n";
    return 1;
  }
  if (store::DumpText(*copied) != store::DumpText(*source)) {
    std::cerr << "unibusd migrate-to-kv: the KV store differs from " << db << " after the copy ("
              << Counts(*copied) << "); was it written to meanwhile? `unibusd export` shows both\n";
    return 1;
  }
  std::cout << "migrated " << Counts(*copied) << " from " << db << " to bucket "
            << cluster.kv_bucket << " (" << cluster.replicas << " replica(s)); exports identical\n";
  return 0;
}

int Export(const std::string& store_name, const std::string& db, const ClusterFlags& cluster) {
  const common::Clock& clock = common::RealClock::Get();
  absl::StatusOr<store::StoreDump> dump;
  if (store_name == "sqlite") {
    if (db.empty()) {
      std::cerr << "unibusd export: --db is required\n";
      return 2;
    }
    auto sqlite = store::SqliteStore::Open(db, clock);
    if (!sqlite.ok()) {
      std::cerr << "unibusd export: " << sqlite.status().message() << "\n";
      return 1;
    }
    dump = (*sqlite)->Dump();
  } else if (store_name == "kv") {
    absl::StatusOr<std::unique_ptr<ClusterBackends>> backends =
        ClusterBackends::Open(cluster, clock);
    if (!backends.ok()) {
      std::cerr << "unibusd export: " << backends.status().message() << "\n";
      return 1;
    }
    dump = (*backends)->kv().Dump();
  } else {
    std::cerr << "unibusd export: --store must be sqlite or kv\n";
    return 2;
  }
  if (!dump.ok()) {
    std::cerr << "unibusd export: " << dump.status().message() << "\n";
    return 1;
  }
  std::cout << store::DumpText(*dump);
  return 0;
}

}  // namespace unibus::control::cli
