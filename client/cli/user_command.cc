#include "client/cli/user_command.h"

#include <nlohmann/json.hpp>

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "client/cli/command.h"
#include "client/cli/connection.h"
#include "client/cli/control_command.h"
#include "client/cli/exit_code.h"
#include "client/cli/output.h"
#include "client/cli/records.h"
#include "common/crypto/hex.h"
#include "common/crypto/identity.h"
#include "common/files/files.h"

namespace unibus::client::cli {
namespace {

struct PublicKeys {
  std::string sign_pub;
  std::string kex_pub;
};

// The public keys in FILE: an identity file, or `unibus id show --json` output.
std::optional<PublicKeys> KeysFromFile(const std::string& path, Output& out, int* exit_code) {
  absl::StatusOr<std::string> text = common::ReadFile(path);
  if (!text.ok()) {
    *exit_code = out.Fail(kExitFile, absl::StrCat("cannot read ", path));
    return std::nullopt;
  }
  if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(*text), "{")) {
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("sign_pub") && j.contains("kex_pub") &&
        j["sign_pub"].is_string() && j["kex_pub"].is_string()) {
      return PublicKeys{j["sign_pub"].get<std::string>(), j["kex_pub"].get<std::string>()};
    }
    *exit_code = out.Fail(kExitFile, absl::StrCat(path, " has no \"sign_pub\" and \"kex_pub\""));
    return std::nullopt;
  }
  absl::StatusOr<common::Identity> id = common::Identity::Load(path);
  if (!id.ok()) {
    *exit_code = out.Fail(
        kExitFile, absl::StrCat(id.status().message(),
                                " (--from-file takes an identity file or `unibus id show "
                                "--json` output)"));
    return std::nullopt;
  }
  return PublicKeys{id->sign_pub_hex(), id->kex_pub_hex()};
}

void PrintUser(Output& out, const v1::User& u) {
  if (out.json()) return out.Json(UserJson(u));
  out.Line(absl::StrFormat("%-20s %-7s %-8s %s", u.handle(), RoleName(u.role()),
                           StatusName(u.status()), u.sign_pub()));
}

int UserAdd(const std::vector<std::string>& args, const Context& ctx) {
  CommandSpec spec{"user add", WithConnectionFlags({{"handle", "role", "from-file"}, {}}), 0, 2,
                   &PrintUserUsage};
  int code = kExitOk;
  std::optional<ParsedArgs> p = ParseCommand(args, spec, ctx, &code);
  if (!p) return code;
  Output out(ctx, p->Has("json"));
  std::optional<std::string> handle = p->Value("handle");
  if (!handle) return UsageError(ctx, spec.name, "--handle NAME is required", &PrintUserUsage);
  std::optional<v1::Role> role = ParseRole(p->Value("role").value_or("member"));
  if (!role) return UsageError(ctx, spec.name, "--role is member or admin", &PrintUserUsage);
  std::optional<std::string> from_file = p->Value("from-file");
  const size_t n = p->positional().size();
  if (from_file ? n != 0 : n != 2) {
    return UsageError(ctx, spec.name, "give SIGN_PUB KEX_PUB, or --from-file FILE",
                      &PrintUserUsage);
  }
  PublicKeys keys;
  if (from_file) {
    std::optional<PublicKeys> read = KeysFromFile(*from_file, out, &code);
    if (!read) return code;
    keys = *read;
  } else {
    keys = {p->positional()[0], p->positional()[1]};
  }
  for (const std::string* key : {&keys.sign_pub, &keys.kex_pub}) {
    if (!common::IsHexOfSize(*key, 32)) {
      return UsageError(ctx, spec.name,
                        absl::StrCat("\"", *key, "\" is not a key (64 hex characters, as "
                                     "printed by `unibus id show`)"),
                        &PrintUserUsage);
    }
  }
  std::optional<Connection> c = Connect(*p, ctx, out, StateMode::kNone, &code, Planes::kControlOnly);
  if (!c) return code;
  c->scope.user = *handle;
  absl::StatusOr<v1::User> added = c->client->AddUser(common::HexNormalize(keys.sign_pub),
                                                     common::HexNormalize(keys.kex_pub), *handle,
                                                     *role);
  if (!added.ok()) return c->Fail(out, added.status());
  out.Note(absl::StrCat("added ", added->handle(), " (", RoleName(added->role()), ")"));
  PrintUser(out, *added);
  return kExitOk;
}

