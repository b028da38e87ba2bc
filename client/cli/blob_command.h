// `unibus blob put|get`: files through unibus without a message (DESIGN.md §10).
//
//   unibus blob put ROOM FILE [--name NAME] [--content-type TYPE]
//       encrypts FILE here under a key of its own, uploads it for ROOM without announcing it,
//       and prints a token (blob_token.h) that names the room and holds the blob's reference
//       and key (--json: {"room_id", "token", "blob": {"address", "size", "name",
//       "content_type"}}).
//   unibus blob get TOKEN [--out FILE | -o FILE | -o -]
//       downloads the blob, checks it against the token and decrypts it; saves it as FILE
//       (never replacing one: kExitFile), in FILE if that is a directory, or by default under
//       its sanitized name in the current directory (numbered when taken; blob_transfer.h);
//       "-" writes the bytes to stdout. Prints the path (--json: {"saved_to", "room_id",
//       "address", "size", "name", "content_type"}); nothing else goes to stdout with "-".
//
// The token is a secret: anyone who has it and is a member of the room can read the file.
// Exit codes: a malformed TOKEN is kExitUsage; a failed integrity check kExitIntegrity; FILE
// missing, too large or in the way kExitFile; otherwise errors.h. Both talk to unibusd only.
#ifndef UNIBUS_CLIENT_CLI_BLOB_COMMAND_H_
#define UNIBUS_CLIENT_CLI_BLOB_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "client/cli/context.h"

namespace unibus::client::cli {

// Runs `unibus blob ARGS…` (`args` excludes "blob"). Returns an ExitCode.
int RunBlobCommand(const std::vector<std::string>& args, const Context& ctx);

void PrintBlobUsage(std::ostream& out);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_BLOB_COMMAND_H_
