#include "bench/bench_env.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "broker_auth/testing/stack.h"
#include "common/testing/child_process.h"

namespace unibus::bench {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string MakeTempDir(const std::string& base, absl::string_view prefix) {
  std::string root = base;
  if (root.empty()) {
    const char* env = std::getenv("TMPDIR");
    root = env != nullptr && *env != '\0' ? env : "/tmp";
  }
  std::string pattern = absl::StrCat(root, "/", prefix, "-XXXXXX");
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return "";
  return std::string(buf.data());
}

void SetUpRunfiles(const char* argv0) {
  const char* set = std::getenv("TEST_SRCDIR");
  if (set != nullptr && *set != '\0') return;
  std::vector<std::string> candidates;
  if (const char* r = std::getenv("RUNFILES_DIR"); r != nullptr && *r != '\0') {
    candidates.push_back(r);
  }
  char exe[PATH_MAX] = {0};
  if (ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1); n > 0) {
    candidates.push_back(std::string(exe, static_cast<size_t>(n)) + ".runfiles");
  }
  candidates.push_back(std::string(argv0) + ".runfiles");
  for (const std::string& c : candidates) {
    if (Exists(c + "/unibus/control/unibusd")) {
      setenv("TEST_SRCDIR", c.c_str(), 1);
      return;
    }
  }
  setenv("TEST_SRCDIR", candidates.back().c_str(), 1);
}

std::string NatsServerVersion(const std::string& dir) {
  std::string log = dir + "/version.txt";
  common::testing::RunToCompletion({broker_auth::testing::NatsServerPath(), "--version"}, log);
  std::string v(absl::StripAsciiWhitespace(common::testing::ReadFileOrEmpty(log)));
  return v.empty() ? "nats-server (version unknown)" : v;
}

}  // namespace unibus::bench
