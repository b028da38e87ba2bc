#include "client/cli/room_ref.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto/hex.h"

namespace unibus::client::cli {

absl::StatusOr<std::string> ResolveRoom(Client& client, const std::string& room) {
  if (common::IsHexOfSize(room, 16)) return common::HexNormalize(room);
  absl::StatusOr<std::vector<v1::MyRoom>> mine = client.ListMyRooms();
  if (!mine.ok()) return mine.status();
  std::vector<std::string> ids;
  for (const v1::MyRoom& r : *mine) {
    if (r.room().name() == room) ids.push_back(r.room().room_id());
  }
  if (ids.empty()) return absl::NotFoundError("room not found");
  if (ids.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(ids.size(), " of your rooms are named \"", room,
                                                   "\"; name one by its id: ",
                                                   absl::StrJoin(ids, ", ")));
  }
  return ids[0];
}

std::optional<std::string> ResolveRoomOrReport(Connection& c, Output& out, const std::string& room,
                                               int* exit_code) {
  c.scope.room = room;
  absl::StatusOr<std::string> id = ResolveRoom(*c.client, room);
  if (id.ok()) return *std::move(id);
  *exit_code = c.Fail(out, id.status());
  return std::nullopt;
}

}  // namespace unibus::client::cli
