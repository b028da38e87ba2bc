#include "client/cli/id_command.h"

#include <sodium.h>

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/args.h"
#include "client/cli/atomic_file.h"
#include "client/cli/exit_code.h"
#include "common/crypto/cert.h"
#include "common/crypto/identity.h"

namespace unibus::client::cli {
namespace {

using ::unibus::common::Identity;

// A JSON string literal: quotes, backslashes and control characters escaped.
std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

int UsageError(const Context& ctx, absl::string_view message) {
  *ctx.err << "unibus id: " << message << "\n\n";
  PrintIdUsage(*ctx.err);
  return kExitUsage;
}

int FileError(const Context& ctx, const absl::Status& status) {
  *ctx.err << "unibus: " << status.message() << "\n";
  return kExitFile;
}

// Parses `args` for one subcommand. Returns nullopt with *exit_code set when the command is done:
// after a usage error (printed) or after printing the help text for --help.
std::optional<ParsedArgs> ParseOrExit(const std::vector<std::string>& args, const FlagSpec& spec,
                                      const Context& ctx, int* exit_code) {
  absl::StatusOr<ParsedArgs> parsed = ParsedArgs::Parse(args, spec);
  if (!parsed.ok()) {
    *exit_code = UsageError(ctx, parsed.status().message());
    return std::nullopt;
  }
  if (parsed->Has("help")) {
    PrintIdUsage(*ctx.out);
    *exit_code = kExitOk;
    return std::nullopt;
  }
  if (!parsed->positional().empty()) {
    *exit_code = UsageError(ctx, absl::StrCat("unexpected argument \"", parsed->positional()[0],
                                              "\""));
    return std::nullopt;
  }
  return *std::move(parsed);
}

// Writes the key (0600) and then the certificate (0644).
absl::Status WritePemFiles(const common::PemKeyPair& pem, const std::string& cert_path,
                           const std::string& key_path) {
  absl::Status status = WriteFileAtomically(key_path, pem.key_pem, 0600);
  if (!status.ok()) return status;
  return WriteFileAtomically(cert_path, pem.cert_pem, 0644);
}

// Loads the identity named by --identity / $UNIBUS_IDENTITY / the default path.
absl::StatusOr<Identity> LoadIdentity(const ParsedArgs& args, const Context& ctx,
                                      std::string* path) {
  absl::StatusOr<IdentityPath> where = ResolveIdentityPath(args.Value("identity"), ctx);
  if (!where.ok()) return where.status();
  *path = where->path;
  absl::StatusOr<Identity> id = Identity::Load(where->path);
  if (absl::IsNotFound(id.status())) {
    std::string out_flag = where->is_default ? "" : absl::StrCat(" --out ", where->path);
    return absl::NotFoundError(
        absl::StrCat(id.status().message(), "; create one with: unibus id new", out_flag));
  }
  return id;
}

void PrintIdentity(const Identity& id, const std::string& path, bool json, std::ostream& out) {
  if (json) {
    out << "{\"path\":" << JsonQuote(path) << ",\"sign_pub\":\"" << id.sign_pub_hex()
        << "\",\"kex_pub\":\"" << id.kex_pub_hex() << "\",\"nkey\":\"" << id.nkey_public()
        << "\"}\n";
    return;
  }
  out << "identity  " << path << "\n"
      << "sign_pub  " << id.sign_pub_hex() << "   (user id)\n"
      << "kex_pub   " << id.kex_pub_hex() << "\n"
      << "nkey      " << id.nkey_public() << "\n";
}

int IdNew(const std::vector<std::string>& args, const Context& ctx) {
  int code = kExitOk;
  std::optional<ParsedArgs> parsed = ParseOrExit(args, {{"out"}, {"json"}}, ctx, &code);
  if (!parsed) return code;
  absl::StatusOr<IdentityPath> where = ResolveIdentityPath(parsed->Value("out"), ctx);
  if (!where.ok()) return UsageError(ctx, where.status().message());
  if (where->is_default) {
    absl::Status dir = MakeDirectories(where->path.substr(0, where->path.find_last_of('/')));
    if (!dir.ok()) return FileError(ctx, dir);
  }
  Identity id = Identity::Generate();
  if (absl::Status saved = id.Save(where->path); !saved.ok()) return FileError(ctx, saved);
  if (!parsed->Has("json")) *ctx.err << "created a new identity (keep this file secret)\n";
  PrintIdentity(id, where->path, parsed->Has("json"), *ctx.out);
  return kExitOk;
}

int IdShow(const std::vector<std::string>& args, const Context& ctx) {
  int code = kExitOk;
  std::optional<ParsedArgs> parsed = ParseOrExit(args, {{"identity"}, {"json"}}, ctx, &code);
  if (!parsed) return code;
  std::string path;
  absl::StatusOr<Identity> id = LoadIdentity(*parsed, ctx, &path);
  if (!id.ok()) return FileError(ctx, id.status());
  PrintIdentity(*id, path, parsed->Has("json"), *ctx.out);
  return kExitOk;
}

int IdCert(const std::vector<std::string>& args, const Context& ctx) {
  int code = kExitOk;
  std::optional<ParsedArgs> parsed =
      ParseOrExit(args, {{"identity", "out-cert", "out-key"}, {}}, ctx, &code);
  if (!parsed) return code;
  std::optional<std::string> cert_path = parsed->Value("out-cert");
  std::optional<std::string> key_path = parsed->Value("out-key");
  if (cert_path.has_value() != key_path.has_value()) {
    return UsageError(ctx, "--out-cert and --out-key go together");
  }
  if (cert_path.has_value() && *cert_path == *key_path) {
    return UsageError(ctx, "--out-cert and --out-key must name different files");
  }
  std::string path;
  absl::StatusOr<Identity> id = LoadIdentity(*parsed, ctx, &path);
  if (!id.ok()) return FileError(ctx, id.status());
  absl::StatusOr<common::PemKeyPair> pem = common::MakeClientCertificate(*id);
  if (!pem.ok()) {
    *ctx.err << "unibus: cannot make a client certificate: " << pem.status().message() << "\n";
    return kExitOther;
  }
  int result = kExitOk;
  if (!cert_path.has_value()) {
    *ctx.out << pem->cert_pem << pem->key_pem;
  } else if (absl::Status written = WritePemFiles(*pem, *cert_path, *key_path); !written.ok()) {
    result = FileError(ctx, written);
  } else {
    *ctx.err << "wrote certificate " << *cert_path << " and key " << *key_path << " (0600)\n";
  }
  sodium_memzero(pem->key_pem.data(), pem->key_pem.size());
  return result;
}

}  // namespace

void PrintIdUsage(std::ostream& out) {
  out << "usage:\n"
         "  unibus id new  [--out PATH] [--json]\n"
         "      create a new identity file (mode 0600); never overwrites one\n"
         "  unibus id show [--identity PATH] [--json]\n"
         "      print the user id (sign_pub), kex_pub and NATS nkey (U...)\n"
         "  unibus id cert [--identity PATH] [--out-cert FILE --out-key FILE]\n"
         "      export the TLS client certificate and key as PEM (to stdout without the flags),\n"
         "      e.g. for: grpcurl -cert FILE -key FILE -cacert ca.pem HOST:PORT list\n"
         "\n"
         "The identity file is --identity (--out for new), else $UNIBUS_IDENTITY,\n"
         "else ~/.config/unibus/identity.\n";
}

int RunIdCommand(const std::vector<std::string>& args, const Context& ctx) {
  if (args.empty()) return UsageError(ctx, "missing subcommand");
  const std::string& sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (sub == "new") return IdNew(rest, ctx);
  if (sub == "show") return IdShow(rest, ctx);
  if (sub == "cert") return IdCert(rest, ctx);
  if (sub == "help" || sub == "-h" || sub == "--help") {
    PrintIdUsage(*ctx.out);
    return kExitOk;
  }
  return UsageError(ctx, absl::StrCat("unknown subcommand \"", sub, "\""));
}

}  // namespace unibus::client::cli
