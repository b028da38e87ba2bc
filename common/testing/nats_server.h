// Test helper: a real nats-server process with JetStream, no auth, on a free loopback port, with
// its state under a test directory. For backends that talk to JetStream directly (KV, object
// store); the full stack with the auth callout is broker_auth/testing/stack.h.
//
// Not thread-safe (one test thread drives it). The process stops with the object.
#ifndef UNIBUS_COMMON_TESTING_NATS_SERVER_H_
#define UNIBUS_COMMON_TESTING_NATS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/testing/child_process.h"

namespace unibus::common::testing {

// Path of nats-server: $UNIBUS_NATS_SERVER, else /usr/sbin/nats-server.
std::string NatsServerPath();

// The client port a nats-server with `ports_file_dir: dir` wrote into its ports file, or -1.
int ReadNatsPort(const std::string& dir);

// Removes the ports files in `dir`, so that a restart's readiness waits for the new process.
void ForgetNatsPorts(const std::string& dir);

class JetStreamServer {
 public:
  // Starts nats-server with JetStream (store under dir/js) on a free port of 127.0.0.1.
  static absl::StatusOr<std::unique_ptr<JetStreamServer>> Start(const std::string& dir);
  ~JetStreamServer() { process_.Stop(); }

  const std::string& url() const { return url_; }
  ChildProcess& process() { return process_; }
  // Stops the server (SIGTERM) and starts it again on the same port with the same state.
  absl::Status Restart();

 private:
  explicit JetStreamServer(std::string dir) : dir_(std::move(dir)) {}
  absl::Status Launch(int port);

  std::string dir_;
  std::string url_;
  int port_ = -1;
  ChildProcess process_;
};

}  // namespace unibus::common::testing

#endif  // UNIBUS_COMMON_TESTING_NATS_SERVER_H_
