#include "control/store/sqlite/sqlite_schema.h"

#include <cstdio>
#include <exception>
#include <iterator>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Transaction.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "control/store/sqlite/sqlite_errors.h"

namespace unibus::control::store {
namespace {

// Append only: never edit a migration that has shipped; add a new one instead.
// Enum columns hold the unibus.v1 enum numbers; sealed keys and signatures are BLOBs.
constexpr const char* kMigrations[] = {
    // 1: initial schema.
    R"sql(
CREATE TABLE users (
  sign_pub      TEXT PRIMARY KEY NOT NULL,
  kex_pub       TEXT NOT NULL,
  handle        TEXT NOT NULL UNIQUE,
  role          INTEGER NOT NULL,
  status        INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX users_by_role_status ON users(role, status);

CREATE TABLE rooms (
  room_id       TEXT PRIMARY KEY NOT NULL,
  name          TEXT NOT NULL,
  owner         TEXT NOT NULL REFERENCES users(sign_pub),
  encrypted     INTEGER NOT NULL,
  signed_frames INTEGER NOT NULL,
  history       INTEGER NOT NULL,
  epoch         INTEGER NOT NULL,
  needs_rekey   INTEGER NOT NULL DEFAULT 0,
  subject       TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE members (
  room_id     TEXT NOT NULL REFERENCES rooms(room_id) ON DELETE CASCADE,
  sign_pub    TEXT NOT NULL REFERENCES users(sign_pub),
  role        INTEGER NOT NULL,
  added_at_ms INTEGER NOT NULL,
  PRIMARY KEY (room_id, sign_pub)
) WITHOUT ROWID;
-- ListRoomsOf and RevokeUser: a range scan per member.
CREATE INDEX members_by_sign_pub ON members(sign_pub, room_id);

-- Keyed by recipient before epoch so that a departing member's keys are one range.
CREATE TABLE keys (
  room_id   TEXT NOT NULL REFERENCES rooms(room_id) ON DELETE CASCADE,
  recipient TEXT NOT NULL,
  epoch     INTEGER NOT NULL,
  sealed    BLOB NOT NULL,
  signer    TEXT NOT NULL,
  signature BLOB NOT NULL,
  PRIMARY KEY (room_id, recipient, epoch)
) WITHOUT ROWID;

-- AUTOINCREMENT: positions are never reused, even after old changes are deleted.
CREATE TABLE changes (
  position INTEGER PRIMARY KEY AUTOINCREMENT,
  kind     INTEGER NOT NULL,
  sign_pub TEXT NOT NULL,
  room_id  TEXT NOT NULL DEFAULT '',
  at_ms    INTEGER NOT NULL
);
)sql",
    // 2: tombstones of deleted rooms, so that a deleted room's id is never created again (its
    // subject may still hold the old room's history). Rooms deleted before this migration left
    // none: their ids stay reusable.
    R"sql(
CREATE TABLE deleted_rooms (
  room_id       TEXT PRIMARY KEY NOT NULL,
  deleted_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
};

constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

int UserVersion(SQLite::Database& db) {
  return db.execAndGet("PRAGMA user_version").getInt();
}

absl::Status SetPragmas(SQLite::Database& db) {
  // journal_mode answers with the mode in force: a file system without shared memory stays
  // in another mode, and we refuse to run there rather than silently lose concurrency.
  if (db.execAndGet("PRAGMA journal_mode = WAL").getString() != "wal") {
    std::fprintf(stderr, "SqliteStore: journal_mode=WAL not supported here\n");
    return absl::UnavailableError("storage unavailable: no write-ahead log support");
  }
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  return absl::OkStatus();
}

// Applies each pending migration in one IMMEDIATE transaction that re-reads the version, so
// that two processes opening the same file never apply a migration twice.
void Migrate(SQLite::Database& db) {
  while (UserVersion(db) < kSchemaVersion) {
    SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
    const int version = UserVersion(db);
    if (version < kSchemaVersion) {
      db.exec(kMigrations[version]);
      db.exec(absl::StrCat("PRAGMA user_version = ", version + 1));
    }
    txn.commit();
  }
}

}  // namespace

int SqliteSchemaVersion() { return kSchemaVersion; }

absl::StatusOr<std::unique_ptr<SQLite::Database>> OpenSqliteDatabase(const std::string& path,
                                                                     int busy_timeout_ms) {
  try {
    auto db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
        busy_timeout_ms);
    // Check first: a newer binary may have changed what the pragmas below mean for the file.
    if (UserVersion(*db) > kSchemaVersion) {
      return absl::FailedPreconditionError("stored schema is newer than this binary");
    }
    absl::Status status = SetPragmas(*db);
    if (!status.ok()) return status;
    Migrate(*db);
    if (UserVersion(*db) > kSchemaVersion) {  // A newer binary migrated it meanwhile.
      return absl::FailedPreconditionError("stored schema is newer than this binary");
    }
    return db;
  } catch (const std::exception& e) {
    return StatusFromException(e, "Open");
  }
}

}  // namespace unibus::control::store
