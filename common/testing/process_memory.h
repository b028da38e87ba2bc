// Test and benchmark helper: another process's resident memory, read from /proc, and a reset of
// its peak so that the peak of one phase can be measured (Linux only).
//
// Thread-safe (each call opens its own file).
#ifndef UNIBUS_COMMON_TESTING_PROCESS_MEMORY_H_
#define UNIBUS_COMMON_TESTING_PROCESS_MEMORY_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace unibus::common::testing {

// A memory field of /proc/<pid>/status, e.g. "VmRSS" (resident now) or "VmHWM" (peak resident),
// in bytes; 0 if the process or the field cannot be read.
uint64_t ProcessMemory(pid_t pid, const std::string& field);

// Resets `pid`'s VmHWM to its current resident size (writes "5" to /proc/<pid>/clear_refs;
// Linux >= 4.0). False if that failed: VmHWM is then the lifetime peak.
bool ResetPeak(pid_t pid);

}  // namespace unibus::common::testing

#endif  // UNIBUS_COMMON_TESTING_PROCESS_MEMORY_H_
