// The client's NATS connection, kept alive across everything the broker can do to it.
//
// Authenticates with the identity's nkey (common/nats/nkey_signer: in-process nonce signing),
// uses the identity's private inbox prefix, reconnects forever with jitter, and when nats.c
// gives up on a connection (it does after two identical auth errors in a row, e.g. while the
// grants of a just-kicked client are being re-read) builds a new one after a jittered pause.
//
// Users of the link register a Listener; after nats.c reconnected (a kick, a server restart)
// or after the link rebuilt the connection, each listener's OnConnection runs on the link's own
// thread, so subscriptions can be re-established and JetStream consumers resumed.
//
// Thread-safe. Listeners must Remove themselves before they are destroyed.
#ifndef UNIBUS_CLIENT_INTERNAL_NATS_LINK_H_
#define UNIBUS_CLIENT_INTERNAL_NATS_LINK_H_

#include <nats/nats.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/crypto/identity.h"
#include "common/nats/nats_ptr.h"

namespace unibus::client::internal {

struct NatsLinkOptions {
  std::vector<std::string> urls;   // nats:// or tls://
  std::string ca_pem;              // for tls:// servers (empty: system roots)
  std::string name = "libunibus";
  absl::Duration reconnect_wait = absl::Milliseconds(250);  // plus up to 100% jitter
  absl::Duration connect_timeout = absl::Seconds(5);
  bool send_asap = false;  // ClientOptions::send_immediately
};

class NatsLink {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // A new or re-established connection: subscribe again / resume. `rebuilt` is true when
    // the connection object itself is new (old subscriptions are gone).
    virtual void OnConnection(natsConnection* nc, bool rebuilt) = 0;
  };

  // Connects once (UNAVAILABLE / PERMISSION_DENIED on failure); `identity` must outlive the link.
  static absl::StatusOr<std::unique_ptr<NatsLink>> Connect(const common::Identity& identity,
                                                           NatsLinkOptions options);
  ~NatsLink();

  // The current connection; valid until the next rebuild. Callers that keep it across calls
  // must be Listeners (they learn of rebuilds).
  natsConnection* connection();
  // Runs `fn` with the current connection under the link's lock (no rebuild meanwhile).
  template <typename Fn>
  auto WithConnection(Fn fn) {
    absl::ReaderMutexLock lock(&conn_mu_);
    return fn(conn_.get());
  }

  // Hex sign_pub of the identity (its inbox prefix is common::nats::InboxPrefix of it).
  const std::string& identity_hex() const { return identity_hex_; }

  void AddListener(Listener* l);
  void RemoveListener(Listener* l);

  // How many times the connection was rebuilt / reconnected (for tests and logs).
  int rebuilds() const;
  int reconnects() const;
  // How many times nats.c closed the live connection for good (each one leads to a rebuild).
  int closes() const;

 private:
  NatsLink(const common::Identity& identity, NatsLinkOptions options);
  absl::StatusOr<common::nats::NatsConnectionPtr> Dial(bool retry_forever);
  void Supervise();
  void Notify(bool rebuilt);
  void HandleReconnected();
  void HandleClosed(natsConnection* nc);

  static void OnReconnected(natsConnection* nc, void* closure) noexcept;
  static void OnClosed(natsConnection* nc, void* closure) noexcept;

  const common::Identity& identity_;
  const NatsLinkOptions options_;
  std::string identity_hex_;
  std::string inbox_;

  mutable absl::Mutex conn_mu_;
  common::nats::NatsConnectionPtr conn_ ABSL_GUARDED_BY(conn_mu_);

  mutable absl::Mutex mu_;
  std::set<Listener*> listeners_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;       // nats.c gave up: rebuild
  int pending_reconnects_ ABSL_GUARDED_BY(mu_) = 0;
  int rebuilds_ ABSL_GUARDED_BY(mu_) = 0;
  int reconnects_ ABSL_GUARDED_BY(mu_) = 0;
  int closes_ ABSL_GUARDED_BY(mu_) = 0;
  // One per connection, shared with nats.c's callbacks (their closure holds a reference): the
  // destructor waits for each connection's closed callback, which nats.c runs later on its own
  // thread, and detaches the ones that never came, so no callback touches a freed link.
  struct Callbacks {
    absl::Mutex mu;
    NatsLink* link ABSL_GUARDED_BY(mu);
    absl::Notification closed;
  };
  std::vector<std::shared_ptr<Callbacks>> callbacks_ ABSL_GUARDED_BY(mu_);
  std::thread supervisor_;
};

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_NATS_LINK_H_
