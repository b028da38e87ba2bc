#include "control/store/sqlite/sqlite_connection.h"

#include <utility>

#include "control/store/sqlite/sqlite_sql.h"

namespace unibus::control::store {

SqliteConnection::SqliteConnection(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}

SqliteConnection::~SqliteConnection() {
  statements_.clear();  // Finalize every statement before the connection closes.
  db_.reset();
}

SQLite::Statement& SqliteConnection::Prepared(const char* sql) {
  std::unique_ptr<SQLite::Statement>& slot = statements_[sql];
  if (slot == nullptr) {
    auto stmt = std::make_unique<SQLite::Statement>(*db_, sql);
    slot = std::move(stmt);
  } else {
    slot->reset();
  }
  return *slot;
}

SqliteTransaction::SqliteTransaction(SqliteConnection& conn, Mode mode) : conn_(conn) {
  Query(conn_, mode == Mode::kWrite ? sql::kBeginWrite : sql::kBeginRead)->exec();
}

SqliteTransaction::~SqliteTransaction() {
  if (open_) conn_.db().tryExec("ROLLBACK");
}

void SqliteTransaction::Commit() {
  Query(conn_, sql::kCommit)->exec();
  open_ = false;
}

}  // namespace unibus::control::store
