// Closes live NATS connections through the system account when grants shrink or grow. It does
// not remember connections: at change time it asks every server (CONNZ, connz.h) for the
// identity's connections and sends $SYS.REQ.SERVER.<server id>.KICK {"cid": N} for each one
// that started before the change, as the server's answers arrive. So a kick reaches every
// connection on every node, however many the identity opened and whichever authd instance (or
// an earlier, crashed one) authorized it. The client library reconnects and gets fresh grants.
//
// A callout that read the old grants just before a change may be answered after the query (its
// connection registered too late to be listed). So the query is asked again after `recheck`
// (longer than the callout timeout, after which no such answer can still be pending), and
// connections that started before the change are kicked then too. "Started before" is judged on
// each server's own clock: a connection older (server "now" minus its start) than the time
// since the change was applied, as measured here when the query was sent.
//
// With several authd instances (a queue group, a cluster) each kicks when it applies a change:
// one that applies it late may meanwhile have authorized a connection from the old grants, and
// its own kick is what closes that one. A fresh connection may so be kicked more than once.
//
// Thread-safe. The system connection is borrowed; its inbox prefix must be `inbox` (its
// permissions need publish on $SYS.REQ.SERVER.PING.CONNZ, $SYS.REQ.SERVER.*.CONNZ and
// $SYS.REQ.SERVER.*.KICK and subscribe on `inbox`.>). One thread runs the rechecks.
#ifndef UNIBUS_BROKER_AUTH_KICK_KICKER_H_
#define UNIBUS_BROKER_AUTH_KICK_KICKER_H_

#include <nats/nats.h>

#include <cstdint>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/nats/nats_ptr.h"

namespace unibus::broker_auth::kick {

struct KickerOptions {
  std::string inbox;                                  // the system connection's inbox prefix
  std::string peer_account = "UNIBUS";                // for KickEveryone
  // Users of the peer account that are not peers (authd's stream and feeds users): never kicked.
  std::vector<std::string> spared_users;
  absl::Duration recheck = absl::Milliseconds(2500);  // > the callout timeout
};

class Kicker {
 public:
  Kicker(natsConnection* system_connection, KickerOptions options);
  ~Kicker();

  // Subscribes to the servers' answers. UNAVAILABLE if NATS refuses.
  absl::Status Start();

  // Closes every connection of `sign_pub` (hex) that started before now, now and after the
  // recheck delay.
  void KickIdentity(const std::string& sign_pub);
  // Every peer connection that started before now (when what changed cannot be known, e.g.
  // the change feed resumed past what the control plane still retains).
  void KickEveryone();

  // KICK requests sent so far.
  uint64_t kicks_sent() const;

 private:
  struct Query {
    std::string user_nkey;  // empty: the whole peer account
    absl::Duration threshold;  // kick connections at least this old
    absl::Time expires;
  };
  struct Recheck {
    absl::Time due;
    std::string user_nkey;
    absl::Time changed;
  };

  void Ask(const std::string& user_nkey, absl::Time changed);
  void Send(uint64_t id, const Query& query, const std::string& server_id, uint64_t offset);
  static void OnAnswer(natsConnection* nc, natsSubscription* sub, natsMsg* msg,
                       void* closure) noexcept;
  void Answer(natsMsg* msg);
  void RecheckLoop();

  natsConnection* nc_;
  const KickerOptions options_;
  common::nats::NatsSubscriptionPtr sub_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, Query> queries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t kicks_sent_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Recheck> pending_ ABSL_GUARDED_BY(mu_);  // in due order (constant delay)
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace unibus::broker_auth::kick

#endif  // UNIBUS_BROKER_AUTH_KICK_KICKER_H_
