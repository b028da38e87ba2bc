// `unibus user …`: the allowlist (DESIGN.md §2, §10). add, list and revoke need an admin identity.
//
//   unibus user add SIGN_PUB KEX_PUB --handle H [--role member|admin]
//   unibus user add --from-file FILE --handle H [--role member|admin]
//       FILE: an identity file, or the output of `unibus id show --json` (public keys only)
//   unibus user list
//   unibus user revoke USER            (USER: hex sign_pub or handle)
//   unibus user whoami
//
// Every subcommand also takes the connection flags of connection.h and --json.
#ifndef UNIBUS_CLIENT_CLI_USER_COMMAND_H_
#define UNIBUS_CLIENT_CLI_USER_COMMAND_H_

#include <ostream>
#include <string>
#include <vector>

#include "client/cli/context.h"

namespace unibus::client::cli {

// Runs `unibus user ARGS…` (`args` excludes "user"). Returns an ExitCode.
int RunUserCommand(const std::vector<std::string>& args, const Context& ctx);

void PrintUserUsage(std::ostream& out);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_USER_COMMAND_H_
