#include "common/testing/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/time/clock.h"

namespace unibus::common::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& args, const std::string& log_file) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int RunToCompletion(const std::vector<std::string>& args, const std::string& log_file) {
  pid_t pid = Spawn(args, log_file);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void ChildProcess::Start(const std::vector<std::string>& args, const std::string& log_file) {
  log_file_ = log_file;
  pid_ = Spawn(args, log_file);
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

absl::Status ChildProcess::WaitUntil(const std::function<bool()>& ready, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (ready()) return absl::OkStatus();
    if (!running()) return absl::InternalError("process exited: " + LogTail());
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError("process not ready: " + LogTail());
}

void ChildProcess::Stop(int signal_number) {
  if (pid_ <= 0) return;
  kill(pid_, signal_number);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ChildProcess::LogTail() const {
  std::string all = ReadFileOrEmpty(log_file_);
  return all.size() > 4000 ? all.substr(all.size() - 4000) : all;
}

}  // namespace unibus::common::testing
