#include "client/cli/blob_command.h"

#include <sys/stat.h>

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/cli/atomic_file.h"
#include "client/cli/blob_token.h"
#include "client/cli/blob_transfer.h"
#include "client/cli/byte_size.h"
#include "client/cli/command.h"
#include "client/cli/connection.h"
#include "client/cli/exit_code.h"
#include "client/cli/file_name.h"
#include "client/cli/output.h"
#include "client/cli/room_ref.h"

namespace unibus::client::cli {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The parent directory of `path` and its last component ("." for a bare name).
std::pair<std::string, std::string> SplitPath(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

int BlobPut(const std::vector<std::string>& args, const Context& ctx) {
  CommandSpec spec{"blob put", WithConnectionFlags({{"name", "content-type"}, {}}), 2, 2,
                   &PrintBlobUsage};
  int code = kExitOk;
  std::optional<ParsedArgs> p = ParseCommand(args, spec, ctx, &code);
  if (!p) return code;
  Output out(ctx, p->Has("json"));
  std::optional<FileToSend> file =
      LoadFileToSend(p->positional()[1], p->Value("name"), p->Value("content-type"), out, &code);
  if (!file) return code;
  std::optional<Connection> c =
      Connect(*p, ctx, out, StateMode::kNone, &code, Planes::kControlOnly);
  if (!c) return code;
  std::optional<std::string> room_id = ResolveRoomOrReport(*c, out, p->positional()[0], &code);
  if (!room_id) return code;
  std::optional<v1::BlobRef> ref = UploadFile(*c, ctx, out, *room_id, *file, &code);
  if (!ref) return code;
  const std::string token = EncodeBlobToken(*room_id, *ref);
  if (out.json()) {
    out.Json({{"room_id", *room_id}, {"token", token}, {"blob", BlobJson(*ref)}});
  } else {
    out.Note(absl::StrCat("uploaded ", SafeFileName(ref->name(), ref->address()), " (",
                          FormatByteSize(ref->size()),
                          "); the token holds its key: give it only to members of the room"));
    out.Line(token);
  }
  return kExitOk;
}

// Writes `content` where --out says (see blob_command.h); returns the path, "-" for stdout.
absl::StatusOr<std::string> Store(const std::optional<std::string>& target,
                                  const v1::BlobRef& ref, const std::string& content,
                                  const Context& ctx) {
  if (target == "-") {
    ctx.out->write(content.data(), static_cast<std::streamsize>(content.size()));
    ctx.out->flush();
    if (!*ctx.out) return absl::DataLossError("cannot write to standard output");
    return std::string("-");
  }
  if (!target || IsDirectory(*target)) return SaveInDirectory(target.value_or("."), ref, content);
  auto [dir, name] = SplitPath(*target);
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(*target, " names no file"));
  return WriteNewFileAtomically(
      dir, [&name = name](int) { return name; }, content, 0600, /*max_names=*/1);
}

int BlobGet(const std::vector<std::string>& args, const Context& ctx) {
  CommandSpec spec{"blob get", WithConnectionFlags({{"out"}, {}}), 1, 1, &PrintBlobUsage};
  spec.flags.short_flags = {{'o', "out"}};
  int code = kExitOk;
  std::optional<ParsedArgs> p = ParseCommand(args, spec, ctx, &code);
  if (!p) return code;
  Output out(ctx, p->Has("json"));
  absl::StatusOr<v1::BlobLink> link = DecodeBlobToken(p->positional()[0]);
  if (!link.ok()) return UsageError(ctx, "blob get", link.status().message(), &PrintBlobUsage);
  std::optional<std::string> target = p->Value("out");
  if (target && target->empty()) {
    return UsageError(ctx, "blob get", "--out needs a file name (or - for stdout)",
                      &PrintBlobUsage);
  }
  std::optional<Connection> c =
      Connect(*p, ctx, out, StateMode::kNone, &code, Planes::kControlOnly);
  if (!c) return code;
  const v1::BlobRef& ref = link->blob();
  c->scope.room = link->room_id();
  absl::StatusOr<std::string> content = DownloadBlob(*c, ctx, out, link->room_id(), ref);
  const std::string name = SafeFileName(ref.name(), ref.address());
  if (!content.ok()) {
    Explained e = ExplainBlobError(content.status(), c->scope, name);
    return out.Fail(e.exit_code, e.message);
  }
  absl::StatusOr<std::string> path = Store(target, ref, *content, ctx);
  if (!path.ok()) return out.Fail(kExitFile, path.status().message());
  if (*path == "-") return kExitOk;
  if (out.json()) {
    nlohmann::json j = BlobJson(ref);
    j["saved_to"] = *path;
    j["room_id"] = link->room_id();
    out.Json(j);
  } else {
    out.Note(absl::StrCat("downloaded ", name, " (", FormatByteSize(content->size()),
                          "), checked and decrypted"));
    out.Line(*path);
  }
  return kExitOk;
}

}  // namespace

void PrintBlobUsage(std::ostream& out) {
  out << "usage:\n"
         "  unibus blob put ROOM FILE [--name NAME] [--content-type TYPE]\n"
         "      encrypt FILE here under a key of its own and upload it for ROOM (a room id or\n"
         "      the name of one of your rooms) without sending a message; prints a token\n"
         "      (ubblob1:...) that `blob get` takes. (To send a file in a message:\n"
         "      unibus send ROOM --file FILE.)\n"
         "  unibus blob get TOKEN [-o FILE | -o DIR | -o -]\n"
         "      download the file, check that it is exactly what was uploaded, decrypt it, and\n"
         "      save it: by default under its name in the current directory (\"NAME (1).EXT\"\n"
         "      if that is taken; nothing is ever replaced), as FILE (which must not exist), in\n"
         "      DIR, or with - to stdout. Prints where it went. Needs membership of the room.\n"
         "  --name NAME          the file name the token carries (default: FILE's last part)\n"
         "  --content-type TYPE  its media type, e.g. image/png (default: none)\n"
         "  -o, --out FILE|DIR|- where blob get saves (see above)\n"
         "Files up to "
      << FormatByteSize(MaxFileBytes())
      << ".\n"
         "THE TOKEN IS A SECRET: it holds the file's key, so anyone who has it and is a\n"
         "member of the room can read the file. recv --json shows the token of each file\n"
         "sent in a message as \"blob_token\". A token that is not one is exit code 2; a\n"
         "file that fails its integrity check is exit code 8 (nothing is saved).\n"
         "\n"
      << ConnectionFlagsHelp();
}

int RunBlobCommand(const std::vector<std::string>& args, const Context& ctx) {
  return Dispatch("blob", args, {{"put", &BlobPut}, {"get", &BlobGet}}, &PrintBlobUsage, ctx);
}

}  // namespace unibus::client::cli
