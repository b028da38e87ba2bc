// The shape of a command that talks to unibusd only (user and room management): parse the
// arguments, open the output, connect to the control plane without delivery state, run the body.
#ifndef UNIBUS_CLIENT_CLI_CONTROL_COMMAND_H_
#define UNIBUS_CLIENT_CLI_CONTROL_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

#include "client/cli/args.h"
#include "client/cli/command.h"
#include "client/cli/connection.h"
#include "client/cli/context.h"
#include "client/cli/output.h"

namespace unibus::client::cli {

using ControlBody = std::function<int(const ParsedArgs& args, Output& out, Connection& c)>;

// Returns the exit code of a usage error, a failed connection, or `body`.
int WithControlPlane(const std::vector<std::string>& args, const Context& ctx,
                     const CommandSpec& spec, const ControlBody& body);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_CONTROL_COMMAND_H_
