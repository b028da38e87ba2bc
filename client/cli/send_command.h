// `unibus send ROOM TEXT`: one end-to-end encrypted frame (DESIGN.md §6, §10).
//
//   unibus send ROOM TEXT [--reply-to SENDER:COUNTER]
//   unibus send ROOM [TEXT] --file PATH [--name NAME] [--content-type TYPE] [--reply-to ...]
//   unibus send ROOM --react EMOJI --to SENDER:COUNTER
//
// TEXT "-" reads the text from standard input. Prints the frame id SENDER:COUNTER (with --json:
// {"room_id", "id", "sender", "counter"}, and "blob" {"address", "size", "name",
// "content_type"} with --file, never the key). In a room with history it returns once JetStream
// stored the frame. Also takes the connection flags of connection.h.
//
// --file: the file is read before connecting (missing, unreadable or over the size limit:
// kExitFile), uploaded as a blob with a progress bar on a terminal (blob_transfer.h), and the
// frame's body carries the BlobRef (and TEXT, if given). The name defaults to PATH's last
// component.
#ifndef UNIBUS_CLIENT_CLI_SEND_COMMAND_H_
#define UNIBUS_CLIENT_CLI_SEND_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "client/cli/context.h"

namespace unibus::client::cli {

// Runs `unibus send ARGS…` (`args` excludes "send"). Returns an ExitCode.
int RunSendCommand(const std::vector<std::string>& args, const Context& ctx);

void PrintSendUsage(std::ostream& out);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_SEND_COMMAND_H_
