// `unibus id …`: create, show and export the peer's identity (DESIGN.md §2).
//
//   unibus id new  [--out PATH] [--json]
//       Creates a new identity file, mode 0600. Never overwrites an existing file.
//   unibus id show [--identity PATH] [--json]
//       Prints the user id (sign_pub, hex), kex_pub (hex) and the NATS nkey ("U…").
//   unibus id cert [--identity PATH] [--out-cert FILE --out-key FILE]
//       Exports the identity's self-signed Ed25519 TLS client certificate and its PKCS#8 key as
//       PEM, for grpcurl and gRPC clients in other languages. The key file is written 0600; both
//       files are replaced if they exist (they are derived from the identity, which is kept).
//       Without the flags both PEM blocks go to stdout.
//
// The identity file is --identity (--out for `new`), else $UNIBUS_IDENTITY, else
// ~/.config/unibus/identity (whose directory `id new` creates, 0700).
#ifndef UNIBUS_CLIENT_CLI_ID_COMMAND_H_
#define UNIBUS_CLIENT_CLI_ID_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "client/cli/context.h"

namespace unibus::client::cli {

// Runs `unibus id ARGS…` (`args` excludes "id"). Results go to ctx.out, messages to ctx.err.
// Returns an ExitCode: kExitOk, kExitUsage, kExitFile (identity or output file missing, corrupt,
// already there, or readable by others), kExitOther.
int RunIdCommand(const std::vector<std::string>& args, const Context& ctx);

// The usage text of `unibus id`.
void PrintIdUsage(std::ostream& out);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_ID_COMMAND_H_
