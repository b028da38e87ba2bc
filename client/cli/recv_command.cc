#include "client/cli/recv_command.h"

#include <deque>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/cli/atomic_file.h"
#include "client/cli/blob_transfer.h"
#include "client/cli/command.h"
#include "client/cli/connection.h"
#include "client/cli/exit_code.h"
#include "client/cli/file_name.h"
#include "client/cli/output.h"
#include "client/cli/room_ref.h"
#include "client/cli/transcript.h"

namespace unibus::client::cli {
namespace {

// What the subscription hands to the command thread, which alone prints. With a count, the
// subscription itself stops after that many (SubscribeOptions::max_messages), so the next `recv`
// resumes right after the last one printed.
class Inbox {
 public:
  explicit Inbox(uint64_t count) : count_(count) {}

  void OnMessage(const Message& m) {
    absl::MutexLock lock(&mu_);
    if (count_ != 0 && accepted_ >= count_) return;
    messages_.push_back(m);
    ++accepted_;
  }
  void OnError(const absl::Status& s) {
    absl::MutexLock lock(&mu_);
    if (count_ == 0 || accepted_ < count_) errors_.push_back(s);
  }
  // Waits up to `timeout` for something to print; moves it out.
  void Take(absl::Duration timeout, std::deque<Message>* messages,
            std::deque<absl::Status>* errors) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !messages_.empty() || !errors_.empty();
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    messages->swap(messages_);
    errors->swap(errors_);
  }
 private:
  const uint64_t count_;
  absl::Mutex mu_;
  std::deque<Message> messages_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::Status> errors_ ABSL_GUARDED_BY(mu_);
  uint64_t accepted_ ABSL_GUARDED_BY(mu_) = 0;
};

// What recv does with the files that frames announce: downloads each into a directory (unless
// --no-files), says where it went or why not on the message's line, and keeps the exit code of
// the failures. A failure never ends recv: the next frames still matter.
class FileSaver {
 public:
  // `dir` nullopt: --no-files.
  FileSaver(Connection& c, const Context& ctx, Output& out, std::optional<std::string> dir)
      : c_(c), ctx_(ctx), out_(out), dir_(std::move(dir)) {}

  // Downloads the file `m` announces, if any, and adds the outcome to `shown`: text
  // " saved to PATH" or " not saved: WHY"; JSON "saved_to" or "download_error" and
  // "download_exit_code".
  void Handle(const Message& m, Transcript::Shown* shown) {
    if (!m.body.has_blob() || !dir_) return;
    const v1::BlobRef& ref = m.body.blob();
    absl::StatusOr<std::string> content = DownloadBlob(c_, ctx_, out_, m.room_id, ref);
    absl::StatusOr<std::string> path =
        content.ok() ? SaveInDirectory(*dir_, ref, *content) : content.status();
    if (path.ok()) {
      absl::StrAppend(&shown->text, " saved to ", *path);
      shown->json["saved_to"] = *path;
      return;
    }
    const std::string name = SafeFileName(ref.name(), ref.address());
    Explained e = content.ok() ? Explained{kExitFile, std::string(path.status().message())}
                               : ExplainBlobError(content.status(), c_.scope, name);
    absl::StrAppend(&shown->text, " not saved: ", e.message);
    shown->json["download_error"] = e.message;
    shown->json["download_exit_code"] = e.exit_code;
    out_.Warn(absl::StrCat("message ", FormatFrameId(m.id), ": ", e.message));
    // The first failure decides, except that a failed integrity check outranks everything.
    if (exit_code_ == kExitOk || e.exit_code == kExitIntegrity) exit_code_ = e.exit_code;
  }

  // kExitOk, or the code of the failures (see Handle).
  int exit_code() const { return exit_code_; }

 private:
  Connection& c_;
  const Context& ctx_;
  Output& out_;
  const std::optional<std::string> dir_;
  int exit_code_ = kExitOk;
};

struct Limits {
  uint64_t count = 0;  // 0: no limit
  std::optional<absl::Duration> timeout;
};

absl::StatusOr<Limits> ParseLimits(const ParsedArgs& p) {
  Limits limits;
  if (std::optional<std::string> count = p.Value("count")) {
    if (!absl::SimpleAtoi(*count, &limits.count) || limits.count == 0) {
      return absl::InvalidArgumentError("--count takes a positive whole number");
    }
  }
  if (std::optional<std::string> timeout = p.Value("timeout")) {
    double seconds = 0;
    if (!absl::SimpleAtod(*timeout, &seconds) || !(seconds > 0) || seconds > 1e9) {
      return absl::InvalidArgumentError("--timeout takes a positive number of seconds");
    }
    limits.timeout = absl::Seconds(seconds);
  }
  return limits;
}

// Prints messages until the count, the deadline or an interrupt; returns the exit code.
int Receive(const Context& ctx, Output& out, Inbox& inbox, Transcript& transcript,
            FileSaver& files, const Limits& limits, absl::Time deadline) {
  uint64_t printed = 0;
  while (true) {
    std::deque<Message> messages;
    std::deque<absl::Status> errors;
    absl::Duration left = deadline - absl::Now();
    inbox.Take(std::max(absl::ZeroDuration(), std::min(left, absl::Milliseconds(100))),
               &messages, &errors);
    for (const absl::Status& e : errors) out.Warn(e.message());
    for (const Message& m : messages) {
      Transcript::Shown shown = transcript.Add(m);
      files.Handle(m, &shown);
      if (out.json()) {
        out.Json(shown.json);
      } else {
        out.Line(shown.text);
      }
      ++printed;
    }
    if (limits.count != 0 && printed >= limits.count) return kExitOk;
    if (ctx.interrupted && ctx.interrupted()) {
      return limits.count == 0 ? kExitOk : kExitInterrupted;
    }
    if (absl::Now() >= deadline) {
      if (limits.count == 0) return kExitOk;
      return out.Fail(kExitTimeout,
                      absl::StrCat("timed out after ", absl::FormatDuration(*limits.timeout),
                                   ": got ", printed, " of ", limits.count, " messages"));
    }
  }
}

}  // namespace

