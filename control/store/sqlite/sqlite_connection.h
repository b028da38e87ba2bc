// One SQLite connection as SqliteStore uses it: prepared statements cached for the life of the
// connection, statements leased for one use, and RAII transactions.
//
// Everything here may throw SQLite::Exception; SqliteStore catches it at its API boundary.
// Thread-compatible: SqliteStore serialises all use under its mutex.
#ifndef UNIBUS_CONTROL_STORE_SQLITE_SQLITE_CONNECTION_H_
#define UNIBUS_CONTROL_STORE_SQLITE_SQLITE_CONNECTION_H_

#include <memory>

#include "SQLiteCpp/Column.h"
#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/container/flat_hash_map.h"

namespace unibus::control::store {

// Owns the connection and its prepared statements (which are finalized before it closes).
class SqliteConnection {
 public:
  explicit SqliteConnection(std::unique_ptr<SQLite::Database> db);
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;
  ~SqliteConnection();

  // The prepared statement for `sql`, which must be a constant from sqlite_sql.h (the cache is
  // keyed by address). Reset and ready to bind.
  // REQUIRES: no other Query on the same `sql` is live (it would be reset under its feet).
  SQLite::Statement& Prepared(const char* sql);

  SQLite::Database& db() { return *db_; }

 private:
  std::unique_ptr<SQLite::Database> db_;
  absl::flat_hash_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
};

// A prepared statement leased for one use. Resetting it at the end releases any read it holds.
class Query {
 public:
  Query(SqliteConnection& conn, const char* sql) : stmt_(conn.Prepared(sql)) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() { stmt_.tryReset(); }

  SQLite::Statement* operator->() { return &stmt_; }
  SQLite::Statement& operator*() { return stmt_; }
  // Next row; false when done.
  bool Step() { return stmt_.executeStep(); }

 private:
  SQLite::Statement& stmt_;
};

// A transaction: IMMEDIATE (takes the write lock at once) for writes, DEFERRED for reads.
// Rolls back on destruction unless committed; the rollback never throws.
class SqliteTransaction {
 public:
  enum class Mode { kRead, kWrite };
  SqliteTransaction(SqliteConnection& conn, Mode mode);
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();

  void Commit();

 private:
  SqliteConnection& conn_;
  bool open_ = true;
};

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_SQLITE_SQLITE_CONNECTION_H_
