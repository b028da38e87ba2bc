#include "client/cli/progress.h"

#include <sstream>

#include "client/cli/byte_size.h"
#include "gtest/gtest.h"

namespace unibus::client::cli {
namespace {

constexpr uint64_t kMiB = 1 << 20;

// Columns as FormatProgress counts them (one per UTF-8 character).
int Columns(const std::string& s) {
  int n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

TEST(FormatByteSizeTest, BinaryUnitsWithOneDecimal) {
  EXPECT_EQ(FormatByteSize(0), "0 B");
  EXPECT_EQ(FormatByteSize(1023), "1023 B");
  EXPECT_EQ(FormatByteSize(1024), "1.0 KiB");
  EXPECT_EQ(FormatByteSize(1258291), "1.2 MiB");
  EXPECT_EQ(FormatByteSize(16 * kMiB), "16.0 MiB");
  EXPECT_EQ(FormatByteSize(3ull << 30), "3.0 GiB");
  EXPECT_EQ(FormatByteSize(~0ull), "16.0 EiB");
  EXPECT_EQ(FormatByteRatio(7025459, 16 * kMiB), "6.7/16.0 MiB");
  EXPECT_EQ(FormatByteRatio(100, 512), "100/512 B");
}

TEST(FormatProgressTest, LabelPercentBarSizesAndRate) {
  EXPECT_EQ(FormatProgress("report.pdf", 7025459, 16 * kMiB, 85 * kMiB, 79),
            "report.pdf   41% [############                  ]  6.7/16.0 MiB  85.0 MiB/s");
}

TEST(FormatProgressTest, RateIsLeftOutUntilKnown) {
  EXPECT_EQ(FormatProgress("a", 0, 2048, 0, 79),
            "a    0% [                              ]  0.0/2.0 KiB");
  EXPECT_EQ(FormatProgress("a", 0, 2048, -1, 40), FormatProgress("a", 0, 2048, 0, 40));
}

TEST(FormatProgressTest, CompleteAndZeroTotalAreFull) {
  std::string done = FormatProgress("", 5 * kMiB, 5 * kMiB, 1e6, 70);
  EXPECT_EQ(done, "100% [##############################]  5.0/5.0 MiB  976.6 KiB/s");
  EXPECT_EQ(FormatProgress("", 0, 0, 0, 70), "100% [##############################]  0/0 B");
  // More than the total (a last callback rounding up) is shown as the total.
  EXPECT_EQ(FormatProgress("", 9 * kMiB, 5 * kMiB, 0, 70),
            "100% [##############################]  5.0/5.0 MiB");
  // 99.9% is not 100%.
  EXPECT_EQ(FormatProgress("", 999, 1000, 0, 70).substr(0, 4), " 99%");
}

TEST(FormatProgressTest, FitsTheWidth) {
  const std::string label = "a-rather-long-file-name-for-a-quarterly-report.pdf";
  for (int width = 0; width <= 120; ++width) {
    std::string line = FormatProgress(label, 3 * kMiB, 16 * kMiB, 12.5 * kMiB, width);
    EXPECT_LE(Columns(line), std::max(width, 4)) << width << ": " << line;
  }
  // Wide: the whole label and the widest bar. Narrow: the label is shortened first, then
  // dropped; then only the percentage is left.
  EXPECT_EQ(Columns(FormatProgress(label, 1, 2, 0, 200)),
            static_cast<int>(label.size()) + 2 + 4 + 2 + 30 + 3 + 5);
  std::string narrow = FormatProgress(label, 1, 2, 0, 50);
  EXPECT_EQ(narrow, "a-rather-long-file-na...   50% [#####     ]  1/2 B");
  EXPECT_EQ(Columns(narrow), 50);
  EXPECT_EQ(FormatProgress(label, 1, 2, 0, 30), " 50% [########        ]  1/2 B");
  EXPECT_EQ(FormatProgress(label, 1, 2, 0, 12), " 50%");
}

TEST(FormatProgressTest, ShortensUtf8LabelsByCharacter) {
  std::string label;
  for (int i = 0; i < 40; ++i) label += "ü";
  std::string line = FormatProgress(label, 1, 2, 0, 40);
  EXPECT_EQ(Columns(line), 40);
  EXPECT_EQ(line.find("\xc3..."), std::string::npos);  // not cut inside a character
}

class FakeClock {
 public:
  absl::Time Now() const { return now_; }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1000);
};

TEST(ProgressBarTest, QuickTransfersDrawNothing) {
  FakeClock clock;
  std::ostringstream err;
  {
    ProgressBar bar(&err, 80, "f", [&clock] { return clock.Now(); });
    bar.Update(1, 2);
    clock.Advance(absl::Milliseconds(150));
    bar.Update(2, 2);
  }
  EXPECT_EQ(err.str(), "");
}

TEST(ProgressBarTest, RedrawsAtMostTenTimesASecondAndEndsTheLine) {
  FakeClock clock;
  std::ostringstream err;
  ProgressBar bar(&err, 80, "f", [&clock] { return clock.Now(); });
  clock.Advance(absl::Milliseconds(250));
  for (int i = 1; i <= 100; ++i) {  // 100 updates within one second
    bar.Update(i, 100);
    clock.Advance(absl::Milliseconds(10));
  }
  bar.Finish();
  bar.Finish();
  const std::string out = err.str();
  int draws = 0;
  for (char c : out) draws += c == '\r';
  EXPECT_GE(draws, 9);
  EXPECT_LE(draws, 12);
  EXPECT_EQ(out.back(), '\n');
  EXPECT_NE(out.find("100% ["), std::string::npos);
  bar.Update(1, 100);  // after Finish: nothing
  EXPECT_EQ(err.str(), out);
}

TEST(ProgressBarTest, NoTerminalNoOutput) {
  FakeClock clock;
  std::ostringstream err;
  ProgressBar bar(&err, 0, "f", [&clock] { return clock.Now(); });
  clock.Advance(absl::Seconds(5));
  bar.Update(1, 2);
  bar.Finish();
  EXPECT_EQ(err.str(), "");
}

}  // namespace
}  // namespace unibus::client::cli
