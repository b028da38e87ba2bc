#include "control/store/store_dump.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"

namespace unibus::control::store {
namespace {

std::string OneLine(const google::protobuf::Message& message) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  std::string out;
  printer.PrintToString(message, &out);
  return out;
}

}  // namespace

void Canonicalize(StoreDump& dump) {
  std::sort(dump.users.begin(), dump.users.end(),
            [](const v1::User& a, const v1::User& b) { return a.sign_pub() < b.sign_pub(); });
  std::sort(dump.rooms.begin(), dump.rooms.end(), [](const RoomDump& a, const RoomDump& b) {
    return a.room.room_id() < b.room.room_id();
  });
  for (RoomDump& room : dump.rooms) {
    std::sort(room.members.begin(), room.members.end(),
              [](const v1::Member& a, const v1::Member& b) { return a.sign_pub() < b.sign_pub(); });
  }
  std::sort(dump.keys.begin(), dump.keys.end(),
            [](const v1::SealedKey& a, const v1::SealedKey& b) {
              return std::make_tuple(a.room_id(), a.epoch(), a.recipient()) <
                     std::make_tuple(b.room_id(), b.epoch(), b.recipient());
            });
  std::sort(dump.deleted_rooms.begin(), dump.deleted_rooms.end(),
            [](const DeletedRoom& a, const DeletedRoom& b) { return a.room_id < b.room_id; });
}

std::string DumpText(const StoreDump& dump) {
  std::string out;
  for (const v1::User& user : dump.users) absl::StrAppend(&out, "user ", OneLine(user), "\n");
  for (const RoomDump& room : dump.rooms) {
    absl::StrAppend(&out, "room ", OneLine(room.room), "\n");
    for (const v1::Member& member : room.members) {
      absl::StrAppend(&out, "member ", room.room.room_id(), " ", OneLine(member), "\n");
    }
  }
  for (const v1::SealedKey& key : dump.keys) absl::StrAppend(&out, "key ", OneLine(key), "\n");
  for (const DeletedRoom& room : dump.deleted_rooms) {
    absl::StrAppend(&out, "deleted_room ", room.room_id, " ", room.deleted_at_ms, "\n");
  }
  return out;
}

}  // namespace unibus::control::store
