#include "bench/cpu_time.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"

namespace unibus::bench {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t SelfCpuNs(bool kernel_only) {
  rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  auto ns = [](const timeval& tv) { return tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL; };
  return (kernel_only ? 0 : ns(ru.ru_utime)) + ns(ru.ru_stime);
}

int64_t ProcessCpuNs(pid_t pid) {
  if (pid <= 0) return -1;
  std::string task_dir = absl::StrCat("/proc/", pid, "/task");
  DIR* d = opendir(task_dir.c_str());
  if (d == nullptr) return -1;
  int64_t total = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(absl::StrCat(task_dir, "/", e->d_name, "/schedstat"));
    int64_t ns = 0;
    if (in >> ns) total += ns;
  }
  closedir(d);
  return total;
}

int64_t ProcessCpuTicksNs(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name in parentheses may itself contain spaces and parentheses.
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  // After "(comm)": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime stime.
  unsigned long long utime = 0, stime = 0;
  if (std::sscanf(stat.c_str() + paren + 1,
                  " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) {
    return -1;
  }
  static const long kTicks = sysconf(_SC_CLK_TCK);
  return static_cast<int64_t>((utime + stime) * (1'000'000'000LL / kTicks));
}

}  // namespace unibus::bench
