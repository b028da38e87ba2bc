#include "client/cli/chat_command.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "client/cli/atomic_file.h"
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

constexpr absl::string_view kChatHelp =
    "type a message and press Enter; /reply N TEXT, /react N EMOJI, /file PATH, /save N, "
    "/help, /quit";

// One chat session: the subscription's thread and the input loop print through it, one at a
// time.
class Chat {
 public:
  // Files that /save downloads go to `files_dir`.
  Chat(const Context& ctx, Output& out, Connection& c, std::string room_id, std::string files_dir)
      : ctx_(WithoutProgress(ctx)),
        out_(out),
        c_(c),
        room_id_(std::move(room_id)),
        files_dir_(std::move(files_dir)),
        transcript_(MemberHandles(*c.client, room_id_), {/*numbered=*/true}) {}

  void Show(const Message& m) {
    absl::MutexLock lock(&print_mu_);
    Transcript::Shown shown = transcript_.Add(m);
    if (out_.json()) {
      out_.Json(shown.json);
    } else {
      out_.Line(shown.text);
    }
  }

  void Warn(absl::string_view text) {
    absl::MutexLock lock(&print_mu_);
    out_.Warn(text);
  }

  // Handles one input line; false when the chat should end.
  bool Handle(absl::string_view line) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) return true;
    if (!absl::StartsWith(line, "/")) return Send(Text(line));
    std::vector<std::string> words = absl::StrSplit(line, absl::MaxSplits(' ', 2),
                                                    absl::SkipWhitespace());
    const std::string& command = words[0];
    if (command == "/quit" || command == "/exit") return false;
    if (command == "/help") {
      Note(kChatHelp);
      return true;
    }
    // The rest of the line, so that a path may contain spaces.
    const absl::string_view rest = absl::StripLeadingAsciiWhitespace(line.substr(command.size()));
    if (command == "/file") return SendFile(rest);
    if (command == "/save") return SaveFile(rest);
    if (command != "/reply" && command != "/react") {
      Note(absl::StrCat("unknown command ", command, "; ", kChatHelp));
      return true;
    }
    int n = 0;
    std::optional<FrameId> target;
    if (words.size() == 3 && absl::SimpleAtoi(words[1], &n)) target = transcript_.Find(n);
    if (words.size() != 3 || n <= 0) {
      Note(absl::StrCat("usage: ", command, " N ", command == "/reply" ? "TEXT" : "EMOJI"));
      return true;
    }
    if (!target) {
      Note(absl::StrCat("no message #", n, " yet"));
      return true;
    }
    OutgoingMessage m;
    m.reply_to = *target;
    if (command == "/reply") {
      m.type = v1::FRAME_TYPE_REPLY;
      m.thread = *target;
      m.body.set_text(words[2]);
    } else {
      m.type = v1::FRAME_TYPE_REACTION;
      m.body.set_reaction(words[2]);
    }
    return Send(m);
  }

  // Feedback on a line typed: a note for people, a {"warning"} object with --json.
  void Note(absl::string_view text) {
    absl::MutexLock lock(&print_mu_);
    if (out_.json()) {
      out_.Warn(text);
    } else {
      out_.Note(text);
    }
  }

  // For people only (nothing with --json).
  void Banner(absl::string_view text) {
    absl::MutexLock lock(&print_mu_);
    out_.Note(text);
  }

 private:
  // Transfers in a chat draw no progress bar: messages may arrive and print meanwhile.
  static Context WithoutProgress(Context ctx) {
    ctx.err_columns = 0;
    return ctx;
  }

  // /file PATH: PATH as a message of its own. Failures are reported and the chat goes on.
  bool SendFile(absl::string_view path) {
    if (path.empty()) {
      Note("usage: /file PATH");
      return true;
    }
    absl::StatusOr<std::string> content = ReadFileToSend(std::string(path), MaxFileBytes());
    if (!content.ok()) {
      Note(content.status().message());
      return true;
    }
    BlobOptions options;
    options.name = std::string(path);  // PutBlob keeps the last component
    absl::StatusOr<v1::BlobRef> ref = c_.client->PutBlob(room_id_, *content, options);
    if (!ref.ok()) {
      Explained e = ExplainBlobError(ref.status(), c_.scope, SafeFileName(path, ""));
      absl::MutexLock lock(&print_mu_);
      out_.Fail(e.exit_code, e.message);
      return true;
    }
    OutgoingMessage m;
    *m.body.mutable_blob() = *std::move(ref);
    return Send(m);
  }

  // /save N: the file of message #N into files_dir_, under a name that replaces nothing.
  bool SaveFile(absl::string_view number) {
    int n = 0;
    if (!absl::SimpleAtoi(number, &n) || n <= 0) {
      Note("usage: /save N");
      return true;
    }
    std::optional<v1::BlobRef> ref = transcript_.FindFile(n);
    if (!ref) {
      Note(absl::StrCat("message #", n, " carries no file"));
      return true;
    }
    const std::string name = SafeFileName(ref->name(), ref->address());
    absl::StatusOr<std::string> content = DownloadBlob(c_, ctx_, out_, room_id_, *ref);
    if (!content.ok()) {
      Note(ExplainBlobError(content.status(), c_.scope, name).message);
      return true;
    }
    absl::StatusOr<std::string> path = SaveInDirectory(files_dir_, *ref, *content);
    if (!path.ok()) {
      Note(path.status().message());
      return true;
    }
    absl::MutexLock lock(&print_mu_);
    if (out_.json()) {
      out_.Json({{"n", n}, {"saved_to", *path}});
    } else {
      out_.Note(absl::StrCat("saved the file of #", n, " to ", *path));
    }
    return true;
  }

  static OutgoingMessage Text(absl::string_view text) {
    OutgoingMessage m;
    m.body.set_text(std::string(text));
    return m;
  }

  // Sends; a failure is reported and the chat goes on.
  bool Send(const OutgoingMessage& m) {
    absl::StatusOr<FrameId> sent = c_.client->Send(room_id_, m);
    if (!sent.ok()) {
      absl::MutexLock lock(&print_mu_);
      c_.Fail(out_, sent.status());
    }
    return true;
  }

  const Context ctx_;
  Output& out_;
  Connection& c_;
  const std::string room_id_;
  const std::string files_dir_;
  Transcript transcript_;
  absl::Mutex print_mu_;
};

}  // namespace

