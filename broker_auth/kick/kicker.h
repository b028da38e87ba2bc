// Closes live NATS connections through the system account: a request {"cid":N} on
// $SYS.REQ.SERVER.<server id>.KICK for each remembered connection of an identity. The client
// library reconnects on its own and gets fresh grants from the callout.
//
// A callout that read an identity's old grants just before a change may answer after the kick
// (its connection is then recorded too late to be kicked, or registered by the server after the
// KICK arrived). So connections authorized from grants older than the change are kicked once
// more after `recheck` (longer than the callout timeout, after which no such answer can still be
// pending), and so are any recorded meanwhile.
//
// Does not own the connection (a system-account user's). Thread-safe; one background thread
// runs the rechecks (on real time).
#ifndef UNIBUS_BROKER_AUTH_KICK_KICKER_H_
#define UNIBUS_BROKER_AUTH_KICK_KICKER_H_

#include <nats/nats.h>

#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker_auth/kick/connection_registry.h"

namespace unibus::broker_auth::kick {

class Kicker {
 public:
  Kicker(natsConnection* system_connection, ConnectionRegistry& registry,
         absl::Duration recheck = absl::Milliseconds(2500));
  ~Kicker();

  // Kicks every remembered connection of `sign_pub` now; `generation` is the grants cache
  // generation that already reflects the change. Returns how many kicks were sent now.
  int KickIdentity(const std::string& sign_pub, uint64_t generation);

 private:
  struct Recheck {
    absl::Time due;
    std::string sign_pub;
    uint64_t generation = 0;
    std::vector<ConnectionRef> again;  // stale ones kicked already: maybe not registered yet
  };

  bool Publish(const ConnectionRef& ref);
  void RecheckLoop();

  natsConnection* nc_;
  ConnectionRegistry& registry_;
  const absl::Duration recheck_;
  absl::Mutex mu_;
  std::deque<Recheck> pending_ ABSL_GUARDED_BY(mu_);  // in due order (constant delay)
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace unibus::broker_auth::kick

#endif  // UNIBUS_BROKER_AUTH_KICK_KICKER_H_
