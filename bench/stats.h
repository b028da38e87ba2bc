// Small statistics shared by the benchmarks.
#ifndef UNIBUS_BENCH_STATS_H_
#define UNIBUS_BENCH_STATS_H_

#include <algorithm>
#include <cmath>
#include <vector>

namespace unibus::bench {

// The p-quantile (0..1, nearest rank) of an ascending vector; 0 when empty.
inline double Percentile(const std::vector<float>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * sorted.size()));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// The median (mean of the middle two for an even count); 0 when empty.
inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace unibus::bench

#endif  // UNIBUS_BENCH_STATS_H_
