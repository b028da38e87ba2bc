// Graceful stop for servers: SIGINT and SIGTERM are blocked in every thread (call before any
// thread is started, so gRPC's and nats.c's threads inherit the mask) and taken with sigwait.
#ifndef UNIBUS_COMMON_PROCESS_STOP_SIGNALS_H_
#define UNIBUS_COMMON_PROCESS_STOP_SIGNALS_H_

#include <signal.h>

namespace unibus::common {

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards.
sigset_t BlockStopSignals();

// Waits for one of `signals`; returns its number.
int WaitForStopSignal(const sigset_t& signals);

}  // namespace unibus::common

#endif  // UNIBUS_COMMON_PROCESS_STOP_SIGNALS_H_
