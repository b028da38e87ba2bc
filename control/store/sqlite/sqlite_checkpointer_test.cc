#include "control/store/sqlite/sqlite_checkpointer.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "SQLiteCpp/Statement.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace unibus::control::store {
namespace {

constexpr int kPageSize = 4096;
constexpr int kFrameSize = kPageSize + 24;  // A WAL frame: header + page.

std::string TempPath(const std::string& name) {
  static std::atomic<int> counter{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", counter++, "-", name);
}

// A WAL-mode database with one table, as SqliteStore leaves it.
std::unique_ptr<SQLite::Database> OpenWal(const std::string& path) {
  auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db->exec("PRAGMA journal_mode = WAL");
  db->exec("PRAGMA synchronous = NORMAL");
  db->exec("CREATE TABLE t (x BLOB)");
  return db;
}

// `count` commits of about one page each.
void Write(SQLite::Database& db, int count) {
  SQLite::Statement insert(db, "INSERT INTO t (x) VALUES (zeroblob(3000))");
  for (int i = 0; i < count; ++i) {
    insert.exec();
    insert.reset();
  }
}

TEST(SqliteCheckpointerTest, BackgroundThreadCheckpointsOnceWalPassesThreshold) {
  const std::string path = TempPath("background.db");
  auto db = OpenWal(path);
  SqliteCheckpointer::Options options;
  options.background_pages = 20;
  options.foreground_pages = 1'000'000;
  absl::StatusOr<std::unique_ptr<SqliteCheckpointer>> checkpointer =
      SqliteCheckpointer::Start(path, *db, options);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.status();
  EXPECT_FALSE((*checkpointer)->AwaitCheckpointsForTesting(1, absl::ZeroDuration()));
  Write(*db, 40);
  EXPECT_TRUE((*checkpointer)->AwaitCheckpointsForTesting(1, absl::Seconds(60)));
  // Regression: a checkpoint from a connection that never read the database copies nothing.
  EXPECT_GT((*checkpointer)->CheckpointedPagesForTesting(), 0);
}

TEST(SqliteCheckpointerTest, CommitCheckpointsItselfWhenWalReachesLimit) {
  const std::string path = TempPath("foreground.db");
  auto db = OpenWal(path);
  SqliteCheckpointer::Options options;
  options.background_pages = 1'000'000;  // The thread never runs.
  options.foreground_pages = 30;
  absl::StatusOr<std::unique_ptr<SqliteCheckpointer>> checkpointer =
      SqliteCheckpointer::Start(path, *db, options);
  ASSERT_TRUE(checkpointer.ok()) << checkpointer.status();
  Write(*db, 2000);
  // Far below SQLite's own 1000-page auto-checkpoint, which the hook replaces.
  EXPECT_LE(std::filesystem::file_size(path + "-wal"), 40u * kFrameSize);
  EXPECT_EQ(db->execAndGet("SELECT COUNT(*) FROM t").getInt(), 2000);
  EXPECT_FALSE((*checkpointer)->AwaitCheckpointsForTesting(1, absl::ZeroDuration()));
}

TEST(SqliteCheckpointerTest, StartFailsWithoutTheFile) {
  const std::string path = TempPath("missing.db");
  auto db = OpenWal(TempPath("other.db"));
  EXPECT_EQ(SqliteCheckpointer::Start(path, *db, {}).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace unibus::control::store
