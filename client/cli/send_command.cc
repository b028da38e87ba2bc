#include "client/cli/send_command.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "client/cli/blob_transfer.h"
#include "client/cli/byte_size.h"
#include "client/cli/command.h"
#include "client/cli/connection.h"
#include "client/cli/exit_code.h"
#include "client/cli/file_name.h"
#include "client/cli/output.h"
#include "client/cli/room_ref.h"
#include "client/cli/transcript.h"

namespace unibus::client::cli {
namespace {

std::string ReadAll(const Context& ctx) {
  std::string text, line;
  bool first = true;
  while (ctx.read_line && ctx.read_line(&line)) {
    absl::StrAppend(&text, first ? "" : "\n", line);
    first = false;
  }
  return text;
}

// The message the flags describe, or a usage error.
absl::StatusOr<OutgoingMessage> BuildMessage(const ParsedArgs& p, const Context& ctx) {
  OutgoingMessage m;
  std::optional<std::string> react = p.Value("react");
  std::optional<std::string> to = p.Value("to");
  std::optional<std::string> reply_to = p.Value("reply-to");
  const bool has_text = p.positional().size() == 2;
  const bool has_file = p.Value("file").has_value();
  if (!has_file && (p.Value("name") || p.Value("content-type"))) {
    return absl::InvalidArgumentError("--name and --content-type go with --file");
  }
  if (has_file && p.Value("file")->empty()) {
    return absl::InvalidArgumentError("--file needs a path");
  }
  if (react) {
    if (has_file) return absl::InvalidArgumentError("a reaction carries no --file");
    if (!to) return absl::InvalidArgumentError("--react needs --to SENDER:COUNTER");
    if (has_text || reply_to) {
      return absl::InvalidArgumentError("a reaction has no TEXT and no --reply-to");
    }
    if (react->empty()) return absl::InvalidArgumentError("--react needs an emoji or a word");
    absl::StatusOr<FrameId> target = ParseFrameId(*to);
    if (!target.ok()) return target.status();
    m.type = v1::FRAME_TYPE_REACTION;
    m.body.set_reaction(*react);
    m.reply_to = *target;
    return m;
  }
  if (to) return absl::InvalidArgumentError("--to goes with --react (for a reply: --reply-to)");
  if (!has_text && !has_file) return absl::InvalidArgumentError("missing TEXT (or --file PATH)");
  if (has_text) {
    std::string text = p.positional()[1] == "-" ? ReadAll(ctx) : p.positional()[1];
    if (text.empty()) return absl::InvalidArgumentError("nothing to send: TEXT is empty");
    m.body.set_text(text);
  }
  if (reply_to) {
    absl::StatusOr<FrameId> target = ParseFrameId(*reply_to);
    if (!target.ok()) return target.status();
    m.type = v1::FRAME_TYPE_REPLY;
    m.reply_to = *target;
    m.thread = *target;
  }
  return m;
}

}  // namespace

void PrintSendUsage(std::ostream& out) {
  out << "usage:\n"
         "  unibus send ROOM TEXT [--reply-to SENDER:COUNTER]\n"
         "  unibus send ROOM [TEXT] --file PATH [--name NAME] [--content-type TYPE]\n"
         "                  [--reply-to SENDER:COUNTER]\n"
         "  unibus send ROOM --react EMOJI --to SENDER:COUNTER\n"
         "      send one end-to-end encrypted message, reply or reaction to ROOM (a room id or\n"
         "      the name of one of your rooms) and print its frame id SENDER:COUNTER, which\n"
         "      --reply-to and --to take (recv --json shows it as \"id\"). TEXT - reads stdin.\n"
         "  --file PATH          attach a file (at most "
      << FormatByteSize(MaxFileBytes())
      << "): it is encrypted here under a\n"
         "                       key of its own, uploaded, and the message carries that key;\n"
         "                       members see it in recv/chat, and recv saves it\n"
         "  --name NAME          the file name members see (default: PATH's last component)\n"
         "  --content-type TYPE  its media type, e.g. application/pdf (default: none)\n"
         "\n"
      << ConnectionFlagsHelp();
}

int RunSendCommand(const std::vector<std::string>& args, const Context& ctx) {
  CommandSpec spec{
      "send",
      WithConnectionFlags({{"reply-to", "react", "to", "file", "name", "content-type"}, {}}), 1,
      2, &PrintSendUsage};
  int code = kExitOk;
  std::optional<ParsedArgs> p = ParseCommand(args, spec, ctx, &code);
  if (!p) return code;
  Output out(ctx, p->Has("json"));
  absl::StatusOr<OutgoingMessage> message = BuildMessage(*p, ctx);
  if (!message.ok()) return UsageError(ctx, "send", message.status().message(), &PrintSendUsage);
  std::optional<FileToSend> file;
  if (std::optional<std::string> path = p->Value("file")) {
    file = LoadFileToSend(*path, p->Value("name"), p->Value("content-type"), out, &code);
    if (!file) return code;
  }
  std::optional<Connection> c = Connect(*p, ctx, out, StateMode::kNone, &code);
  if (!c) return code;
  std::optional<std::string> room_id = ResolveRoomOrReport(*c, out, p->positional()[0], &code);
  if (!room_id) return code;
  if (file) {
    std::optional<v1::BlobRef> ref = UploadFile(*c, ctx, out, *room_id, *file, &code);
    if (!ref) return code;
    *message->body.mutable_blob() = *std::move(ref);
  }
  absl::StatusOr<FrameId> sent = c->client->Send(*room_id, *message);
  if (!sent.ok()) return c->Fail(out, sent.status());
  if (absl::Status flushed = FlushRoom(*c->client, *room_id); !flushed.ok()) {
    return c->Fail(out, flushed);
  }
  if (out.json()) {
    nlohmann::json j = {{"room_id", *room_id},
                        {"id", FormatFrameId(*sent)},
                        {"sender", sent->sender},
                        {"counter", sent->counter}};
    if (file) j["blob"] = BlobJson(message->body.blob());
    out.Json(j);
  } else {
    if (file) {
      const v1::BlobRef& ref = message->body.blob();
      out.Note(absl::StrCat("sent file ", SafeFileName(ref.name(), ref.address()), " (",
                            FormatByteSize(ref.size()), ")"));
    }
    out.Line(FormatFrameId(*sent));
  }
  return kExitOk;
}

}  // namespace unibus::client::cli
