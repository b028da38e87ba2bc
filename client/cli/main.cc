// The `unibus` command-line client: dispatches to one command per noun (DESIGN.md §10).
// Each command is a library taking its arguments and a Context, so it is tested in-process.
#include <iostream>
#include <string>
#include <vector>

#include "client/cli/context.h"
#include "client/cli/exit_code.h"
#include "client/cli/id_command.h"

namespace {

using ::unibus::client::cli::Context;

void PrintUsage(std::ostream& out) {
  out << "usage: unibus COMMAND [ARGS...]\n"
         "\n"
         "commands:\n"
         "  id new  [--out PATH] [--json]             create a new identity file (0600)\n"
         "  id show [--identity PATH] [--json]        print user id, kex key and NATS nkey\n"
         "  id cert [--identity PATH] [--out-cert FILE --out-key FILE]\n"
         "                                            export the TLS client certificate + key\n"
         "  help [COMMAND]                            this text, or a command's\n"
         "\n"
         "The identity file is --identity, else $UNIBUS_IDENTITY, else ~/.config/unibus/identity.\n"
         "Exit codes: 0 ok, 1 other error, 2 usage error,\n"
         "            3 file problem (missing, corrupt, exists, readable by others).\n";
}

int Help(const std::vector<std::string>& topic, const Context& ctx) {
  if (!topic.empty() && topic[0] == "id") return unibus::client::cli::RunIdCommand({"help"}, ctx);
  if (!topic.empty()) {
    *ctx.err << "unibus: no help for unknown command \"" << topic[0] << "\"\n";
    return unibus::client::cli::kExitUsage;
  }
  PrintUsage(*ctx.out);
  return unibus::client::cli::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Context ctx = unibus::client::cli::SystemContext();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    PrintUsage(std::cerr);
    return unibus::client::cli::kExitUsage;
  }
  const std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "id") return unibus::client::cli::RunIdCommand(rest, ctx);
  if (command == "help" || command == "-h" || command == "--help") return Help(rest, ctx);
  std::cerr << "unibus: unknown command \"" << command << "\"\n\n";
  PrintUsage(std::cerr);
  return unibus::client::cli::kExitUsage;
}
