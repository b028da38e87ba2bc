#include "common/testing/process_memory.h"

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace unibus::common::testing {

uint64_t ProcessMemory(pid_t pid, const std::string& field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    // "VmRSS:\t   12345 kB"
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits.push_back(c);
    }
    uint64_t kib = 0;
    return absl::SimpleAtoi(digits, &kib) ? kib * 1024 : 0;
  }
  return 0;
}

bool ResetPeak(pid_t pid) {
  std::ofstream clear(absl::StrCat("/proc/", pid, "/clear_refs"));
  clear << "5";
  return static_cast<bool>(clear.flush());
}

}  // namespace unibus::common::testing
