#include "control/store/sqlite/sqlite_rows.h"

#include <limits>

#include "SQLiteCpp/Column.h"
#include "SQLiteCpp/Exception.h"

namespace unibus::control::store {
namespace {

std::string Text(const SQLite::Statement& stmt, int col) {
  return stmt.getColumn(col).getString();
}

std::string Blob(const SQLite::Statement& stmt, int col) {
  SQLite::Column column = stmt.getColumn(col);
  const void* data = column.getBlob();
  const int size = column.getBytes();
  return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
}

int64_t Int(const SQLite::Statement& stmt, int col) { return stmt.getColumn(col).getInt64(); }

}  // namespace

void BindText(SQLite::Statement& stmt, int index, absl::string_view text) {
  stmt.bind(index, std::string(text));
}

void BindBlob(SQLite::Statement& stmt, int index, const std::string& bytes) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw SQLite::Exception("blob too large");
  }
  stmt.bind(index, bytes.data(), static_cast<int>(bytes.size()));
}

void BindInt(SQLite::Statement& stmt, int index, int64_t value) { stmt.bind(index, value); }

void BindUser(SQLite::Statement& stmt, const v1::User& user) {
  stmt.bind(1, user.sign_pub());
  stmt.bind(2, user.kex_pub());
  stmt.bind(3, user.handle());
  BindInt(stmt, 4, user.role());
  BindInt(stmt, 5, user.status());
  BindInt(stmt, 6, user.created_at_ms());
  BindInt(stmt, 7, user.revoked_at_ms());
}

void BindRoom(SQLite::Statement& stmt, const v1::Room& room) {
  stmt.bind(1, room.room_id());
  stmt.bind(2, room.name());
  stmt.bind(3, room.owner());
  BindInt(stmt, 4, room.policy().encrypted());
  BindInt(stmt, 5, room.policy().signed_frames());
  BindInt(stmt, 6, room.policy().history());
  BindInt(stmt, 7, static_cast<int64_t>(room.epoch()));
  stmt.bind(8, room.subject());
  BindInt(stmt, 9, room.created_at_ms());
}

void BindKey(SQLite::Statement& stmt, absl::string_view room_id, const v1::SealedKey& key) {
  BindText(stmt, 1, room_id);
  BindInt(stmt, 2, static_cast<int64_t>(key.epoch()));
  stmt.bind(3, key.recipient());
  BindBlob(stmt, 4, key.sealed());
  stmt.bind(5, key.signer());
  BindBlob(stmt, 6, key.signature());
}

v1::User ReadUser(const SQLite::Statement& stmt) {
  v1::User user;
  user.set_sign_pub(Text(stmt, 0));
  user.set_kex_pub(Text(stmt, 1));
  user.set_handle(Text(stmt, 2));
  user.set_role(static_cast<v1::Role>(Int(stmt, 3)));
  user.set_status(static_cast<v1::UserStatus>(Int(stmt, 4)));
  user.set_created_at_ms(Int(stmt, 5));
  user.set_revoked_at_ms(Int(stmt, 6));
  return user;
}

v1::Room ReadRoom(const SQLite::Statement& stmt) {
  v1::Room room;
  room.set_room_id(Text(stmt, 0));
  room.set_name(Text(stmt, 1));
  room.set_owner(Text(stmt, 2));
  room.mutable_policy()->set_encrypted(Int(stmt, 3) != 0);
  room.mutable_policy()->set_signed_frames(Int(stmt, 4) != 0);
  room.mutable_policy()->set_history(Int(stmt, 5) != 0);
  room.set_epoch(static_cast<uint64_t>(Int(stmt, 6)));
  room.set_needs_rekey(Int(stmt, 7) != 0);
  room.set_subject(Text(stmt, 8));
  room.set_created_at_ms(Int(stmt, 9));
  room.set_member_count(static_cast<uint32_t>(Int(stmt, 10)));
  return room;
}

v1::Member ReadMember(const SQLite::Statement& stmt) {
  v1::Member member;
  member.set_sign_pub(Text(stmt, 0));
  member.set_role(static_cast<v1::RoomRole>(Int(stmt, 1)));
  member.set_kex_pub(Text(stmt, 2));
  member.set_handle(Text(stmt, 3));
  member.set_added_at_ms(Int(stmt, 4));
  member.set_status(static_cast<v1::UserStatus>(Int(stmt, 5)));
  return member;
}

v1::SealedKey ReadKey(const SQLite::Statement& stmt) {
  v1::SealedKey key;
  key.set_room_id(Text(stmt, 0));
  key.set_epoch(static_cast<uint64_t>(Int(stmt, 1)));
  key.set_recipient(Text(stmt, 2));
  key.set_sealed(Blob(stmt, 3));
  key.set_signer(Text(stmt, 4));
  key.set_signature(Blob(stmt, 5));
  return key;
}

v1::Change ReadChange(const SQLite::Statement& stmt) {
  v1::Change change;
  change.set_position(static_cast<uint64_t>(Int(stmt, 0)));
  change.set_kind(static_cast<v1::ChangeKind>(Int(stmt, 1)));
  change.set_sign_pub(Text(stmt, 2));
  change.set_room_id(Text(stmt, 3));
  change.set_at_ms(Int(stmt, 4));
  return change;
}

}  // namespace unibus::control::store
