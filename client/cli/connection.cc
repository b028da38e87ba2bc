#include "client/cli/connection.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/cli/atomic_file.h"
#include "client/cli/exit_code.h"
#include "common/crypto/identity.h"
#include "common/files/files.h"

namespace unibus::client::cli {
namespace {

using ::unibus::common::Identity;

std::optional<std::string> FlagOrEnv(const ParsedArgs& args, const Context& ctx,
                                     const std::string& flag, const std::string& variable) {
  if (std::optional<std::string> value = args.Value(flag)) return value;
  return ctx.getenv(variable);
}

// Loads the identity; file problems become kExitFile with a message naming the file.
std::optional<Identity> LoadIdentity(const Settings& settings, Output& out, int* exit_code) {
  absl::StatusOr<Identity> id = Identity::Load(settings.identity_path);
  if (id.ok()) return *std::move(id);
  const std::string& path = settings.identity_path;
  std::string message;
  switch (id.status().code()) {
    case absl::StatusCode::kNotFound:
      message = absl::StrCat("no identity file at ", path, "; create one with: unibus id new",
                             settings.identity_is_default ? "" : absl::StrCat(" --out ", path));
      break;
    case absl::StatusCode::kInvalidArgument:
      message = absl::StrCat("identity file ", path,
                             " is corrupt (expected a NATS user seed \"SU...\" on the first "
                             "line); it was left untouched");
      break;
    default:  // readable by others, unreadable
      message = std::string(id.status().message());
  }
  *exit_code = out.Fail(kExitFile, message);
  return std::nullopt;
}

std::optional<std::string> LoadCa(const std::string& path, Output& out, int* exit_code) {
  absl::StatusOr<std::string> pem = common::ReadFile(path);
  if (!pem.ok()) {
    *exit_code = out.Fail(kExitFile, absl::StrCat("cannot read the CA certificate ", path,
                                                  " (given by --ca or UNIBUS_CA)"));
    return std::nullopt;
  }
  if (!absl::StrContains(*pem, "-----BEGIN CERTIFICATE-----")) {
    *exit_code = out.Fail(kExitFile, absl::StrCat("CA file ", path, " holds no PEM certificate"));
    return std::nullopt;
  }
  return *std::move(pem);
}

// nats-server turned the connection down (not: no server there). Right after an admin added
// the identity, unibus-authd may not know it yet; nats.c reports that as an authorization error
// or, when the server closes the connection during the handshake, as a generic error.
bool NatsRefused(const absl::Status& s) {
  return s.code() != absl::StatusCode::kUnavailable &&
         absl::StrContains(s.message(), "connect to NATS");
}

}  // namespace

FlagSpec WithConnectionFlags(FlagSpec spec) {
  for (const char* f : {"control", "nats", "ca", "identity", "state-dir"}) {
    spec.value_flags.insert(f);
  }
  spec.bool_flags.insert("json");
  return spec;
}

const char* ConnectionFlagsHelp() {
  return "common flags (each overrides its variable):\n"
         "  --control HOST:PORT[,...]  unibusd address(es)             $UNIBUS_CONTROL\n"
         "  --nats URL[,...]           nats-server URL(s)              $UNIBUS_NATS\n"
         "  --ca PATH                  CA certificate of unibusd (PEM) $UNIBUS_CA\n"
         "  --identity PATH            identity file                   $UNIBUS_IDENTITY\n"
         "                             (default ~/.config/unibus/identity)\n"
         "  --state-dir DIR            where recv/chat remember what they delivered\n"
         "                             $UNIBUS_STATE (default ~/.local/state/unibus)\n"
         "  --json                     one JSON object per line (errors too, on stderr)\n"
         "tools/dev up writes these variables to .unibus/env (source .unibus/env).\n";
}

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> items;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) items.emplace_back(item);
  }
  return items;
}

