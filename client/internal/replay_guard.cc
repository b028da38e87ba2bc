#include "client/internal/replay_guard.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/hex.h"

namespace unibus::client::internal {

bool ReplayGuard::Seen(absl::string_view sender, uint64_t counter) const {
  auto it = senders_.find(std::string(sender));
  if (it == senders_.end()) return counter == 0;
  return counter <= it->second.floor || it->second.recent.count(counter) > 0;
}

bool ReplayGuard::Accept(absl::string_view sender, uint64_t counter) {
  if (Seen(sender, counter)) return false;
  Sender& s = senders_[std::string(sender)];
  s.recent.insert(counter);
  while (s.recent.size() > window_) {
    s.floor = *s.recent.begin();
    s.recent.erase(s.recent.begin());
  }
  return true;
}

std::string ReplayGuard::Serialize() const {
  std::string out;
  for (const auto& [sender, s] : senders_) {
    absl::StrAppend(&out, common::HexEncode(sender), " ", s.floor);
    for (uint64_t c : s.recent) absl::StrAppend(&out, " ", c);
    out.push_back('\n');
  }
  return out;
}

absl::StatusOr<ReplayGuard> ReplayGuard::Parse(absl::string_view text, size_t window) {
  ReplayGuard guard(window);
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    std::optional<std::string> sender =
        fields.size() >= 2 ? common::HexDecode(fields[0]) : std::nullopt;
    Sender s;
    if (!sender || sender->size() != 32 || !absl::SimpleAtoi(fields[1], &s.floor)) {
      return absl::InvalidArgumentError("corrupt replay state");
    }
    for (size_t i = 2; i < fields.size(); ++i) {
      uint64_t c = 0;
      if (!absl::SimpleAtoi(fields[i], &c)) return absl::InvalidArgumentError("corrupt replay state");
      s.recent.insert(c);
    }
    guard.senders_[*sender] = std::move(s);
  }
  return guard;
}

}  // namespace unibus::client::internal
