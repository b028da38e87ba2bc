// The `unibus` command-line client: dispatches to one command per noun (DESIGN.md §10).
// Each command is a library taking its arguments and a Context, so it is tested in-process.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "client/cli/blob_command.h"
#include "client/cli/chat_command.h"
#include "client/cli/command.h"
#include "client/cli/context.h"
#include "client/cli/exit_code.h"
#include "client/cli/id_command.h"
#include "client/cli/recv_command.h"
#include "client/cli/room_command.h"
#include "client/cli/send_command.h"
#include "client/cli/user_command.h"

namespace {

namespace cli = ::unibus::client::cli;

struct Command {
  const char* name;
  cli::CommandFn run;
  cli::UsageFn usage;
  bool interruptible;  // polls Context::interrupted (Ctrl-C ends it cleanly)
};

const std::vector<Command>& Commands() {
  static const auto* commands = new std::vector<Command>{
      {"id", &cli::RunIdCommand, &cli::PrintIdUsage, false},
      {"user", &cli::RunUserCommand, &cli::PrintUserUsage, false},
      {"room", &cli::RunRoomCommand, &cli::PrintRoomUsage, false},
      {"send", &cli::RunSendCommand, &cli::PrintSendUsage, false},
      {"recv", &cli::RunRecvCommand, &cli::PrintRecvUsage, true},
      {"chat", &cli::RunChatCommand, &cli::PrintChatUsage, true},
      {"blob", &cli::RunBlobCommand, &cli::PrintBlobUsage, false},
  };
  return *commands;
}

void PrintUsage(std::ostream& out) {
  out << "usage: unibus COMMAND [ARGS...]\n"
         "\n"
         "commands:\n"
         "  id new|show|cert                      your identity file (user id = its key)\n"
         "  user add|list|revoke|whoami           the allowlist (add/list/revoke: admins)\n"
         "  room create|list|show|members|add|remove|leave|rekey|delete\n"
         "                                        rooms and their members\n"
         "  send ROOM TEXT [--reply-to ID]        send a message (or --react EMOJI --to ID)\n"
         "  send ROOM [TEXT] --file PATH          send a file (encrypted here) with a message\n"
         "  recv ROOM [--count N] [--history]     print messages as they arrive, save files\n"
         "  chat ROOM                             talk in a room (/reply, /react, /file, /save)\n"
         "  blob put ROOM FILE | blob get TOKEN   a file without a message, by secret token\n"
         "  help [COMMAND]                        this text, or a command's (also COMMAND --help)\n"
         "\n"
         "Servers and identity come from UNIBUS_CONTROL, UNIBUS_NATS, UNIBUS_CA and\n"
         "UNIBUS_IDENTITY (flags --control, --nats, --ca, --identity override them); recv and\n"
         "chat keep what they delivered under --state-dir / UNIBUS_STATE\n"
         "(default ~/.local/state/unibus). For the dev stack: source .unibus/env.\n"
         "--json on any command: one JSON object per line.\n"
         "\n"
         "exit codes:\n"
      << cli::ExitCodeHelp();
}

const Command* Find(const std::string& name) {
  for (const Command& c : Commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

int Help(const std::vector<std::string>& topic, const cli::Context& ctx) {
  if (topic.empty()) {
    PrintUsage(*ctx.out);
    return cli::kExitOk;
  }
  if (const Command* c = Find(topic[0])) {
    c->usage(*ctx.out);
    return cli::kExitOk;
  }
  *ctx.err << "unibus: no help for unknown command \"" << topic[0] << "\"\n";
  return cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  cli::Context ctx = cli::SystemContext();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    PrintUsage(std::cerr);
    return cli::kExitUsage;
  }
  const std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "help" || command == "-h" || command == "--help") return Help(rest, ctx);
  const Command* c = Find(command);
  if (c == nullptr) {
    std::cerr << "unibus: unknown command \"" << command << "\"\n\n";
    PrintUsage(std::cerr);
    return cli::kExitUsage;
  }
  if (c->interruptible) cli::BlockInterrupts();  // before any thread starts
  return c->run(rest, ctx);
}