absl::StatusOr<Settings> ResolveSettings(const ParsedArgs& args, const Context& ctx) {
  Settings s;
  s.control_urls = SplitList(FlagOrEnv(args, ctx, "control", "UNIBUS_CONTROL").value_or(""));
  if (s.control_urls.empty()) {
    return absl::InvalidArgumentError(
        "no unibusd address: pass --control HOST:PORT or set UNIBUS_CONTROL "
        "(for the dev stack: source .unibus/env)");
  }
  s.nats_urls = SplitList(FlagOrEnv(args, ctx, "nats", "UNIBUS_NATS").value_or(""));
  if (s.nats_urls.empty()) {
    return absl::InvalidArgumentError(
        "no nats-server URL: pass --nats nats://HOST:PORT or set UNIBUS_NATS "
        "(for the dev stack: source .unibus/env)");
  }
  s.ca_path = FlagOrEnv(args, ctx, "ca", "UNIBUS_CA").value_or("");
  if (s.ca_path.empty()) {
    return absl::InvalidArgumentError(
        "no CA certificate: pass --ca PATH or set UNIBUS_CA (for the dev stack: source "
        ".unibus/env)");
  }
  absl::StatusOr<IdentityPath> id = ResolveIdentityPath(args.Value("identity"), ctx);
  if (!id.ok()) return absl::InvalidArgumentError(id.status().message());
  s.identity_path = id->path;
  s.identity_is_default = id->is_default;
  if (std::optional<std::string> dir = FlagOrEnv(args, ctx, "state-dir", "UNIBUS_STATE")) {
    s.state_dir = *dir;
  } else if (std::optional<std::string> home = ctx.getenv("HOME")) {
    s.state_dir = absl::StrCat(*home, "/.local/state/unibus");
  }
  return s;
}

absl::Status FlushRoom(Client& client, const std::string& room_id) {
  (void)room_id;  // frames of every room leave through the one connection
  return client.Flush();
}

int Connection::Fail(Output& out, const absl::Status& status) const {
  Explained e = Explain(status, scope);
  return out.Fail(e.exit_code, e.message);
}

std::optional<Connection> Connect(const ParsedArgs& args, const Context& ctx, Output& out,
                                  StateMode state, int* exit_code, Planes planes,
                                  absl::Duration nats_grace) {
  absl::StatusOr<Settings> settings = ResolveSettings(args, ctx);
  if (!settings.ok()) {
    *exit_code = out.Fail(kExitUsage, settings.status().message());
    return std::nullopt;
  }
  std::optional<Identity> identity = LoadIdentity(*settings, out, exit_code);
  if (!identity) return std::nullopt;
  std::optional<std::string> ca = LoadCa(settings->ca_path, out, exit_code);
  if (!ca) return std::nullopt;

  ClientOptions options;
  options.control_urls = settings->control_urls;
  options.nats_urls = settings->nats_urls;
  options.ca_pem = *ca;
  options.name = "unibus-cli";
  options.connect_nats = planes == Planes::kBoth;
  if (state == StateMode::kPersist) {
    if (settings->state_dir.empty()) {
      *exit_code = out.Fail(kExitUsage,
                            "no state directory: pass --state-dir DIR or set UNIBUS_STATE");
      return std::nullopt;
    }
    if (absl::Status made = MakeDirectories(settings->state_dir); !made.ok()) {
      *exit_code = out.Fail(kExitFile, made.message());
      return std::nullopt;
    }
    options.state_dir = settings->state_dir;
  }

  Connection c;
  c.scope.control = absl::StrJoin(settings->control_urls, ",");
  c.scope.nats = absl::StrJoin(settings->nats_urls, ",");
  c.scope.sign_pub_hex = identity->sign_pub_hex();
  c.scope.kex_pub_hex = identity->kex_pub_hex();
  c.settings = *std::move(settings);
  const absl::Time deadline = absl::Now() + nats_grace;
  while (true) {
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(*Identity::FromSeed(identity->seed().view()), options);
    if (client.ok()) {
      c.client = *std::move(client);
      return c;
    }
    bool interrupted = ctx.interrupted && ctx.interrupted();
    if (!NatsRefused(client.status()) || absl::Now() >= deadline || interrupted) {
      *exit_code = c.Fail(out, client.status());
      return std::nullopt;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

}  // namespace unibus::client::cli
