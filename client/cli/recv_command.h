// `unibus recv ROOM`: prints a room's messages as they arrive (DESIGN.md §10).
//
//   unibus recv ROOM [--count N] [--timeout SECONDS] [--history] [--files-dir DIR | --no-files]
//
// Without --history it resumes after the last message this identity received in ROOM through
// recv or chat (the delivery state in --state-dir; the first time: only new messages). With
// --history it shows everything the room's history holds, from a fresh in-memory state (the
// saved state is neither used nor changed).
//
// Ends after N messages (exit 0); at the timeout (exit 0 without --count, kExitTimeout with
// --count and fewer than N); on Ctrl-C (exit 0 without --count, else kExitInterrupted). Messages
// are printed as transcript.h describes (--json: one object per message). Also takes the
// connection flags of connection.h.
//
// A message that carries a file: the file is downloaded, checked and decrypted, and saved in
// --files-dir (default ".") under its sanitized name, numbered when taken, never replacing
// anything (blob_transfer.h); the line ends in " saved to PATH" (--json: "saved_to"). With
// --no-files nothing is downloaded. A file that cannot be saved is reported on its line
// (" not saved: WHY"; --json: "download_error", "download_exit_code") and on stderr, and recv
// goes on. The exit code then is kExitIntegrity if any file failed its integrity check (a
// tampered blob: DATA_LOSS), else recv's own code if it is not 0 (timeout, interrupt), else the
// code of the first failed file.
#ifndef UNIBUS_CLIENT_CLI_RECV_COMMAND_H_
#define UNIBUS_CLIENT_CLI_RECV_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "client/cli/context.h"

namespace unibus::client::cli {

// Runs `unibus recv ARGS…` (`args` excludes "recv"). Returns an ExitCode.
int RunRecvCommand(const std::vector<std::string>& args, const Context& ctx);

void PrintRecvUsage(std::ostream& out);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_RECV_COMMAND_H_
