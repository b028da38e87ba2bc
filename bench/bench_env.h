// Where a benchmark runs: a temporary directory, the runfiles of the binaries it starts, the
// nats-server it reports, and Ctrl-C.
#ifndef UNIBUS_BENCH_BENCH_ENV_H_
#define UNIBUS_BENCH_BENCH_ENV_H_

#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace unibus::bench {

// A fresh directory "<base>/<prefix>-XXXXXX"; `base` empty: $TMPDIR, else /tmp. "" on failure.
std::string MakeTempDir(const std::string& base, absl::string_view prefix);

// Runs `body` in a fresh MakeTempDir(base, prefix), with TEST_TMPDIR pointing at it (where the
// test helpers that start processes put their files), and removes the directory afterwards
// unless `keep`. Returns body's result, or 1 with a message on stderr if there is no directory.
int RunInTempDir(const std::string& base, absl::string_view prefix, bool keep,
                 const std::function<int(const std::string& dir)>& body);

// Points TEST_SRCDIR at this binary's runfiles when `bazel run` (not `bazel test`) started it.
void SetUpRunfiles(const char* argv0);

// `nats-server --version` of the binary the test stack uses (its output goes to dir/version.txt).
std::string NatsServerVersion(const std::string& dir);

// From now on SIGINT and SIGTERM only make Interrupted() true, so that a benchmark stops its
// loops and still prints what it measured, stops the processes it started and removes its
// temporary directory. Call once, from main, before starting threads.
void CatchInterrupts();

// Whether SIGINT or SIGTERM arrived since CatchInterrupts(). Thread-safe.
bool Interrupted();

}  // namespace unibus::bench

#endif  // UNIBUS_BENCH_BENCH_ENV_H_
