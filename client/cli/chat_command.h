// `unibus chat ROOM`: a line-based conversation in a room (DESIGN.md §10). No curses: incoming
// messages are printed numbered as they arrive (transcript.h), and each line typed is sent.
//
//   unibus chat ROOM [--history] [--files-dir DIR]
//     TEXT            send TEXT
//     /reply N TEXT   reply to message #N
//     /react N EMOJI  react to message #N
//     /file PATH      send the file PATH (the rest of the line; blob_transfer.h)
//     /save N         save the file of message #N in --files-dir (default "."), under its
//                     sanitized name, numbered when taken, never replacing a file
//     /help           these commands
//     /quit           leave the chat (so does end of input or Ctrl-C)
//
// Like recv, it first shows what arrived since this identity last read ROOM (--history:
// everything, without the saved state). Also takes the connection flags of connection.h.
// Files show as "[file NAME, SIZE]" and are downloaded only on /save; transfers draw no
// progress bar (messages may print meanwhile), and a failed one is reported and the chat goes
// on.
#ifndef UNIBUS_CLIENT_CLI_CHAT_COMMAND_H_
#define UNIBUS_CLIENT_CLI_CHAT_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "client/cli/context.h"

namespace unibus::client::cli {

// Runs `unibus chat ARGS…` (`args` excludes "chat"), reading lines with ctx.read_line until
// /quit, the end of input or ctx.interrupted(). Returns an ExitCode (kExitOk once the chat ran).
int RunChatCommand(const std::vector<std::string>& args, const Context& ctx);

void PrintChatUsage(std::ostream& out);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_CHAT_COMMAND_H_
