// Clocks the benchmarks read: steady wall time, this process's CPU, another process's CPU.
#ifndef UNIBUS_BENCH_CPU_TIME_H_
#define UNIBUS_BENCH_CPU_TIME_H_

#include <sys/types.h>

#include <cstdint>

namespace unibus::bench {

// Steady clock, nanoseconds.
int64_t NowNs();
// CPU time of this process (user + system, or system only), nanoseconds.
int64_t SelfCpuNs(bool kernel_only = false);
// CPU time of every thread of `pid` (from /proc/<pid>/task/*/schedstat), or -1.
int64_t ProcessCpuNs(pid_t pid);

}  // namespace unibus::bench

#endif  // UNIBUS_BENCH_CPU_TIME_H_
