// What a `unibus` command needs from the process around it: output streams, standard input,
// Ctrl-C and environment variables. Commands take a Context instead of using std::cout, std::cin
// or getenv() directly, so tests run them in-process with string streams, scripted input and a
// fake environment.
//
// The CLI reads UNIBUS_CONTROL, UNIBUS_NATS, UNIBUS_CA and UNIBUS_IDENTITY; a flag always
// overrides its variable (DESIGN.md §10).
//
// Thread safety: a Context is used by one command at a time.
#ifndef UNIBUS_CLIENT_CLI_CONTEXT_H_
#define UNIBUS_CLIENT_CLI_CONTEXT_H_

#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"

namespace unibus::client::cli {

struct Context {
  // Not owned; must outlive the command.
  std::ostream* out = nullptr;  // results (what scripts read)
  std::ostream* err = nullptr;  // messages for people
  // Returns the variable's value, or nullopt if unset. An empty value counts as unset.
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  // Reads one line of standard input (without the newline) into *line. Returns false at the end
  // of input, or when interrupted() became true while waiting. Unset: no input at all.
  std::function<bool(std::string* line)> read_line;
  // True once the user asked the command to stop (Ctrl-C, SIGTERM). Long-running commands (recv,
  // chat) poll it. Unset: never.
  std::function<bool()> interrupted;
  // Columns of the terminal that `err` writes to; 0 when it is not a terminal (a pipe, a file, a
  // test), which turns progress bars off.
  int err_columns = 0;
};

// std::cout, std::cerr, standard input and the process environment. interrupted() notices
// SIGINT and SIGTERM only while they are blocked (see BlockInterrupts); otherwise they end the
// process as usual.
Context SystemContext();

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards, so that
// they become pending and SystemContext's interrupted() sees them. Call before any thread starts
// (before a Client connects), and only for commands that poll interrupted().
void BlockInterrupts();

struct IdentityPath {
  std::string path;
  bool is_default = false;  // true when it came from neither the flag nor UNIBUS_IDENTITY
};

// The identity file to use: `flag` if given, else $UNIBUS_IDENTITY, else
// $HOME/.config/unibus/identity. FAILED_PRECONDITION if none applies (no HOME).
absl::StatusOr<IdentityPath> ResolveIdentityPath(const std::optional<std::string>& flag,
                                                 const Context& ctx);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_CONTEXT_H_
