#include "bench/bench_env.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "broker_auth/testing/stack.h"
#include "common/testing/child_process.h"

namespace unibus::bench {
namespace {

// Lock-free, hence safe to set from a signal handler.
std::atomic<bool> g_interrupted{false};

void OnSignal(int) { g_interrupted.store(true); }

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

int RunInTempDir(const std::string& base, absl::string_view prefix, bool keep,
                 const std::function<int(const std::string& dir)>& body) {
  std::string dir = MakeTempDir(base, prefix);
  if (dir.empty()) {
    std::fprintf(stderr, "cannot create a temporary directory\n");
    return 1;
  }
  setenv("TEST_TMPDIR", dir.c_str(), 1);
  int code = body(dir);
  if (!keep) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return code;
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

void CatchInterrupts() {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = &OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool Interrupted() { return g_interrupted.load(); }

}  // namespace unibus::bench
