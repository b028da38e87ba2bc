// Closes live NATS connections through the system account: a request {"cid":N} on
// $SYS.REQ.SERVER.<server id>.KICK for each remembered connection of an identity. The client
// library reconnects on its own and gets fresh grants from the callout.
//
// Does not own the connection (a system-account user's). Thread-safe (nats.c connections are).
#ifndef UNIBUS_BROKER_AUTH_KICK_KICKER_H_
#define UNIBUS_BROKER_AUTH_KICK_KICKER_H_

#include <nats/nats.h>

#include <string>

#include "broker_auth/kick/connection_registry.h"

namespace unibus::broker_auth::kick {

class Kicker {
 public:
  Kicker(natsConnection* system_connection, ConnectionRegistry& registry)
      : nc_(system_connection), registry_(registry) {}

  // Kicks every remembered connection of `sign_pub`; returns how many requests were sent.
  int KickIdentity(const std::string& sign_pub);

 private:
  natsConnection* nc_;
  ConnectionRegistry& registry_;
};

}  // namespace unibus::broker_auth::kick

#endif  // UNIBUS_BROKER_AUTH_KICK_KICKER_H_
