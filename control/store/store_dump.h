// Everything a Store holds, in one canonical order: what `unibusd migrate-to-kv` copies from
// SQLite into JetStream KV, and what the parity test compares between the two. The change feed is
// not part of it (positions belong to one backend; unibus-authd reloads when they move).
#ifndef UNIBUS_CONTROL_STORE_STORE_DUMP_H_
#define UNIBUS_CONTROL_STORE_STORE_DUMP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "unibus/v1/rooms.pb.h"
#include "unibus/v1/users.pb.h"

namespace unibus::control::store {

struct RoomDump {
  v1::Room room;                    // As GetRoom returns it (member_count filled in).
  std::vector<v1::Member> members;  // Ascending sign_pub; only sign_pub, role and added_at_ms.
};

// The tombstone of a deleted room: its id is never used again (store.h, CreateRoom).
struct DeletedRoom {
  std::string room_id;
  int64_t deleted_at_ms = 0;
};

struct StoreDump {
  std::vector<v1::User> users;       // Ascending sign_pub.
  std::vector<RoomDump> rooms;       // Ascending room_id.
  std::vector<v1::SealedKey> keys;   // Every epoch's keys, ascending (room_id, epoch, recipient).
  std::vector<DeletedRoom> deleted_rooms;  // Ascending room_id.
};

// A stable text form (one record per line, protobuf text format, bytes escaped): equal dumps give
// equal text. For parity checks and `unibusd export`.
std::string DumpText(const StoreDump& dump);

// Sorts every list into the canonical order above (backends may collect in any order).
void Canonicalize(StoreDump& dump);

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_STORE_DUMP_H_
