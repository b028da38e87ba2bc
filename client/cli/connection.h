// Connecting a command to unibus: where the servers are, which identity to use, where delivery
// state lives (DESIGN.md §10), and a connected libunibus Client.
//
//   --control HOST:PORT[,…]  else $UNIBUS_CONTROL   unibusd address(es), tried in order
//   --nats URL[,…]           else $UNIBUS_NATS      nats-server URL(s)
//   --ca PATH                else $UNIBUS_CA        PEM of the CA that signed unibusd's certificate
//   --identity PATH          else $UNIBUS_IDENTITY, else ~/.config/unibus/identity
//   --state-dir DIR          else $UNIBUS_STATE, else ~/.local/state/unibus  (recv/chat resume)
//   --json                   JSON lines instead of text
//
// Thread safety: Connect() and the Connection it returns are used by one command thread; the
// Client inside is thread-safe (client/client.h).
#ifndef UNIBUS_CLIENT_CLI_CONNECTION_H_
#define UNIBUS_CLIENT_CLI_CONNECTION_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/cli/args.h"
#include "client/cli/context.h"
#include "client/cli/errors.h"
#include "client/cli/output.h"
#include "client/client.h"

namespace unibus::client::cli {

// `spec` plus the flags above.
FlagSpec WithConnectionFlags(FlagSpec spec);

// The usage lines for the flags above (for every command's help text).
const char* ConnectionFlagsHelp();

struct Settings {
  std::vector<std::string> control_urls;
  std::vector<std::string> nats_urls;
  std::string ca_path;
  std::string identity_path;
  bool identity_is_default = false;
  std::string state_dir;  // empty if neither flag, variable nor HOME gives one
};

// Reads the flags and the environment. INVALID_ARGUMENT, with a message for the user, when an
// address or the CA is given nowhere.
absl::StatusOr<Settings> ResolveSettings(const ParsedArgs& args, const Context& ctx);

// "a,b , c" → {"a", "b", "c"}.
std::vector<std::string> SplitList(const std::string& list);

// A connected Client and what error messages need to know about it. A command that published
// to a room without history calls FlushRoom before it ends.
struct Connection {
  Settings settings;
  ErrorScope scope;  // servers and identity filled in; commands add room / user
  std::unique_ptr<Client> client;

  // Reports `status` through `out` (see errors.h) and returns its exit code.
  int Fail(Output& out, const absl::Status& status) const;
};

// Returns once every frame `client` published to `room_id` has reached nats-server. Sends to a
// room with history are acknowledged by JetStream, so this only matters for rooms without
// history, whose frames may still sit in the connection's write buffer. (Client has no Flush();
// setting up a live subscription ends with a PING/PONG round trip on the same connection.)
absl::Status FlushRoom(Client& client, const std::string& room_id);

enum class StateMode {
  kNone,     // delivery state in memory only
  kPersist,  // delivery state in settings.state_dir (created 0700 if missing)
};

// Resolves the settings, loads the identity and the CA, and connects. Right after an admin added
// this identity, unibus-authd may not know it yet for a moment: a refusal by nats-server is
// retried for up to `nats_grace`.
// On failure reports the reason through `out` and returns nullopt with *exit_code set:
// kExitUsage (no address), kExitFile (identity or CA missing, corrupt or readable by others),
// or the code of the connection error (errors.h).
// Which servers a command talks to: user and room management needs only unibusd, so it works
// while nats-server is down.
enum class Planes { kControlOnly, kBoth };

std::optional<Connection> Connect(const ParsedArgs& args, const Context& ctx, Output& out,
                                  StateMode state, int* exit_code, Planes planes = Planes::kBoth,
                                  absl::Duration nats_grace = absl::Seconds(5));

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_CONNECTION_H_
