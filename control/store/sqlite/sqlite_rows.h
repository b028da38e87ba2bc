// Conversions between the unibus.v1 records and the rows of SqliteStore's statements
// (sqlite_sql.h names the column order each reader expects). Enums are stored as their numbers,
// uint64 epochs as INTEGER, sealed keys and signatures as BLOB.
//
// May throw SQLite::Exception. Thread-compatible.
#ifndef UNIBUS_CONTROL_STORE_SQLITE_SQLITE_ROWS_H_
#define UNIBUS_CONTROL_STORE_SQLITE_SQLITE_ROWS_H_

#include <cstdint>
#include <string>

#include "SQLiteCpp/Statement.h"
#include "absl/strings/string_view.h"
#include "unibus/v1/broker.pb.h"
#include "unibus/v1/rooms.pb.h"
#include "unibus/v1/users.pb.h"

namespace unibus::control::store {

// Binders for parameter `index` (1-based).
void BindText(SQLite::Statement& stmt, int index, absl::string_view text);
void BindBlob(SQLite::Statement& stmt, int index, const std::string& bytes);
void BindInt(SQLite::Statement& stmt, int index, int64_t value);

// Binds ?1..?7 of kInsertUser.
void BindUser(SQLite::Statement& stmt, const v1::User& user);
// Binds ?1..?9 of kInsertRoom.
void BindRoom(SQLite::Statement& stmt, const v1::Room& room);
// Binds ?1..?6 of kUpsertKey, storing the key under `room_id`.
void BindKey(SQLite::Statement& stmt, absl::string_view room_id, const v1::SealedKey& key);

// Readers of the current row, column 0 first.
v1::User ReadUser(const SQLite::Statement& stmt);
v1::Room ReadRoom(const SQLite::Statement& stmt);  // Columns 0..10, member_count last.
v1::Member ReadMember(const SQLite::Statement& stmt);
v1::SealedKey ReadKey(const SQLite::Statement& stmt);
v1::Change ReadChange(const SQLite::Statement& stmt);

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_SQLITE_SQLITE_ROWS_H_
