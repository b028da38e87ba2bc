// SqliteStore: the Store conformance suite, plus what only a file-backed store has (persistence,
// pragmas, migrations, SQLite error mapping, query plans).
#include "control/store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "SQLiteCpp/Column.h"
#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "control/store/sqlite/sqlite_schema.h"
#include "control/store/sqlite/sqlite_sql.h"
#include "control/store/store_conformance.h"

namespace unibus::control::store {
namespace {

// A path in the test's private temp dir that no other test in this binary uses.
std::string TempPath(absl::string_view name) {
  static std::atomic<int> counter{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", counter++, "-", name);
  std::remove(path.c_str());
  return path;
}

StorePtr OpenForConformance(const common::Clock& clock, int max_room_members) {
  SqliteStore::Options options;
  options.max_room_members = max_room_members;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(TempPath("conformance.db"), clock, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"Sqlite", OpenForConformance}),
                         StoreFactoryName);

// Reuses the conformance fixture's test data.
class SqliteStoreTest : public StoreConformanceTest {
 protected:
  void SetUp() override {}

  std::unique_ptr<SqliteStore> Open(const std::string& path) {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path, clock_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // A little of everything: users 1..3, encrypted room 1 (owner 1, member 2, epoch 2).
  void Populate() {
    UNIBUS_ASSERT_OK(AddUsers(1, 3));
    UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
    UNIBUS_ASSERT_OK(Join(1, 2, v1::ROOM_ROLE_ADMIN));
    UNIBUS_ASSERT_OK(store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {1, 2})));
    UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(3), 123));
  }
};

// Asserts that a status message says nothing about the storage internals.
void ExpectOpaque(const absl::Status& status, const std::string& path) {
  EXPECT_FALSE(status.ok());
  const std::string message(status.message());
  const std::string lower = absl::AsciiStrToLower(message);
  EXPECT_FALSE(absl::StrContains(message, path)) << message;
  EXPECT_FALSE(absl::StrContains(message, "/")) << message;
  EXPECT_FALSE(absl::StrContains(lower, "sql")) << message;
  EXPECT_FALSE(absl::StrContains(lower, "database")) << message;
}

TEST_F(SqliteStoreTest, DataSurvivesCloseAndReopen) {
  const std::string path = TempPath("reopen.db");
  store_ = Open(path);
  ASSERT_NE(store_, nullptr);
  Populate();
  const std::string before = Snapshot(1, {1, 2, 3});
  absl::StatusOr<Page<v1::User>> users = store_->ListUsers("", 10);
  UNIBUS_ASSERT_OK(users);
  store_.reset();

  store_ = Open(path);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(Snapshot(1, {1, 2, 3}), before);
  absl::StatusOr<Page<v1::User>> reopened = store_->ListUsers("", 10);
  UNIBUS_ASSERT_OK(reopened);
  ASSERT_EQ(reopened->items.size(), users->items.size());
  for (size_t i = 0; i < users->items.size(); ++i) {
    EXPECT_TRUE(ProtoEquals(users->items[i], reopened->items[i]));
  }
}

TEST_F(SqliteStoreTest, ChangePositionsAreNeverReusedAfterOldChangesAreDeleted) {
  const std::string path = TempPath("positions.db");
  store_ = Open(path);
  ASSERT_NE(store_, nullptr);
  UNIBUS_ASSERT_OK(AddUsers(1, 3));
  store_.reset();
  SQLite::Database(path, SQLite::OPEN_READWRITE).exec("DELETE FROM changes");  // Retention.

  store_ = Open(path);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(Latest(), 3u);
  UNIBUS_ASSERT_OK(AddUsers(4, 4));
  std::vector<v1::Change> changes = ChangesAfter(3);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].position(), 4u);
  EXPECT_EQ(changes[0].sign_pub(), UserKey(4));
}

