// What a `unibus` command needs from the process around it: output streams and environment
// variables. Commands take a Context instead of using std::cout or getenv() directly, so tests
// run them in-process with string streams and a fake environment.
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
};

// std::cout, std::cerr and the process environment.
Context SystemContext();

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
