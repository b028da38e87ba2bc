// How delivered messages look in `unibus recv` and `unibus chat`, and frame ids on the command
// line.
//
// A frame id is written SENDER:COUNTER: the sender's sign_pub (64 hex) and its counter, e.g. as
// printed by `unibus send` and in the "id" of --json output; `--reply-to` and `--to` take it.
//
// Text lines, one per message (continuation lines of a multi-line text are indented):
//   [14:03:12] alice: hello bob
//   [14:03:15] bob (reply to alice "hello bob"): hi alice
//   [14:03:16] bob reacted +1 to alice "hello bob"
// Numbered (chat), replies and reactions refer to earlier messages by number:
//   #1 [14:03:12] alice: hello bob
//   #2 [14:03:15] bob (reply to #1): hi alice
// Senders are shown by handle, else by the first 8 hex characters of their key. Control
// characters in texts are replaced, so a peer cannot send terminal escape sequences.
//
// JSON, one object per message: {"n", "room_id", "id", "sender", "handle", "counter", "type",
// "text", "reaction", "reply_to", "thread", "sent_at" (RFC 3339, UTC), "sent_at_ms", "epoch",
// "seq", "signed"}, plus "data_base64"/"content_type" and "blob" ({"address", "size", "name",
// "content_type"}, never the key) with "blob_token" (blob_token.h: it holds the key) when the
// frame carries them ("handle" is null when unknown; "reaction", "reply_to", "thread" only when
// set).
//
// A file shows as "[file NAME, SIZE]" with NAME as SafeFileName makes it (file_name.h).
//
// Thread safety: Transcript is thread-safe.
#ifndef UNIBUS_CLIENT_CLI_TRANSCRIPT_H_
#define UNIBUS_CLIENT_CLI_TRANSCRIPT_H_

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/message.h"

namespace unibus::client::cli {

std::string FormatFrameId(const FrameId& id);
// INVALID_ARGUMENT unless `text` is 64 hex characters, ':' and a decimal counter.
absl::StatusOr<FrameId> ParseFrameId(absl::string_view text);

// `text` with control characters (other than newline) replaced by U+FFFD and every newline
// followed by `indent`.
std::string Sanitize(absl::string_view text, absl::string_view indent);

class Transcript {
 public:
  // The handle of a sender (hex sign_pub), or "" if unknown. May block (a control-plane call);
  // called with the transcript's lock held, at most once per sender.
  using HandleLookup = std::function<std::string(const std::string& sign_pub_hex)>;

  struct Options {
    bool numbered = false;
    absl::TimeZone zone = absl::LocalTimeZone();
  };

  Transcript(HandleLookup lookup, Options options)
      : lookup_(std::move(lookup)), options_(options) {}

  struct Shown {
    int n = 0;             // 1, 2, … in the order shown
    std::string text;      // one line for people (newlines inside are indented), no final '\n'
    nlohmann::json json;   // the JSON object
  };
  // Adds `m` as the next shown message.
  Shown Add(const Message& m, absl::Time now = absl::Now());

  // The frame id of shown message number `n`, if there is one.
  std::optional<FrameId> Find(int n) const;
  // The file that shown message number `n` carries, if there is one (with its key).
  std::optional<v1::BlobRef> FindFile(int n) const;

 private:
  std::string NameLocked(const std::string& sign_pub_hex) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string RefLocked(const FrameId& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string BodyText(const Message& m) const;

  const HandleLookup lookup_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> handles_ ABSL_GUARDED_BY(mu_);  // sign_pub → handle or ""
  struct Entry {
    FrameId id;
    std::string snippet;
    std::optional<v1::BlobRef> file;
  };
  std::vector<Entry> shown_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, uint64_t>, int> number_of_ ABSL_GUARDED_BY(mu_);
};

// A HandleLookup from the room's member list (one ListMembers call, then GetUser for senders
// who are no longer members). `client` must outlive the lookup.
Transcript::HandleLookup MemberHandles(Client& client, const std::string& room_id);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_TRANSCRIPT_H_
