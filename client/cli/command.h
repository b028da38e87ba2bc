// What every `unibus NOUN VERB …` command shares: dispatching the verb, parsing its arguments
// with --help handled, and usage errors that show the noun's usage text.
//
// Thread safety: plain functions over their arguments.
#ifndef UNIBUS_CLIENT_CLI_COMMAND_H_
#define UNIBUS_CLIENT_CLI_COMMAND_H_

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "client/cli/args.h"
#include "client/cli/context.h"

namespace unibus::client::cli {

// Prints a command's usage text.
using UsageFn = void (*)(std::ostream& out);
// Runs one command with its arguments (after the command's own words); returns an ExitCode.
using CommandFn = int (*)(const std::vector<std::string>& args, const Context& ctx);

struct CommandSpec {
  std::string name;  // as typed, e.g. "room create" (for messages)
  FlagSpec flags;
  size_t min_args = 0;  // positional arguments
  size_t max_args = 0;
  UsageFn usage = nullptr;
};

// Parses `args` for `spec`. Returns nullopt with *exit_code set when the command is done: after a
// usage error (message and usage on ctx.err, kExitUsage) or after --help (usage on ctx.out,
// kExitOk).
std::optional<ParsedArgs> ParseCommand(const std::vector<std::string>& args,
                                       const CommandSpec& spec, const Context& ctx,
                                       int* exit_code);

// Prints "unibus NAME: MESSAGE", a blank line and the usage on ctx.err; returns kExitUsage.
int UsageError(const Context& ctx, absl::string_view name, absl::string_view message,
               UsageFn usage);

struct Subcommand {
  const char* name;
  CommandFn run;
};

// Runs `unibus NOUN ARGS…` (`args` excludes NOUN): the first argument picks a subcommand; "help",
// "-h" and "--help" print the usage on ctx.out.
int Dispatch(absl::string_view noun, const std::vector<std::string>& args,
             const std::vector<Subcommand>& subcommands, UsageFn usage, const Context& ctx);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_COMMAND_H_
