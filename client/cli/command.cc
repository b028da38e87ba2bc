#include "client/cli/command.h"

#include "absl/strings/str_cat.h"
#include "client/cli/exit_code.h"

namespace unibus::client::cli {

int UsageError(const Context& ctx, absl::string_view name, absl::string_view message,
               UsageFn usage) {
  *ctx.err << "unibus " << name << ": " << message << "\n";
  if (usage != nullptr) {
    *ctx.err << "\n";
    usage(*ctx.err);
  }
  ctx.err->flush();
  return kExitUsage;
}

std::optional<ParsedArgs> ParseCommand(const std::vector<std::string>& args,
                                       const CommandSpec& spec, const Context& ctx,
                                       int* exit_code) {
  absl::StatusOr<ParsedArgs> parsed = ParsedArgs::Parse(args, spec.flags);
  if (!parsed.ok()) {
    *exit_code = UsageError(ctx, spec.name, parsed.status().message(), spec.usage);
    return std::nullopt;
  }
  if (parsed->Has("help")) {
    if (spec.usage != nullptr) spec.usage(*ctx.out);
    *exit_code = kExitOk;
    return std::nullopt;
  }
  size_t n = parsed->positional().size();
  if (n < spec.min_args) {
    *exit_code = UsageError(ctx, spec.name, "missing argument", spec.usage);
    return std::nullopt;
  }
  if (n > spec.max_args) {
    *exit_code = UsageError(
        ctx, spec.name,
        absl::StrCat("unexpected argument \"", parsed->positional()[spec.max_args], "\""),
        spec.usage);
    return std::nullopt;
  }
  return *std::move(parsed);
}

int Dispatch(absl::string_view noun, const std::vector<std::string>& args,
             const std::vector<Subcommand>& subcommands, UsageFn usage, const Context& ctx) {
  if (args.empty()) return UsageError(ctx, noun, "missing subcommand", usage);
  const std::string& verb = args[0];
  if (verb == "help" || verb == "-h" || verb == "--help") {
    usage(*ctx.out);
    return kExitOk;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const Subcommand& sub : subcommands) {
    if (verb == sub.name) return sub.run(rest, ctx);
  }
  return UsageError(ctx, noun, absl::StrCat("unknown subcommand \"", verb, "\""), usage);
}

}  // namespace unibus::client::cli