TEST_F(SqliteStoreTest, ConnectionUsesWalNormalSyncAndForeignKeys) {
  auto store = Open(TempPath("pragmas.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->PragmaForTesting("journal_mode").value_or(""), "wal");
  EXPECT_EQ(store->PragmaForTesting("synchronous").value_or(""), "1");  // NORMAL.
  EXPECT_EQ(store->PragmaForTesting("foreign_keys").value_or(""), "1");
  EXPECT_EQ(store->PragmaForTesting("user_version").value_or(""),
            absl::StrCat(SqliteSchemaVersion()));
  EXPECT_EQ(store->PragmaForTesting("writable_schema = 1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, DeleteRoomCascadesToMemberAndKeyRows) {
  const std::string path = TempPath("cascade.db");
  store_ = Open(path);
  ASSERT_NE(store_, nullptr);
  Populate();
  UNIBUS_ASSERT_OK(store_->DeleteRoom(RoomId(1)));
  store_.reset();
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM members").getInt(), 0);
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM keys").getInt(), 0);
}

TEST_F(SqliteStoreTest, MigrationAddsRoomTombstonesToAVersion1Database) {
  const std::string path = TempPath("v1.db");
  store_ = Open(path);
  ASSERT_NE(store_, nullptr);
  Populate();
  const std::string before = Snapshot(1, {1, 2, 3});
  store_.reset();
  {  // What a binary of schema version 1 left behind.
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE deleted_rooms");
    db.exec("PRAGMA user_version = 1");
  }
  std::unique_ptr<SqliteStore> upgraded = Open(path);
  ASSERT_NE(upgraded, nullptr);
  EXPECT_EQ(upgraded->PragmaForTesting("user_version").value_or(""),
            absl::StrCat(SqliteSchemaVersion()));
  store_ = std::move(upgraded);
  EXPECT_EQ(Snapshot(1, {1, 2, 3}), before);
  UNIBUS_ASSERT_OK(store_->DeleteRoom(RoomId(1)));
  store_.reset();
  store_ = Open(path);
  ASSERT_NE(store_, nullptr);
  UNIBUS_EXPECT_CODE(kAlreadyExists, CreateRoom(1, 1, false));
}

TEST_F(SqliteStoreTest, RefusesDatabaseWithNewerSchemaVersion) {
  const std::string path = TempPath("future.db");
  ASSERT_NE(Open(path), nullptr);
  SQLite::Database(path, SQLite::OPEN_READWRITE)
      .exec(absl::StrCat("PRAGMA user_version = ", SqliteSchemaVersion() + 1));
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path, clock_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  ExpectOpaque(store.status(), path);
}

TEST_F(SqliteStoreTest, RefusedNewerDatabaseIsLeftUntouched) {
  const std::string path = TempPath("future-empty.db");
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 1000");
  }
  EXPECT_EQ(SqliteStore::Open(path, clock_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "delete");
  EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM sqlite_master").getInt(), 0);
}

TEST_F(SqliteStoreTest, OpenErrorsHidePathsAndSql) {
  const std::string missing_dir = TempPath("no-such-dir") + "/store.db";
  absl::StatusOr<std::unique_ptr<SqliteStore>> missing = SqliteStore::Open(missing_dir, clock_);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnavailable);
  ExpectOpaque(missing.status(), missing_dir);

  const std::string garbage = TempPath("garbage.db");
  std::ofstream(garbage) << std::string(4096, 'x');
  absl::StatusOr<std::unique_ptr<SqliteStore>> not_db = SqliteStore::Open(garbage, clock_);
  EXPECT_EQ(not_db.status().code(), absl::StatusCode::kInternal);
  ExpectOpaque(not_db.status(), garbage);
}

TEST_F(SqliteStoreTest, WriteLockedByAnotherProcessIsUnavailableButReadsWork) {
  const std::string path = TempPath("busy.db");
  SqliteStore::Options options;
  options.busy_timeout_ms = 20;
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(path, clock_, options);
  UNIBUS_ASSERT_OK(opened);
  store_ = *std::move(opened);
  UNIBUS_ASSERT_OK(AddUsers(1, 1));

  SQLite::Database other(path, SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  const absl::Status status = store_->AddUser(MakeUser(2));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  ExpectOpaque(status, path);
  UNIBUS_EXPECT_CODE(kOk, store_->GetUser(UserKey(1)));  // WAL: readers are not blocked.
  other.exec("ROLLBACK");
  UNIBUS_EXPECT_CODE(kOk, store_->AddUser(MakeUser(2)));
  EXPECT_EQ(Latest(), 2u);
}

TEST_F(SqliteStoreTest, TwoStoresOnOneFileSeeEachOthersWrites) {
  const std::string path = TempPath("shared.db");
  store_ = Open(path);
  std::unique_ptr<SqliteStore> other = Open(path);
  ASSERT_NE(store_, nullptr);
  ASSERT_NE(other, nullptr);
  UNIBUS_ASSERT_OK(AddUsers(1, 1));
  UNIBUS_EXPECT_CODE(kAlreadyExists, other->AddUser(MakeUser(1)));
  UNIBUS_EXPECT_CODE(kOk, other->AddUser(MakeUser(2)));
  EXPECT_EQ(Latest(), 2u);
}

TEST_F(SqliteStoreTest, WalStaysBoundedWhenBackgroundCheckpointsFallBehind) {
  const std::string path = TempPath("bounded.db");
  SqliteStore::Options options;
  options.checkpoint_pages = 1'000'000;  // No background checkpoint at all.
  options.max_wal_pages = 40;
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(path, clock_, options);
  UNIBUS_ASSERT_OK(opened);
  store_ = *std::move(opened);
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  for (int room = 1; room <= 300; ++room) UNIBUS_ASSERT_OK(CreateRoom(room, 1, true));
  // SQLite's own auto-checkpoint would let the WAL grow to 1000 pages.
  EXPECT_LE(std::filesystem::file_size(path + "-wal"), 60u * (4096 + 24));
}

// The plan of `sql` on a migrated database, one line per step.
std::string QueryPlan(const std::string& path, const char* sql) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement plan(db, absl::StrCat("EXPLAIN QUERY PLAN ", sql));
  std::string out;
  while (plan.executeStep()) absl::StrAppend(&out, plan.getColumn(3).getString(), "\n");
  return out;
}

TEST_F(SqliteStoreTest, RoomsOfAMemberAreAnIndexRangeScan) {
  const std::string path = TempPath("plan.db");
  ASSERT_NE(Open(path), nullptr);
  const std::string rooms_of = QueryPlan(path, sql::kListRoomsOf);
  EXPECT_TRUE(absl::StrContains(
      rooms_of, "SEARCH m USING INDEX members_by_sign_pub (sign_pub=? AND room_id>?)"))
      << rooms_of;
  EXPECT_FALSE(absl::StrContains(rooms_of, "SCAN")) << rooms_of;
  EXPECT_FALSE(absl::StrContains(rooms_of, "TEMP B-TREE")) << rooms_of;  // No sort step.
  const std::string revoke = QueryPlan(path, sql::kMarkRoomsOf);
  EXPECT_TRUE(absl::StrContains(revoke, "members_by_sign_pub (sign_pub=?)")) << revoke;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);  // Every thread, the checkpointer's included.
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Runs `rooms` x (CreateRoom + AddMember), checks that they all landed and prints their cost.
void ReportWriteCost(const char* label, const SqliteStore::Options& options, int rooms) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(TempPath("cost.db"), common::RealClock::Get(), options);
  UNIBUS_ASSERT_OK(store);
  Store& s = **store;
  for (int user : {1, 2}) UNIBUS_ASSERT_OK(s.AddUser(StoreConformanceTest::MakeUser(user)));
  std::vector<double> micros;
  micros.reserve(2 * rooms);
  const double cpu_start = CpuSeconds();
  const absl::Time start = absl::Now();
  for (int room = 1; room <= rooms; ++room) {
    const v1::SealedKey owner_key = StoreConformanceTest::MakeKey(room, 1, 1);
    absl::Time t = absl::Now();
    UNIBUS_ASSERT_OK(s.CreateRoom(StoreConformanceTest::MakeRoom(room, 1, true), &owner_key));
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - t));
    v1::Member member;
    member.set_sign_pub(StoreConformanceTest::UserKey(2));
    member.set_role(v1::ROOM_ROLE_MEMBER);
    t = absl::Now();
    UNIBUS_ASSERT_OK(s.AddMember(StoreConformanceTest::RoomId(room), member, 1,
                                 {StoreConformanceTest::MakeKey(room, 1, 2)}));
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - t));
  }
  const double wall = absl::ToDoubleSeconds(absl::Now() - start);
  const double cpu = CpuSeconds() - cpu_start;
  std::sort(micros.begin(), micros.end());
  const double writes = static_cast<double>(micros.size());
  std::printf("%s: %d writes in %.2f s = %.0f writes/s; per write %.0f us wall, %.0f us CPU; "
              "p50 %.0f us, p99 %.0f us, max %.0f us\n",
              label, static_cast<int>(writes), wall, writes / wall, 1e6 * wall / writes,
              1e6 * cpu / writes, micros[micros.size() / 2], micros[micros.size() * 99 / 100],
              micros.back());
  EXPECT_EQ(s.LatestPosition().value_or(0), 2u + 2 * rooms);
  absl::StatusOr<Page<RoomMembership>> of_2 =
      s.ListRoomsOf(StoreConformanceTest::UserKey(2), "", rooms + 1);
  UNIBUS_ASSERT_OK(of_2);
  EXPECT_EQ(of_2->items.size(), static_cast<size_t>(rooms));
}

// Not a benchmark with a threshold: prints the cost of the writes the control plane does most
// (with checkpoints in the background, and inline as SQLite does by default) and checks that
// they all landed.
TEST(SqliteStoreWriteCostTest, ReportsCostOfCreateRoomAndAddMember) {
  constexpr int kRooms = 5000;
  ReportWriteCost("background checkpoints", SqliteStore::Options(), kRooms);
  SqliteStore::Options inline_checkpoints;
  inline_checkpoints.checkpoint_pages = 1'000'000;
  inline_checkpoints.max_wal_pages = 1000;
  ReportWriteCost("inline checkpoints", inline_checkpoints, kRooms);
}

}  // namespace
}  // namespace unibus::control::store
