// Test harness for the whole single-node stack, all real processes on free ports in a temp dir:
// unibusd (SQLite, mTLS), nats-server ≥ 2.10 with the config `unibus-authd nats-config` generates,
// and unibus-authd. Also connects raw nats.c peers with an identity's nkey.
//
// Not thread-safe (one test thread drives it). Processes stop with the Stack.
#ifndef UNIBUS_BROKER_AUTH_TESTING_STACK_H_
#define UNIBUS_BROKER_AUTH_TESTING_STACK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/crypto/identity.h"
#include "common/nats/nats_ptr.h"
#include "common/testing/child_process.h"
#include "common/testing/nats_server.h"
#include "control/testing/unibusd_process.h"

namespace unibus::broker_auth::testing {

// nats.c connection callbacks for a peer, all with the same closure (nullptr: not installed).
// nats.c runs them on its async callback thread; the closed callback is the last one it runs.
struct PeerCallbacks {
  natsErrHandler on_error = nullptr;
  natsConnectionHandler on_disconnected = nullptr;
  natsConnectionHandler on_reconnected = nullptr;
  natsConnectionHandler on_closed = nullptr;
  void* closure = nullptr;
};

struct PeerOptions {
  // Sign the nonce with this identity instead of the one connecting (a forged proof).
  const common::Identity* sign_with = nullptr;
  // Use the identity's private inbox prefix (as the client library does).
  bool private_inbox = true;
  // Reconnect attempts after a disconnect (0: none).
  int max_reconnect = 0;
  int reconnect_wait_ms = 50;
  int timeout_ms = 5000;
  PeerCallbacks callbacks;
};

class Stack {
 public:
  // `authd_flags` are added to every `unibus-authd serve` (e.g. history limits).
  static absl::StatusOr<std::unique_ptr<Stack>> Start(const std::string& dir,
                                                      std::vector<std::string> authd_flags = {});
  ~Stack();

  control::testing::UnibusdProcess& control() { return *control_; }
  const control::testing::UnibusdProcess& control() const { return *control_; }
  const std::string& nats_url() const { return nats_url_; }
  int nats_port() const { return nats_port_; }
  const std::string& dir() const { return dir_; }
  const std::string& authd_state_dir() const { return authd_dir_; }

  // unibus-authd instance `index` (0 is started by Start; 1 is a second instance in the same
  // queue group, sharing the same keys).
  absl::Status StartAuthd(int index = 0);
  void StopAuthd(int index = 0) { authd_[index].Stop(); }
  // SIGKILL: nothing of its memory survives, nothing is cleaned up.
  void KillAuthd(int index = 0) { authd_[index].Kill(); }
  // Restarts nats-server on the same port (a new server id).
  absl::Status RestartNats();

  // A raw nats.c connection of `identity` (nkey auth through the callout).
  absl::StatusOr<common::nats::NatsConnectionPtr> ConnectPeer(const common::Identity& identity,
                                                              PeerOptions options = {}) const;

 private:
  explicit Stack(std::string dir) : dir_(std::move(dir)) {}
  absl::Status StartNats();

  std::string dir_;
  std::vector<std::string> authd_flags_;
  std::string authd_dir_;
  std::string nats_config_;
  std::string nats_url_;
  int nats_port_ = -1;
  std::unique_ptr<control::testing::UnibusdProcess> control_;
  common::testing::ChildProcess nats_;
  common::testing::ChildProcess authd_[2];
};

// A raw nats.c connection of `identity` (nkey auth through the callout) to `nats_urls`
// (comma-separated).
absl::StatusOr<common::nats::NatsConnectionPtr> ConnectPeer(const std::string& nats_urls,
                                                            const common::Identity& identity,
                                                            PeerOptions options = {});

using common::testing::NatsServerPath;
using common::testing::ReadNatsPort;

}  // namespace unibus::broker_auth::testing

#endif  // UNIBUS_BROKER_AUTH_TESTING_STACK_H_
