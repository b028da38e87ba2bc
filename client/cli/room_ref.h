// The ROOM argument of `unibus room …`, `send`, `recv` and `chat`: a room id (32 hex
// characters), or, for convenience, the name of exactly one of the caller's rooms.
//
// Thread safety: as the Client.
#ifndef UNIBUS_CLIENT_CLI_ROOM_REF_H_
#define UNIBUS_CLIENT_CLI_ROOM_REF_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "client/cli/connection.h"
#include "client/cli/output.h"
#include "client/client.h"

namespace unibus::client::cli {

// The room id that `room` names. A room id is returned as it is (lower-cased), without a call:
// whether the caller may use it is for the next call to say. A name is looked up among the
// caller's rooms (ListMyRooms).
// NOT_FOUND if no room of the caller has that name; INVALID_ARGUMENT if several have it (the
// message lists their ids); the errors of ListMyRooms.
absl::StatusOr<std::string> ResolveRoom(Client& client, const std::string& room);

// ResolveRoom for a command: sets c.scope.room to `room` (for error messages) and, on failure,
// reports through `out` and returns nullopt with *exit_code set.
std::optional<std::string> ResolveRoomOrReport(Connection& c, Output& out, const std::string& room,
                                               int* exit_code);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_ROOM_REF_H_
