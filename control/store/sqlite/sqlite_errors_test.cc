#include "control/store/sqlite/sqlite_errors.h"

#include <sqlite3.h>

#include <stdexcept>

#include "SQLiteCpp/Exception.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace unibus::control::store {
namespace {

TEST(SqliteErrorsTest, TransientFailuresAreUnavailable) {
  for (int code : {SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED, SQLITE_IOERR,
                   SQLITE_IOERR_FSYNC, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_READONLY}) {
    EXPECT_EQ(StatusFromSqliteCode(code).code(), absl::StatusCode::kUnavailable) << code;
  }
}

TEST(SqliteErrorsTest, ConstraintViolationsMapToContractCodes) {
  EXPECT_EQ(StatusFromSqliteCode(SQLITE_CONSTRAINT_UNIQUE).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusFromSqliteCode(SQLITE_CONSTRAINT_PRIMARYKEY).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusFromSqliteCode(SQLITE_CONSTRAINT_FOREIGNKEY).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusFromSqliteCode(SQLITE_CONSTRAINT_NOTNULL).code(), absl::StatusCode::kInternal);
}

TEST(SqliteErrorsTest, CorruptionAndMisuseAreInternal) {
  for (int code : {SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_MISUSE, SQLITE_ERROR}) {
    EXPECT_EQ(StatusFromSqliteCode(code).code(), absl::StatusCode::kInternal) << code;
  }
}

TEST(SqliteErrorsTest, ExceptionTextNeverReachesTheStatus) {
  const SQLite::Exception busy("database is locked: /var/lib/unibus/store.db", SQLITE_BUSY);
  const absl::Status status = StatusFromException(busy, "AddUser");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(absl::StrContains(status.message(), "/var/lib"));
  EXPECT_FALSE(absl::StrContains(status.message(), "locked"));

  const absl::Status other = StatusFromException(std::runtime_error("SELECT secret"), "GetUser");
  EXPECT_EQ(other.code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(absl::StrContains(other.message(), "SELECT"));
}

TEST(SqliteErrorsTest, CatchExceptionsConvertsThrowsAndPassesResults) {
  absl::StatusOr<int> ok = CatchExceptions("op", []() -> absl::StatusOr<int> { return 7; });
  EXPECT_EQ(ok.value_or(0), 7);
  absl::StatusOr<int> thrown = CatchExceptions("op", []() -> absl::StatusOr<int> {
    throw SQLite::Exception("disk I/O error", SQLITE_IOERR);
  });
  EXPECT_EQ(thrown.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace unibus::control::store
