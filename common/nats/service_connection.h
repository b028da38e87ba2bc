// The NATS connection of a unibus service process (unibus-authd's users, unibusd's control-plane
// user in a cluster): nkey authentication with an identity, a list of servers to fail over
// between, reconnection forever.
#ifndef UNIBUS_COMMON_NATS_SERVICE_CONNECTION_H_
#define UNIBUS_COMMON_NATS_SERVICE_CONNECTION_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/crypto/identity.h"
#include "common/nats/nats_ptr.h"

namespace unibus::common::nats {

struct ServiceConnectionOptions {
  // "nats://host:port" or "tls://host:port", comma-separated; tried in order.
  std::string urls;
  // Shown in the server's connection list.
  std::string name;
  // A private inbox prefix (empty: nats.c's default).
  std::string inbox_prefix;
  // CA file for tls:// servers (empty: system roots). Setting it requires TLS.
  std::string ca_file;
  // Between reconnect attempts. Services come back before peers, whose wait is longer.
  int reconnect_wait_ms = 25;
  // true: return at once and keep connecting in the background; false: fail if no server answers.
  bool retry_on_failed_connect = true;
};

// `identity` must outlive the connection (it signs every reconnect's nonce).
absl::StatusOr<NatsConnectionPtr> ConnectService(const ServiceConnectionOptions& options,
                                                 const Identity& identity);

// True if every URL in the comma-separated list names a loopback host.
bool AllLoopback(const std::string& urls);

}  // namespace unibus::common::nats

#endif  // UNIBUS_COMMON_NATS_SERVICE_CONNECTION_H_
