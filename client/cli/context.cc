#include "client/cli/context.h"

#include <cstdlib>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace unibus::client::cli {

Context SystemContext() {
  Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  return ctx;
}

absl::StatusOr<IdentityPath> ResolveIdentityPath(const std::optional<std::string>& flag,
                                                 const Context& ctx) {
  if (flag.has_value()) return IdentityPath{*flag, false};
  if (std::optional<std::string> env = ctx.getenv("UNIBUS_IDENTITY")) {
    return IdentityPath{*env, false};
  }
  if (std::optional<std::string> home = ctx.getenv("HOME")) {
    return IdentityPath{absl::StrCat(*home, "/.config/unibus/identity"), true};
  }
  return absl::FailedPreconditionError(
      "no identity file given: pass --identity PATH or set UNIBUS_IDENTITY (HOME is not set)");
}

}  // namespace unibus::client::cli
