// SqliteStore: opening, users, the change feed and shared helpers (rooms: sqlite_rooms.cc).
#include "control/store/sqlite/sqlite_store.h"

#include <utility>

#include "absl/memory/memory.h"
#include "control/store/sqlite/sqlite_checkpointer.h"
#include "control/store/sqlite/sqlite_connection.h"
#include "control/store/sqlite/sqlite_errors.h"
#include "control/store/sqlite/sqlite_rows.h"
#include "control/store/sqlite/sqlite_schema.h"
#include "control/store/sqlite/sqlite_sql.h"

namespace unibus::control::store {

using Mode = SqliteTransaction::Mode;

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               const common::Clock& clock) {
  return Open(path, clock, Options());
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                               const common::Clock& clock,
                                                               const Options& options) {
  absl::StatusOr<std::unique_ptr<SQLite::Database>> db =
      OpenSqliteDatabase(path, options.busy_timeout_ms);
  if (!db.ok()) return db.status();
  auto conn = std::make_unique<SqliteConnection>(*std::move(db));
  SqliteCheckpointer::Options checkpoint;
  checkpoint.background_pages = options.checkpoint_pages;
  checkpoint.foreground_pages = options.max_wal_pages;
  absl::StatusOr<std::unique_ptr<SqliteCheckpointer>> checkpointer =
      SqliteCheckpointer::Start(path, conn->db(), checkpoint);
  if (!checkpointer.ok()) return checkpointer.status();
  return absl::WrapUnique(
      new SqliteStore(std::move(conn), *std::move(checkpointer), clock, options));
}

SqliteStore::SqliteStore(std::unique_ptr<SqliteConnection> conn,
                         std::unique_ptr<SqliteCheckpointer> checkpointer,
                         const common::Clock& clock, const Options& options)
    : clock_(clock),
      options_(options),
      conn_(std::move(conn)),
      checkpointer_(std::move(checkpointer)) {}

SqliteStore::~SqliteStore() = default;

// ---- Users ----

absl::Status SqliteStore::AddUser(const v1::User& user) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("AddUser", [&]() -> absl::Status {
    SqliteTransaction txn(*conn_, Mode::kWrite);
    if (FindUser(user.sign_pub()).ok()) return absl::AlreadyExistsError("user key is taken");
    {
      Query by_handle(*conn_, sql::kUserByHandle);
      BindText(*by_handle, 1, user.handle());
      if (by_handle.Step()) return absl::AlreadyExistsError("handle is taken");
    }
    Query insert(*conn_, sql::kInsertUser);
    BindUser(*insert, user);
    insert->exec();
    Append(v1::CHANGE_KIND_USER_ADDED, user.sign_pub(), "");
    txn.Commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<v1::User> SqliteStore::GetUser(absl::string_view sign_pub) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("GetUser", [&] { return FindUser(sign_pub); });
}

absl::StatusOr<v1::User> SqliteStore::GetUserByHandle(absl::string_view handle) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("GetUserByHandle", [&]() -> absl::StatusOr<v1::User> {
    Query query(*conn_, sql::kUserByHandle);
    BindText(*query, 1, handle);
    if (!query.Step()) return absl::NotFoundError("user not found");
    return ReadUser(*query);
  });
}

absl::StatusOr<Page<v1::User>> SqliteStore::ListUsers(absl::string_view after, int limit) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("ListUsers", [&]() -> absl::StatusOr<Page<v1::User>> {
    Query query(*conn_, sql::kListUsers);
    BindText(*query, 1, after);
    BindInt(*query, 2, int64_t{limit} + 1);  // One more tells whether a next page exists.
    Page<v1::User> page;
    while (query.Step()) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.next = page.items.back().sign_pub();
        break;
      }
      page.items.push_back(ReadUser(*query));
    }
    return page;
  });
}

