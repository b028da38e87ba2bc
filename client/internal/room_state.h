// Per-room delivery state of one identity, kept in the client's state_dir so that a restarted
// client resumes after the last frame it delivered and still recognises replays:
//   <state_dir>/<identity hex>/<room_id>.state
//   "unibus-room-state 1\n" "seq <last stream sequence>\n" then ReplayGuard::Serialize().
// Written to a temporary file, fsynced and renamed, so a crash leaves the old or the new state.
#ifndef UNIBUS_CLIENT_INTERNAL_ROOM_STATE_H_
#define UNIBUS_CLIENT_INTERNAL_ROOM_STATE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "client/internal/replay_guard.h"

namespace unibus::client::internal {

struct RoomState {
  uint64_t last_seq = 0;
  ReplayGuard guard;
};

// NOT_FOUND when there is no state yet; INVALID_ARGUMENT for a corrupt file.
absl::StatusOr<RoomState> LoadRoomState(const std::string& state_dir,
                                        const std::string& identity_hex,
                                        const std::string& room_id);
absl::Status SaveRoomState(const std::string& state_dir, const std::string& identity_hex,
                           const std::string& room_id, const RoomState& state);

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_ROOM_STATE_H_
