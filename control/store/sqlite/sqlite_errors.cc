#include "control/store/sqlite/sqlite_errors.h"

#include <sqlite3.h>

#include <cstdio>
#include <string>

#include "SQLiteCpp/Exception.h"

namespace unibus::control::store {

absl::Status StatusFromSqliteCode(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return absl::AlreadyExistsError("record already exists");
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return absl::NotFoundError("referenced record not found");
    default:
      break;
  }
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
    case SQLITE_READONLY:
    case SQLITE_INTERRUPT:
      return absl::UnavailableError("storage unavailable");
    default:
      return absl::InternalError("storage error");
  }
}

absl::Status StatusFromException(const std::exception& e, absl::string_view op) {
  const std::string where(op);
  if (const auto* sqlite = dynamic_cast<const SQLite::Exception*>(&e)) {
    int code = sqlite->getExtendedErrorCode();
    if (code < 0) code = sqlite->getErrorCode();  // Thrown without a connection handle.
    std::fprintf(stderr, "SqliteStore %s: sqlite error %d: %s\n", where.c_str(), code, e.what());
    // SQLiteCpp reports its own failures (bad column index...) with code -1: a bug here.
    if (code < 0) return absl::InternalError("storage error");
    return StatusFromSqliteCode(code);
  }
  std::fprintf(stderr, "SqliteStore %s: %s\n", where.c_str(), e.what());
  return absl::InternalError("storage error");
}

}  // namespace unibus::control::store
