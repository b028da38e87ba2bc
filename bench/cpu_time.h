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
// Two readings of another process's CPU time (user + system), nanoseconds, or -1:
//
// CPU time of the threads `pid` has now (/proc/<pid>/task/*/schedstat). Exact to the
// nanosecond, but a thread that exits takes its time with it: for a process whose threads live
// as long as it does (nats-server, unibus-authd).
int64_t ProcessCpuNs(pid_t pid);
// CPU time of every thread `pid` ever had, those that exited included (/proc/<pid>/stat utime
// + stime). In clock ticks (10 ms), so only meaningful over long runs or as a mean of many: for a
// process whose threads come and go, such as unibusd's sync gRPC server, where ProcessCpuNs
// can even go backwards across one request.
int64_t ProcessCpuTicksNs(pid_t pid);

}  // namespace unibus::bench

#endif  // UNIBUS_BENCH_CPU_TIME_H_
