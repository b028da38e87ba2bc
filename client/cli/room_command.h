// `unibus room …`: rooms and their members (DESIGN.md §3, §6, §10).
//
//   unibus room create NAME [--cleartext] [--no-history] [--unsigned]
//   unibus room list
//   unibus room show ROOM
//   unibus room members ROOM
//   unibus room add ROOM USER [--admin] [--no-history]
//   unibus room remove ROOM USER
//   unibus room leave ROOM
//   unibus room rekey ROOM
//   unibus room delete ROOM
//
// ROOM is a room id or the name of exactly one of the caller's rooms (room_ref.h); USER is a hex
// user id or a handle. Room keys are made, sealed and opened here, never by the server. Every
// subcommand also takes the connection flags of connection.h and --json.
#ifndef UNIBUS_CLIENT_CLI_ROOM_COMMAND_H_
#define UNIBUS_CLIENT_CLI_ROOM_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "client/cli/context.h"

namespace unibus::client::cli {

// Runs `unibus room ARGS…` (`args` excludes "room"). Returns an ExitCode.
int RunRoomCommand(const std::vector<std::string>& args, const Context& ctx);

void PrintRoomUsage(std::ostream& out);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_ROOM_COMMAND_H_
