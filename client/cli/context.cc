#include "client/cli/context.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace unibus::client::cli {
namespace {

sigset_t InterruptSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// True once SIGINT or SIGTERM was taken from the pending set (sticky).
bool SignalPending() {
  static std::atomic<bool> seen{false};
  if (seen.load()) return true;
  sigset_t set = InterruptSignals();
  timespec zero{0, 0};
  if (sigtimedwait(&set, nullptr, &zero) > 0) seen.store(true);
  return seen.load();
}

// Line reader over file descriptor 0 that wakes up every 100 ms to look at interrupted().
class StdinLines {
 public:
  bool Next(std::string* line, const std::function<bool()>& interrupted) {
    while (true) {
      if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
        *line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
      if (eof_) {
        if (buffer_.empty()) return false;
        *line = std::move(buffer_);
        buffer_.clear();
        return true;
      }
      if (interrupted()) return false;
      pollfd p{STDIN_FILENO, POLLIN, 0};
      int ready = poll(&p, 1, 100);
      if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
      char chunk[4096];
      ssize_t n = ready < 0 ? -1 : read(STDIN_FILENO, chunk, sizeof(chunk));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
      } else {
        buffer_.append(chunk, static_cast<size_t>(n));
      }
    }
  }

 private:
  std::string buffer_;
  bool eof_ = false;
};

// The width of the terminal on standard error, or 0 if it is not one.
int StderrColumns() {
  if (isatty(STDERR_FILENO) != 1) return 0;
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace

Context SystemContext() {
  Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  ctx.interrupted = &SignalPending;
  ctx.err_columns = StderrColumns();
  auto lines = std::make_shared<StdinLines>();
  ctx.read_line = [lines](std::string* line) { return lines->Next(line, &SignalPending); };
  return ctx;
}

void BlockInterrupts() {
  sigset_t set = InterruptSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::StatusOr<IdentityPath> ResolveIdentityPath(const std::optional<std::string>& flag,
                                                 const Context& ctx) {
  if (flag.has_value()) return IdentityPath{*flag, false};
  if (std::optional<std::string> env = ctx.getenv("UNIBUS_IDENTITY")) {
    return IdentityPath{*env, false};
  }
  if (std::optional<std::string> home = ctx.getenv("HOME")) {
    return IdentityPath{absl::StrCat(*home, "/.config/unibus/identity"), true};
  }
  return absl::FailedPreconditionError(
      "no identity file given: pass --identity PATH or set UNIBUS_IDENTITY (HOME is not set)");
}

}  // namespace unibus::client::cli
