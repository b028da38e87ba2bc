#include "client/cli/control_command.h"

#include <optional>

#include "client/cli/exit_code.h"

namespace unibus::client::cli {

int WithControlPlane(const std::vector<std::string>& args, const Context& ctx,
                     const CommandSpec& spec, const ControlBody& body) {
  int code = kExitOk;
  std::optional<ParsedArgs> p = ParseCommand(args, spec, ctx, &code);
  if (!p) return code;
  Output out(ctx, p->Has("json"));
  std::optional<Connection> c =
      Connect(*p, ctx, out, StateMode::kNone, &code, Planes::kControlOnly);
  if (!c) return code;
  return body(*p, out, *c);
}

}  // namespace unibus::client::cli
