#include "broker_auth/config/config_blocks.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace unibus::broker_auth::config {
namespace {

class Scanner {
 public:
  explicit Scanner(absl::string_view text) : t_(text) {}

  bool Done() {
    SkipFill();
    return pos_ >= t_.size();
  }

  ConfEntry Next() {
    ConfEntry e;
    // nats-server's keys are case-insensitive ("Cluster" is "cluster").
    e.key = absl::AsciiStrToLower(ReadKey());
    SkipSpace();
    if (pos_ < t_.size() && (t_[pos_] == ':' || t_[pos_] == '=')) {
      ++pos_;
      SkipSpace();
    }
    if (pos_ >= t_.size()) return e;
    char c = t_[pos_];
    if (c == '{' || c == '[') {
      e.kind = c == '{' ? ConfEntry::Kind::kBlock : ConfEntry::Kind::kList;
      size_t start = ++pos_;
      SkipToClose();
      e.value = std::string(t_.substr(start, pos_ - start));
      if (pos_ < t_.size()) ++pos_;  // the closing bracket
    } else if (c == '"' || c == '\'') {
      e.quoted = true;
      e.value = ReadQuoted();
    } else {
      size_t start = pos_;
      while (pos_ < t_.size() && absl::string_view("\n,;}]#").find(t_[pos_]) == absl::string_view::npos) ++pos_;
      e.value = std::string(absl::StripAsciiWhitespace(t_.substr(start, pos_ - start)));
    }
    return e;
  }

 private:
  void SkipSpace() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\r' ||
                                t_[pos_] == '\n')) {
      ++pos_;
    }
  }

  bool AtComment() const {
    return t_[pos_] == '#' || (t_[pos_] == '/' && pos_ + 1 < t_.size() && t_[pos_ + 1] == '/');
  }

  // Whitespace, separators and comments between entries.
  void SkipFill() {
    while (pos_ < t_.size()) {
      char c = t_[pos_];
      if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == ',' || c == ';') {
        ++pos_;
      } else if (AtComment()) {
        while (pos_ < t_.size() && t_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  std::string ReadQuoted() {
    char quote = t_[pos_++];
    std::string out;
    while (pos_ < t_.size() && t_[pos_] != quote) {
      if (t_[pos_] == '\\' && pos_ + 1 < t_.size()) ++pos_;
      out.push_back(t_[pos_++]);
    }
    if (pos_ < t_.size()) ++pos_;
    return out;
  }

  std::string ReadKey() {
    if (t_[pos_] == '"' || t_[pos_] == '\'') return ReadQuoted();
    size_t start = pos_;
    while (pos_ < t_.size() && !absl::ascii_isspace(static_cast<unsigned char>(t_[pos_])) &&
           absl::string_view(":={[").find(t_[pos_]) == absl::string_view::npos) {
      ++pos_;
    }
    if (pos_ == start) ++pos_;  // a stray character: skip it
    return std::string(t_.substr(start, pos_ - start));
  }

  // Moves pos_ to the bracket that closes the one just opened.
  void SkipToClose() {
    int depth = 1;
    while (pos_ < t_.size()) {
      char c = t_[pos_];
      if (c == '"' || c == '\'') {
        ReadQuoted();
        continue;
      }
      if (AtComment()) {
        while (pos_ < t_.size() && t_[pos_] != '\n') ++pos_;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if ((c == '}' || c == ']') && --depth == 0) return;
      ++pos_;
    }
  }

  absl::string_view t_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<ConfEntry> Entries(absl::string_view body) {
  std::vector<ConfEntry> out;
  Scanner scanner(body);
  while (!scanner.Done()) out.push_back(scanner.Next());
  return out;
}

absl::Status CheckUnambiguous(absl::string_view body) {
  absl::flat_hash_set<std::string> seen;
  for (const ConfEntry& e : Entries(body)) {
    if (e.key == "include") {
      return absl::FailedPreconditionError(
          "nats-server config: include is not allowed (the checks cannot follow it)");
    }
    if (!seen.insert(e.key).second) {
      return absl::FailedPreconditionError(absl::StrCat(
          "nats-server config: duplicate key '", e.key, "' (nats-server would take the last one)"));
    }
    if (e.kind == ConfEntry::Kind::kBlock) {
      if (absl::Status s = CheckUnambiguous(e.value); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> OwnBlock(absl::string_view body, absl::string_view key) {
  for (ConfEntry& e : Entries(body)) {
    if (e.kind == ConfEntry::Kind::kBlock && e.key == key) return std::move(e.value);
  }
  return std::nullopt;
}

std::optional<ConfEntry> OwnScalar(absl::string_view body, absl::string_view key) {
  for (ConfEntry& e : Entries(body)) {
    if (e.kind == ConfEntry::Kind::kScalar && e.key == key) return std::move(e);
  }
  return std::nullopt;
}

std::string OwnValue(absl::string_view body, absl::string_view key) {
  std::optional<ConfEntry> e = OwnScalar(body, key);
  return e ? e->value : "";
}

}  // namespace unibus::broker_auth::config