void PrintChatUsage(std::ostream& out) {
  out << "usage:\n"
         "  unibus chat ROOM [--history] [--files-dir DIR]\n"
         "      talk in ROOM (a room id or the name of one of your rooms): messages arrive\n"
         "      numbered (#1, #2, ...); each line you type is sent. In the chat:\n"
         "        /reply N TEXT    reply to message #N\n"
         "        /react N EMOJI   react to message #N\n"
         "        /file PATH       send the file PATH (encrypted here, at most "
      << FormatByteSize(MaxFileBytes())
      << ")\n"
         "        /save N          save the file of message #N in --files-dir (default:\n"
         "                         ./unibus-files; never replacing a file)\n"
         "        /help            these commands\n"
         "        /quit            leave (so do Ctrl-D and Ctrl-C)\n"
         "      It first shows what arrived since you last read ROOM with recv or chat;\n"
         "      --history shows the room's whole history instead.\n"
         "\n"
      << ConnectionFlagsHelp();
}

int RunChatCommand(const std::vector<std::string>& args, const Context& ctx) {
  CommandSpec spec{"chat", WithConnectionFlags({{"files-dir"}, {"history"}}), 1, 1,
                   &PrintChatUsage};
  int code = kExitOk;
  std::optional<ParsedArgs> p = ParseCommand(args, spec, ctx, &code);
  if (!p) return code;
  Output out(ctx, p->Has("json"));
  const std::string files_dir = p->Value("files-dir").value_or(kDefaultFilesDir);
  if (absl::Status made = MakeDirectories(files_dir); !made.ok()) {
    return out.Fail(kExitFile, made.message());
  }
  const bool history = p->Has("history");
  std::optional<Connection> c =
      Connect(*p, ctx, out, history ? StateMode::kNone : StateMode::kPersist, &code);
  if (!c) return code;
  std::optional<std::string> room_id = ResolveRoomOrReport(*c, out, p->positional()[0], &code);
  if (!room_id) return code;
  absl::StatusOr<v1::Room> room = c->client->GetRoom(*room_id);
  if (!room.ok()) return c->Fail(out, room.status());

  Chat chat(ctx, out, *c, *room_id, files_dir);
  SubscribeOptions options;
  options.start = history ? StartAt::kAll : StartAt::kResume;
  options.on_message = [&chat](const Message& m) { chat.Show(m); };
  options.on_error = [&chat](const absl::Status& s) { chat.Warn(s.message()); };
  absl::StatusOr<std::unique_ptr<Subscription>> sub =
      c->client->Subscribe(*room_id, std::move(options));
  if (!sub.ok()) return c->Fail(out, sub.status());
  chat.Banner(absl::StrCat("chat in room \"", room->name(), "\" (", room->room_id(), "): ",
                         kChatHelp));
  std::string line;
  while (ctx.read_line && ctx.read_line(&line) && chat.Handle(line)) {
  }
  sub->reset();  // stops delivery and saves the state
  if (absl::Status flushed = FlushRoom(*c->client, *room_id); !flushed.ok()) {
    return c->Fail(out, flushed);
  }
  return kExitOk;
}

}  // namespace unibus::client::cli