absl::StatusOr<v1::User> SqliteStore::RevokeUser(absl::string_view sign_pub, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("RevokeUser", [&]() -> absl::StatusOr<v1::User> {
    SqliteTransaction txn(*conn_, Mode::kWrite);
    absl::StatusOr<v1::User> user = FindUser(sign_pub);
    if (!user.ok() || user->status() == v1::USER_STATUS_REVOKED) return user;
    if (user->role() == v1::ROLE_ADMIN) {
      Query others(*conn_, sql::kCountOtherActive);
      BindInt(*others, 1, v1::ROLE_ADMIN);
      BindInt(*others, 2, v1::USER_STATUS_ACTIVE);
      BindText(*others, 3, sign_pub);
      if (others.Step() && others->getColumn(0).getInt64() == 0) {
        return absl::FailedPreconditionError("last active admin");
      }
    }
    user->set_status(v1::USER_STATUS_REVOKED);
    user->set_revoked_at_ms(now_ms);
    Query revoke(*conn_, sql::kRevokeUser);
    BindText(*revoke, 1, sign_pub);
    BindInt(*revoke, 2, v1::USER_STATUS_REVOKED);
    BindInt(*revoke, 3, now_ms);
    revoke->exec();
    Query mark(*conn_, sql::kMarkRoomsOf);
    BindText(*mark, 1, sign_pub);
    mark->exec();
    Append(v1::CHANGE_KIND_USER_REVOKED, sign_pub, "");
    txn.Commit();
    return user;
  });
}

// ---- Change feed ----

absl::StatusOr<std::vector<v1::Change>> SqliteStore::ListChanges(uint64_t after, int limit) {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("ListChanges", [&]() -> absl::StatusOr<std::vector<v1::Change>> {
    SqliteTransaction txn(*conn_, Mode::kRead);
    uint64_t latest = 0;
    {
      Query query(*conn_, sql::kLatestPosition);
      if (query.Step()) latest = static_cast<uint64_t>(query->getColumn(0).getInt64());
    }
    if (after > latest) return absl::OutOfRangeError("position is beyond the newest");
    Query query(*conn_, sql::kListChanges);
    BindInt(*query, 1, static_cast<int64_t>(after));
    BindInt(*query, 2, limit);
    std::vector<v1::Change> changes;
    while (query.Step()) changes.push_back(ReadChange(*query));
    return changes;
  });
}

absl::StatusOr<uint64_t> SqliteStore::LatestPosition() {
  absl::MutexLock lock(&mu_);
  return CatchExceptions("LatestPosition", [&]() -> absl::StatusOr<uint64_t> {
    Query query(*conn_, sql::kLatestPosition);
    if (!query.Step()) return uint64_t{0};
    return static_cast<uint64_t>(query->getColumn(0).getInt64());
  });
}

absl::StatusOr<std::string> SqliteStore::PragmaForTesting(absl::string_view name) {
  if (name != "journal_mode" && name != "synchronous" && name != "foreign_keys" &&
      name != "user_version") {
    return absl::InvalidArgumentError("unsupported pragma");
  }
  absl::MutexLock lock(&mu_);
  return CatchExceptions("PragmaForTesting", [&]() -> absl::StatusOr<std::string> {
    return conn_->db().execAndGet("PRAGMA " + std::string(name)).getString();
  });
}

// ---- Helpers shared with sqlite_rooms.cc ----

absl::StatusOr<v1::User> SqliteStore::FindUser(absl::string_view sign_pub) {
  Query query(*conn_, sql::kUserByKey);
  BindText(*query, 1, sign_pub);
  if (!query.Step()) return absl::NotFoundError("user not found");
  return ReadUser(*query);
}

void SqliteStore::Append(v1::ChangeKind kind, absl::string_view sign_pub,
                         absl::string_view room_id) {
  Query insert(*conn_, sql::kInsertChange);
  BindInt(*insert, 1, kind);
  BindText(*insert, 2, sign_pub);
  BindText(*insert, 3, room_id);
  BindInt(*insert, 4, clock_.NowMs());
  insert->exec();
}

}  // namespace unibus::control::store
