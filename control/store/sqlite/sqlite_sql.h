// The SQL statements of SqliteStore, one constant each. Every constant has one address, which
// StatementCache uses as the key of the prepared statement. Tests use them to check query
// plans. Column lists must match the readers in sqlite_rows.h.
#ifndef UNIBUS_CONTROL_STORE_SQLITE_SQLITE_SQL_H_
#define UNIBUS_CONTROL_STORE_SQLITE_SQLITE_SQL_H_

namespace unibus::control::store::sql {

// ---- Transactions ----
inline constexpr char kBeginRead[] = "BEGIN DEFERRED";
inline constexpr char kBeginWrite[] = "BEGIN IMMEDIATE";
inline constexpr char kCommit[] = "COMMIT";

// ---- Users: ReadUser() columns ----
#define UNIBUS_USER_COLUMNS \
  "sign_pub, kex_pub, handle, role, status, created_at_ms, revoked_at_ms"
inline constexpr char kInsertUser[] =
    "INSERT INTO users (" UNIBUS_USER_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
inline constexpr char kUserByKey[] =
    "SELECT " UNIBUS_USER_COLUMNS " FROM users WHERE sign_pub = ?1";
inline constexpr char kUserByHandle[] =
    "SELECT " UNIBUS_USER_COLUMNS " FROM users WHERE handle = ?1";
inline constexpr char kListUsers[] = "SELECT " UNIBUS_USER_COLUMNS
                                     " FROM users WHERE sign_pub > ?1 ORDER BY sign_pub LIMIT ?2";
#undef UNIBUS_USER_COLUMNS
inline constexpr char kCountOtherActive[] =
    "SELECT COUNT(*) FROM users WHERE role = ?1 AND status = ?2 AND sign_pub <> ?3";
inline constexpr char kRevokeUser[] =
    "UPDATE users SET status = ?2, revoked_at_ms = ?3 WHERE sign_pub = ?1";
inline constexpr char kMarkRoomsOf[] =
    "UPDATE rooms SET needs_rekey = 1 WHERE encrypted = 1 AND room_id IN "
    "(SELECT room_id FROM members WHERE sign_pub = ?1)";

// ---- Rooms: ReadRoom() columns, member_count last ----
#define UNIBUS_ROOM_COLUMNS                                                               \
  "r.room_id, r.name, r.owner, r.encrypted, r.signed_frames, r.history, r.epoch, "        \
  "r.needs_rekey, r.subject, r.created_at_ms, "                                           \
  "(SELECT COUNT(*) FROM members c WHERE c.room_id = r.room_id)"
inline constexpr char kInsertRoom[] =
    "INSERT INTO rooms (room_id, name, owner, encrypted, signed_frames, history, epoch, "
    "needs_rekey, subject, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9)";
inline constexpr char kRoomById[] =
    "SELECT " UNIBUS_ROOM_COLUMNS " FROM rooms r WHERE r.room_id = ?1";
// Column 11: the member's role.
inline constexpr char kListRoomsOf[] =
    "SELECT " UNIBUS_ROOM_COLUMNS ", m.role FROM members m JOIN rooms r ON r.room_id = m.room_id"
    " WHERE m.sign_pub = ?1 AND m.room_id > ?2 ORDER BY m.room_id LIMIT ?3";
#undef UNIBUS_ROOM_COLUMNS
inline constexpr char kSetEpoch[] =
    "UPDATE rooms SET epoch = ?2, needs_rekey = 0 WHERE room_id = ?1";
inline constexpr char kSetNeedsRekey[] = "UPDATE rooms SET needs_rekey = ?2 WHERE room_id = ?1";
inline constexpr char kDeleteRoom[] = "DELETE FROM rooms WHERE room_id = ?1";
inline constexpr char kDeletedRoom[] = "SELECT 1 FROM deleted_rooms WHERE room_id = ?1";
inline constexpr char kInsertDeletedRoom[] =
    "INSERT INTO deleted_rooms (room_id, deleted_at_ms) VALUES (?1, ?2)";

// ---- Members: ReadMember() columns ----
#define UNIBUS_MEMBER_COLUMNS                                              \
  "m.sign_pub, m.role, u.kex_pub, u.handle, m.added_at_ms, u.status FROM members m " \
  "JOIN users u ON u.sign_pub = m.sign_pub"
inline constexpr char kInsertMember[] =
    "INSERT INTO members (room_id, sign_pub, role, added_at_ms) VALUES (?1, ?2, ?3, ?4)";
inline constexpr char kMember[] =
    "SELECT " UNIBUS_MEMBER_COLUMNS " WHERE m.room_id = ?1 AND m.sign_pub = ?2";
inline constexpr char kListMembers[] = "SELECT " UNIBUS_MEMBER_COLUMNS
                                       " WHERE m.room_id = ?1 AND m.sign_pub > ?2"
                                       " ORDER BY m.sign_pub LIMIT ?3";
#undef UNIBUS_MEMBER_COLUMNS
inline constexpr char kMemberKeys[] =
    "SELECT sign_pub FROM members WHERE room_id = ?1 ORDER BY sign_pub";
// Members that are still active users: the recipients a new epoch's keys must cover.
inline constexpr char kActiveMemberKeys[] =
    "SELECT m.sign_pub FROM members m JOIN users u ON u.sign_pub = m.sign_pub"
    " WHERE m.room_id = ?1 AND u.status = ?2 ORDER BY m.sign_pub";
inline constexpr char kDeleteMember[] = "DELETE FROM members WHERE room_id = ?1 AND sign_pub = ?2";

// ---- Sealed keys: ReadKey() columns ----
inline constexpr char kUpsertKey[] =
    "INSERT OR REPLACE INTO keys (room_id, epoch, recipient, sealed, signer, signature) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
inline constexpr char kKey[] =
    "SELECT room_id, epoch, recipient, sealed, signer, signature FROM keys"
    " WHERE room_id = ?1 AND recipient = ?2 AND epoch = ?3";
inline constexpr char kDeleteKeysOf[] = "DELETE FROM keys WHERE room_id = ?1 AND recipient = ?2";

// ---- Change feed: ReadChange() columns ----
inline constexpr char kInsertChange[] =
    "INSERT INTO changes (kind, sign_pub, room_id, at_ms) VALUES (?1, ?2, ?3, ?4)";
// One MEMBER_REMOVED per member of a room, in sign_pub order.
inline constexpr char kInsertRemovedForRoom[] =
    "INSERT INTO changes (kind, sign_pub, room_id, at_ms)"
    " SELECT ?1, sign_pub, room_id, ?3 FROM members WHERE room_id = ?2 ORDER BY sign_pub";
inline constexpr char kListChanges[] =
    "SELECT position, kind, sign_pub, room_id, at_ms FROM changes"
    " WHERE position > ?1 ORDER BY position LIMIT ?2";
// AUTOINCREMENT's high-water mark: still right after old changes are deleted.
inline constexpr char kLatestPosition[] =
    "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)";

// ---- Dump: whole tables in canonical order ----
inline constexpr char kDumpUsers[] =
    "SELECT sign_pub, kex_pub, handle, role, status, created_at_ms, revoked_at_ms FROM users"
    " ORDER BY sign_pub";
inline constexpr char kDumpRooms[] =
    "SELECT r.room_id, r.name, r.owner, r.encrypted, r.signed_frames, r.history, r.epoch, "
    "r.needs_rekey, r.subject, r.created_at_ms, "
    "(SELECT COUNT(*) FROM members c WHERE c.room_id = r.room_id) FROM rooms r ORDER BY r.room_id";
inline constexpr char kDumpMembers[] =
    "SELECT room_id, sign_pub, role, added_at_ms FROM members ORDER BY room_id, sign_pub";
inline constexpr char kDumpDeletedRooms[] =
    "SELECT room_id, deleted_at_ms FROM deleted_rooms ORDER BY room_id";
inline constexpr char kDumpKeys[] =
    "SELECT room_id, epoch, recipient, sealed, signer, signature FROM keys"
    " ORDER BY room_id, epoch, recipient";

}  // namespace unibus::control::store::sql

#endif  // UNIBUS_CONTROL_STORE_SQLITE_SQLITE_SQL_H_
