// Where a benchmark runs: a temporary directory, the runfiles of the binaries it starts, and the
// nats-server it reports.
#ifndef UNIBUS_BENCH_BENCH_ENV_H_
#define UNIBUS_BENCH_BENCH_ENV_H_

#include <string>

#include "absl/strings/string_view.h"

namespace unibus::bench {

// A fresh directory "<base>/<prefix>-XXXXXX"; `base` empty: $TMPDIR, else /tmp. "" on failure.
std::string MakeTempDir(const std::string& base, absl::string_view prefix);

// Points TEST_SRCDIR at this binary's runfiles when `bazel run` (not `bazel test`) started it.
void SetUpRunfiles(const char* argv0);

// `nats-server --version` of the binary the test stack uses (its output goes to dir/version.txt).
std::string NatsServerVersion(const std::string& dir);

}  // namespace unibus::bench

#endif  // UNIBUS_BENCH_BENCH_ENV_H_
