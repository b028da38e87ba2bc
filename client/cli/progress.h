// A progress bar for blob transfers on standard error, one line redrawn in place:
//
//   report.pdf   42% [########            ]  6.7/16.0 MiB  85.0 MiB/s
//
// Drawn only when standard error is a terminal (Context::err_columns > 0) and the command prints
// for people (not --json), so logs and scripts never see carriage returns. A transfer that ends
// within the first 200 ms draws nothing at all; after that the line is redrawn at most 10 times
// per second and ended with a newline by Finish().
//
// Thread safety: a ProgressBar is used by one thread (blob transfers report progress on the
// calling thread, client.h).
#ifndef UNIBUS_CLIENT_CLI_PROGRESS_H_
#define UNIBUS_CLIENT_CLI_PROGRESS_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace unibus::client::cli {

// The line for `label` (a display-safe file name) after `done` of `total` bytes, at most `width`
// columns (UTF-8 characters count one column each): the label is shortened ("...") or dropped
// and the bar narrowed (30 columns at most, 10 at least) to fit; below 4 columns only the
// percentage is left. `total` 0 counts as complete and `done` over `total` as `total`.
// `bytes_per_second` <= 0 (not known yet) leaves out the rate.
std::string FormatProgress(absl::string_view label, uint64_t done, uint64_t total,
                           double bytes_per_second, int width);

class ProgressBar {
 public:
  using Clock = std::function<absl::Time()>;

  // Draws on `err` (not owned; must outlive the bar) when `columns` > 0; with 0 every method
  // does nothing.
  ProgressBar(std::ostream* err, int columns, std::string label, Clock now = &absl::Now);
  ~ProgressBar() { Finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Records progress; redraws if the line is due (see above).
  void Update(uint64_t done, uint64_t total);
  // Redraws the last state and ends the line, if anything was drawn. Idempotent.
  void Finish();

  // Update() as a TransferProgress (client.h) for PutBlob/GetBlob. The bar must outlive it.
  std::function<void(uint64_t, uint64_t)> Callback() {
    return [this](uint64_t done, uint64_t total) { Update(done, total); };
  }

 private:
  void Draw();

  std::ostream* const err_;
  const int columns_;
  const std::string label_;
  const Clock now_;
  const absl::Time start_;
  absl::Time last_draw_ = absl::InfinitePast();
  uint64_t done_ = 0;
  uint64_t total_ = 0;
  bool drawn_ = false;
  bool finished_ = false;
};

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_PROGRESS_H_
