// Test helper: a child process started with execv, its stdout/stderr appended to a log file,
// stopped with SIGTERM (or SIGKILL) and reaped by the destructor.
//
// Not thread-safe.
#ifndef UNIBUS_COMMON_TESTING_CHILD_PROCESS_H_
#define UNIBUS_COMMON_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace unibus::common::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { Stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // REQUIRES: not running. args[0] is the program path.
  void Start(const std::vector<std::string>& args, const std::string& log_file);
  // Polls `ready` every 10 ms until it is true (OK), the process exits (INTERNAL with the log's
  // tail), or `timeout` passes (DEADLINE_EXCEEDED).
  absl::Status WaitUntil(const std::function<bool()>& ready, absl::Duration timeout);

  void Stop(int signal_number = 15);
  void Kill() { Stop(9); }
  bool running();
  pid_t pid() const { return pid_; }
  std::string LogTail() const;

 private:
  pid_t pid_ = -1;
  std::string log_file_;
};

// Runs `args` to completion, output appended to `log_file`; returns its exit code (-1 on signal).
int RunToCompletion(const std::vector<std::string>& args, const std::string& log_file);

// The whole file, or "" if it cannot be read.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace unibus::common::testing

#endif  // UNIBUS_COMMON_TESTING_CHILD_PROCESS_H_
