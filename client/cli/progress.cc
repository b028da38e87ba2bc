#include "client/cli/progress.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/byte_size.h"

namespace unibus::client::cli {
namespace {

constexpr int kMaxBar = 30;
constexpr int kMinBar = 10;
constexpr absl::Duration kFirstDraw = absl::Milliseconds(200);
constexpr absl::Duration kRedraw = absl::Milliseconds(100);

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Terminal columns of UTF-8 text, counting one per character.
int Columns(absl::string_view s) {
  return static_cast<int>(
      std::count_if(s.begin(), s.end(), [](char c) { return !IsContinuation(c); }));
}

// Fewer columns than this and a shortened label says nothing: it is dropped.
constexpr int kMinLabel = 8;

// At most `columns` columns of `s`, ending in "..." when shortened; "" below kMinLabel.
std::string Truncate(absl::string_view s, int columns) {
  if (Columns(s) <= columns) return std::string(s);
  if (columns < kMinLabel) return "";
  int keep = columns - 3;
  size_t end = 0;
  for (int seen = 0; end < s.size(); ++end) {
    if (!IsContinuation(s[end]) && seen++ == keep) break;
  }
  return absl::StrCat(s.substr(0, end), "...");
}

}  // namespace

std::string FormatProgress(absl::string_view label, uint64_t done, uint64_t total,
                           double bytes_per_second, int width) {
  if (total == 0) {
    done = 0;
  } else {
    done = std::min(done, total);
  }
  const double fraction =
      total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  // Floor, so that 100% means done.
  const int percent = total == 0 ? 100 : static_cast<int>(done * 100.0 / total);
  const std::string pct = absl::StrFormat("%3d%%", std::min(percent, 100));
  std::string right = absl::StrCat("]  ", FormatByteRatio(done, total));
  if (bytes_per_second > 0 && std::isfinite(bytes_per_second)) {
    absl::StrAppend(&right, "  ", FormatByteSize(static_cast<uint64_t>(bytes_per_second)), "/s");
  }
  const int fixed = Columns(pct) + 2 + Columns(right);  // pct " [" BAR right
  const int room = width - fixed;
  if (room < kMinBar) return pct;  // too narrow for a bar: the percentage alone

  const int label_columns = Columns(label);
  int bar = std::min(kMaxBar, room - (label_columns > 0 ? label_columns + 2 : 0));
  std::string shown_label(label);
  if (bar < kMinBar) {
    shown_label = Truncate(label, room - kMinBar - 2);
    bar = shown_label.empty() ? std::min(kMaxBar, room) : kMinBar;
  }
  const int filled = static_cast<int>(std::floor(fraction * bar));
  return absl::StrCat(shown_label, shown_label.empty() ? "" : "  ", pct, " [",
                      std::string(filled, '#'), std::string(bar - filled, ' '), right);
}

ProgressBar::ProgressBar(std::ostream* err, int columns, std::string label, Clock now)
    : err_(err), columns_(columns), label_(std::move(label)), now_(std::move(now)),
      start_(now_()) {}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (columns_ <= 0 || finished_) return;
  done_ = done;
  total_ = total;
  const absl::Time now = now_();
  if (now - start_ < kFirstDraw || now - last_draw_ < kRedraw) return;
  last_draw_ = now;
  Draw();
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!drawn_) return;
  Draw();
  *err_ << "\n" << std::flush;
}

void ProgressBar::Draw() {
  const double seconds = absl::ToDoubleSeconds(now_() - start_);
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
  // One column less than the terminal: writing the last column wraps on some terminals.
  std::string line = FormatProgress(label_, done_, total_, rate, columns_ - 1);
  // \r and the old line overwritten; \x1b[K (erase to end of line) clears what a longer
  // earlier line left.
  *err_ << "\r" << line << "\x1b[K" << std::flush;
  drawn_ = true;
}

}  // namespace unibus::client::cli
