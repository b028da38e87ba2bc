// How the benchmarks print their tables: numbers to a precision that suits their size, ratios as
// "median [min..max]" percentages, and the rules between the tables.
#ifndef UNIBUS_BENCH_REPORT_H_
#define UNIBUS_BENCH_REPORT_H_

#include <string>
#include <vector>

namespace unibus::bench {

// `v` with 0, 1 or 2 decimals (from 100, from 10, below 10), so that a column of rates or
// latencies keeps about three significant digits whatever the machine.
std::string Fmt(double v);

// Ratios (1 = 100%) as "median% [min..max]" in whole percent; "-" when empty. The spread is
// printed because runs on a shared machine are noisy: a wide one means a run to repeat.
std::string PercentText(const std::vector<double>& v);

// A line of `width` dashes on stdout.
void PrintRule(int width);

// For a benchmark's header line: "" in an optimised build (NDEBUG), else a warning that the
// numbers are not worth reading.
const char* BuildNote();

}  // namespace unibus::bench

#endif  // UNIBUS_BENCH_REPORT_H_