void PrintRecvUsage(std::ostream& out) {
  out << "usage:\n"
         "  unibus recv ROOM [--count N] [--timeout SECONDS] [--history]\n"
         "                   [--files-dir DIR | --no-files]\n"
         "      print ROOM's messages as they arrive (ROOM: a room id or the name of one of\n"
         "      your rooms), as \"[time] sender: text\"; replies and reactions name the message\n"
         "      they answer. Resumes after the last message recv/chat showed this identity in\n"
         "      ROOM (state in --state-dir; the first time: new messages only).\n"
         "  --history        everything the room's history holds, from the start (the saved\n"
         "                   state is neither used nor changed)\n"
         "  --count N        stop after N messages\n"
         "  --timeout SECS   stop after SECS seconds; with --count, fewer than N messages by\n"
         "                   then is exit code 4\n"
         "  --files-dir DIR  where files that messages carry are saved (default: unibus-files\n"
         "                   in the current directory, created if needed, so peers' files never\n"
         "                   land among yours), as \"[file NAME, SIZE] saved to DIR/NAME\"; a name\n"
         "                   that is taken gets a number (\"NAME (1).EXT\"), nothing is\n"
         "                   replaced, and files are readable by you only (0600)\n"
         "  --no-files       do not download files (--json still shows each \"blob_token\"\n"
         "                   for `unibus blob get`)\n"
         "  Ctrl-C stops (exit 0; 130 with --count).\n"
         "  A file that cannot be saved is reported on its line and recv goes on; at the end\n"
         "  it exits 8 if any file failed its integrity check, else with the code of the\n"
         "  first such failure (unless recv itself ended with 4 or 130).\n"
         "\n"
      << ConnectionFlagsHelp();
}

int RunRecvCommand(const std::vector<std::string>& args, const Context& ctx) {
  const absl::Time start = absl::Now();
  CommandSpec spec{
      "recv",
      WithConnectionFlags({{"count", "timeout", "files-dir"}, {"history", "no-files"}}), 1, 1,
      &PrintRecvUsage};
  int code = kExitOk;
  std::optional<ParsedArgs> p = ParseCommand(args, spec, ctx, &code);
  if (!p) return code;
  Output out(ctx, p->Has("json"));
  absl::StatusOr<Limits> limits = ParseLimits(*p);
  if (!limits.ok()) return UsageError(ctx, "recv", limits.status().message(), &PrintRecvUsage);
  std::optional<std::string> files_dir;
  if (!p->Has("no-files")) {
    files_dir = p->Value("files-dir").value_or(kDefaultFilesDir);
    if (absl::Status made = MakeDirectories(*files_dir); !made.ok()) {
      return out.Fail(kExitFile, made.message());
    }
  } else if (p->Value("files-dir")) {
    return UsageError(ctx, "recv", "--files-dir and --no-files exclude each other",
                      &PrintRecvUsage);
  }
  const bool history = p->Has("history");
  std::optional<Connection> c =
      Connect(*p, ctx, out, history ? StateMode::kNone : StateMode::kPersist, &code);
  if (!c) return code;
  std::optional<std::string> room_id = ResolveRoomOrReport(*c, out, p->positional()[0], &code);
  if (!room_id) return code;

  Transcript transcript(MemberHandles(*c->client, *room_id), {});
  Inbox inbox(limits->count);
  SubscribeOptions options;
  options.start = history ? StartAt::kAll : StartAt::kResume;
  options.max_messages = limits->count;
  options.on_message = [&inbox](const Message& m) { inbox.OnMessage(m); };
  options.on_error = [&inbox](const absl::Status& s) { inbox.OnError(s); };
  absl::StatusOr<std::unique_ptr<Subscription>> sub =
      c->client->Subscribe(*room_id, std::move(options));
  if (!sub.ok()) return c->Fail(out, sub.status());
  out.Note(absl::StrCat("listening on room ", p->positional()[0],
                        history ? " from the start of its history" : "", " (Ctrl-C to stop)"));
  absl::Time deadline = limits->timeout ? start + *limits->timeout : absl::InfiniteFuture();
  FileSaver files(*c, ctx, out, files_dir);
  code = Receive(ctx, out, inbox, transcript, files, *limits, deadline);
  sub->reset();  // stops delivery and saves the state
  if (files.exit_code() == kExitIntegrity || code == kExitOk) return files.exit_code();
  return code;
}

}  // namespace unibus::client::cli