int UserList(const std::vector<std::string>& args, const Context& ctx) {
  CommandSpec spec{"user list", WithConnectionFlags({}), 0, 0, &PrintUserUsage};
  return WithControlPlane(args, ctx, spec, [](const ParsedArgs&, Output& out, Connection& c) {
    absl::StatusOr<std::vector<v1::User>> users = c.client->ListUsers();
    if (!users.ok()) return c.Fail(out, users.status());
    if (!out.json()) out.Line(absl::StrFormat("%-20s %-7s %-8s %s", "HANDLE", "ROLE", "STATUS",
                                              "SIGN_PUB (user id)"));
    for (const v1::User& u : *users) PrintUser(out, u);
    return int{kExitOk};
  });
}

int UserRevoke(const std::vector<std::string>& args, const Context& ctx) {
  CommandSpec spec{"user revoke", WithConnectionFlags({}), 1, 1, &PrintUserUsage};
  return WithControlPlane(args, ctx, spec, [](const ParsedArgs& p, Output& out, Connection& c) {
    c.scope.user = p.positional()[0];
    absl::StatusOr<v1::User> revoked = c.client->RevokeUser(p.positional()[0]);
    if (!revoked.ok()) return c.Fail(out, revoked.status());
    out.Note(absl::StrCat("revoked ", revoked->handle(),
                          ": refused on the control plane from now on, and its NATS connections "
                          "are closed; its rooms are marked for rekey"));
    PrintUser(out, *revoked);
    return int{kExitOk};
  });
}

int UserWhoAmI(const std::vector<std::string>& args, const Context& ctx) {
  CommandSpec spec{"user whoami", WithConnectionFlags({}), 0, 0, &PrintUserUsage};
  return WithControlPlane(args, ctx, spec, [](const ParsedArgs&, Output& out, Connection& c) {
    absl::StatusOr<v1::User> me = c.client->WhoAmI();
    if (!me.ok()) return c.Fail(out, me.status());
    PrintUser(out, *me);
    return int{kExitOk};
  });
}

}  // namespace

void PrintUserUsage(std::ostream& out) {
  out << "usage:\n"
         "  unibus user add SIGN_PUB KEX_PUB --handle NAME [--role member|admin]\n"
         "  unibus user add --from-file FILE --handle NAME [--role member|admin]\n"
         "      put a key on the allowlist (admin only). FILE is an identity file or the\n"
         "      output of `unibus id show --json`; the keys are what `unibus id show` prints.\n"
         "      NAME: 1-64 of [a-z0-9._-]. Re-adding a key or a taken handle changes nothing.\n"
         "  unibus user list\n"
         "      every user: handle, role, status, user id (admin only)\n"
         "  unibus user revoke USER\n"
         "      USER (hex user id or handle) is refused from now on on both planes; its rooms\n"
         "      are marked for rekey (admin only)\n"
         "  unibus user whoami\n"
         "      this identity's record, as the control plane sees it\n"
         "\n"
      << ConnectionFlagsHelp();
}

int RunUserCommand(const std::vector<std::string>& args, const Context& ctx) {
  return Dispatch("user", args,
                  {{"add", &UserAdd}, {"list", &UserList}, {"revoke", &UserRevoke},
                   {"whoami", &UserWhoAmI}},
                  &PrintUserUsage, ctx);
}

}  // namespace unibus::client::cli
