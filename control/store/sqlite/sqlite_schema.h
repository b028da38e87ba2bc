// The SQLite schema of SqliteStore as an ordered list of migrations, and the code that opens a
// database file: connection pragmas (WAL, synchronous=NORMAL, foreign keys, busy timeout) and
// schema upgrades recorded in `PRAGMA user_version`.
//
// Thread-compatible: call before the connection is shared.
#ifndef UNIBUS_CONTROL_STORE_SQLITE_SQLITE_SCHEMA_H_
#define UNIBUS_CONTROL_STORE_SQLITE_SQLITE_SCHEMA_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace SQLite {
class Database;
}  // namespace SQLite

namespace unibus::control::store {

// The schema version this binary writes; the number of migrations.
int SqliteSchemaVersion();

// Opens (creating if needed) the database at `path`, sets the connection pragmas and applies
// every pending migration, each in its own transaction.
// FAILED_PRECONDITION: the file's schema is newer than this binary (nothing is changed).
// UNAVAILABLE: the file cannot be opened or locked, or the file system has no WAL support.
// INTERNAL: the file is not a database or is corrupt.
absl::StatusOr<std::unique_ptr<SQLite::Database>> OpenSqliteDatabase(const std::string& path,
                                                                     int busy_timeout_ms);

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_SQLITE_SQLITE_SCHEMA_H_
