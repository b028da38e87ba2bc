#include "bench/report.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_format.h"
#include "bench/stats.h"

namespace unibus::bench {

std::string Fmt(double v) {
  if (v >= 100) return absl::StrFormat("%.0f", v);
  if (v >= 10) return absl::StrFormat("%.1f", v);
  return absl::StrFormat("%.2f", v);
}

std::string PercentText(const std::vector<double>& v) {
  if (v.empty()) return "-";
  return absl::StrFormat("%.0f%% [%.0f..%.0f]", 100 * Median(v),
                         100 * *std::min_element(v.begin(), v.end()),
                         100 * *std::max_element(v.begin(), v.end()));
}

void PrintRule(int width) { std::printf("%s\n", std::string(width, '-').c_str()); }

const char* BuildNote() {
#ifdef NDEBUG
  return "";
#else
  return "  [NOT an optimised build: use bazel run -c opt]";
#endif
}

}  // namespace unibus::bench
