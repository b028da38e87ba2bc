#include "client/cli/transcript.h"

#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/blob_token.h"
#include "client/cli/byte_size.h"
#include "client/cli/file_name.h"
#include "client/cli/records.h"
#include "common/crypto/hex.h"

namespace unibus::client::cli {
namespace {

constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr size_t kSnippetBytes = 24;

// At most `max` bytes of `s`, not cutting a UTF-8 sequence, with "..." when shortened.
std::string Shorten(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end) + "...";
}

std::string ShortKey(const std::string& hex) { return hex.substr(0, 8); }

}  // namespace

std::string FormatFrameId(const FrameId& id) { return absl::StrCat(id.sender, ":", id.counter); }

absl::StatusOr<FrameId> ParseFrameId(absl::string_view text) {
  size_t colon = text.find(':');
  FrameId id;
  if (colon == absl::string_view::npos || !common::IsHexOfSize(text.substr(0, colon), 32) ||
      !absl::SimpleAtoi(text.substr(colon + 1), &id.counter)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\" is not a frame id (SENDER:COUNTER: 64 hex characters, ':', a number; "
        "as printed by `unibus send` and in recv --json's \"id\")"));
  }
  id.sender = common::HexNormalize(text.substr(0, colon));
  return id;
}

std::string Sanitize(absl::string_view text, absl::string_view indent) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      absl::StrAppend(&out, "\n", indent);
    } else if (c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7F) {
      out.append(kReplacement.data(), kReplacement.size());
    } else if (c == 0xC2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      out.append(kReplacement.data(), kReplacement.size());  // C1 controls (e.g. U+009B, CSI)
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Transcript::NameLocked(const std::string& sign_pub_hex) {
  auto it = handles_.find(sign_pub_hex);
  if (it == handles_.end()) {
    it = handles_.emplace(sign_pub_hex, lookup_ ? lookup_(sign_pub_hex) : "").first;
  }
  return it->second.empty() ? ShortKey(sign_pub_hex) : Sanitize(it->second, "");
}

std::string Transcript::RefLocked(const FrameId& id) {
  auto it = number_of_.find({id.sender, id.counter});
  if (it == number_of_.end()) return absl::StrCat("an earlier message by ", NameLocked(id.sender));
  if (options_.numbered) return absl::StrCat("#", it->second);
  return absl::StrCat(NameLocked(id.sender), " \"", shown_[it->second - 1].snippet, "\"");
}

std::string Transcript::BodyText(const Message& m) const {
  const v1::FrameBody& b = m.body;
  std::string text = b.text();
  if (!b.data().empty()) {
    absl::StrAppend(&text, text.empty() ? "" : " ", "[", b.data().size(), " bytes",
                    b.content_type().empty() ? "" : " of ", b.content_type(), "]");
  }
  if (b.has_blob()) {
    // The name as it would be saved: no path, no control or direction characters.
    absl::StrAppend(&text, text.empty() ? "" : " ", "[file ",
                    SafeFileName(b.blob().name(), b.blob().address()), ", ",
                    FormatByteSize(b.blob().size()), "]");
  }
  return text;
}

Transcript::Shown Transcript::Add(const Message& m, absl::Time now) {
  absl::MutexLock lock(&mu_);
  Shown shown;
  shown.n = static_cast<int>(shown_.size()) + 1;
  const std::string name = NameLocked(m.id.sender);
  const std::string body = BodyText(m);
  const std::string indent = options_.numbered ? "      " : "    ";
  bool today = absl::ToCivilDay(m.sent_at, options_.zone) == absl::ToCivilDay(now, options_.zone);
  std::string line = absl::StrCat(
      options_.numbered ? absl::StrCat("#", shown.n, " ") : "", "[",
      absl::FormatTime(today ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", m.sent_at, options_.zone), "] ");
  std::string target = m.reply_to ? RefLocked(*m.reply_to) : "an unknown message";
  switch (m.type) {
    case v1::FRAME_TYPE_REPLY:
      absl::StrAppend(&line, name, " (reply to ", target, "): ", Sanitize(body, indent));
      break;
    case v1::FRAME_TYPE_REACTION:
      absl::StrAppend(&line, name, " reacted ", Sanitize(m.body.reaction(), ""), " to ", target);
      break;
    case v1::FRAME_TYPE_EDIT:
      absl::StrAppend(&line, name, " edited ", target, ": ", Sanitize(body, indent));
      break;
    case v1::FRAME_TYPE_SYSTEM:
      absl::StrAppend(&line, "* ", name, ": ", Sanitize(body, indent));
      break;
    default:
      absl::StrAppend(&line, name, ": ", Sanitize(body, indent));
  }
  shown.text = std::move(line);

  nlohmann::json& j = shown.json;
  j["n"] = shown.n;
  j["room_id"] = m.room_id;
  j["id"] = FormatFrameId(m.id);
  j["sender"] = m.id.sender;
  const std::string& handle = handles_[m.id.sender];
  j["handle"] = handle.empty() ? nlohmann::json(nullptr) : nlohmann::json(handle);
  j["counter"] = m.id.counter;
  j["type"] = FrameTypeName(m.type);
  j["text"] = m.body.text();
  if (!m.body.reaction().empty()) j["reaction"] = m.body.reaction();
  if (m.reply_to) j["reply_to"] = FormatFrameId(*m.reply_to);
  if (m.thread) j["thread"] = FormatFrameId(*m.thread);
  j["sent_at"] = absl::FormatTime(absl::RFC3339_full, m.sent_at, absl::UTCTimeZone());
  j["sent_at_ms"] = absl::ToUnixMillis(m.sent_at);
  j["epoch"] = m.epoch;
  j["seq"] = m.stream_seq;
  j["signed"] = m.signed_frame;
  if (!m.body.data().empty()) {
    j["data_base64"] = absl::Base64Escape(m.body.data());
    j["content_type"] = m.body.content_type();
  }
  if (m.body.has_blob()) {
    const v1::BlobRef& blob = m.body.blob();
    j["blob"] = {{"address", blob.address()}, {"size", blob.size()}, {"name", blob.name()},
                 {"content_type", blob.content_type()}};
    // For `unibus blob get` later; it holds the key, like the decrypted frame it comes from.
    j["blob_token"] = EncodeBlobToken(m.room_id, blob);
  }

  shown_.push_back(Entry{m.id, Shorten(Sanitize(body, " "), kSnippetBytes),
                         m.body.has_blob() ? std::make_optional(m.body.blob()) : std::nullopt});
  number_of_[{m.id.sender, m.id.counter}] = shown.n;
  return shown;
}

std::optional<FrameId> Transcript::Find(int n) const {
  absl::MutexLock lock(&mu_);
  if (n < 1 || n > static_cast<int>(shown_.size())) return std::nullopt;
  return shown_[n - 1].id;
}

std::optional<v1::BlobRef> Transcript::FindFile(int n) const {
  absl::MutexLock lock(&mu_);
  if (n < 1 || n > static_cast<int>(shown_.size())) return std::nullopt;
  return shown_[n - 1].file;
}

Transcript::HandleLookup MemberHandles(Client& client, const std::string& room_id) {
  struct Book {
    bool loaded = false;
    std::map<std::string, std::string> handles;
  };
  auto book = std::make_shared<Book>();
  return [&client, room_id, book](const std::string& sign_pub_hex) -> std::string {
    if (!book->loaded) {
      book->loaded = true;
      absl::StatusOr<std::vector<v1::Member>> members = client.ListMembers(room_id);
      if (members.ok()) {
        for (const v1::Member& m : *members) book->handles[m.sign_pub()] = m.handle();
      }
    }
    if (auto it = book->handles.find(sign_pub_hex); it != book->handles.end()) return it->second;
    absl::StatusOr<v1::User> user = client.GetUser(sign_pub_hex);
    return user.ok() ? user->handle() : "";
  };
}

}  // namespace unibus::client::cli
