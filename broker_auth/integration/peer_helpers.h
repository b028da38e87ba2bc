// Helpers shared by the broker_auth integration tests: raw nats.c peers that record their
// asynchronous events (permission violations, disconnects, reconnects, close), room setup over
// gRPC, and a raw NATS protocol socket for hand-made CONNECTs.
//
// Every wait has a deadline and waits for a positive event (a message, a callback, an error
// naming the subject); nothing synchronises by sleeping.
#ifndef UNIBUS_BROKER_AUTH_INTEGRATION_PEER_HELPERS_H_
#define UNIBUS_BROKER_AUTH_INTEGRATION_PEER_HELPERS_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include <nlohmann/json.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "broker_auth/testing/stack.h"
#include "common/crypto/identity.h"
#include "common/nats/nats_ptr.h"

namespace unibus::broker_auth::integration {

// Generous deadline for things that should happen promptly (a kick, a feed update).
inline constexpr absl::Duration kEventDeadline = absl::Seconds(10);

// What nats.c reported asynchronously for one connection. Thread-safe.
class PeerEvents {
 public:
  testing::PeerCallbacks Callbacks();

  // Waits until an asynchronous error whose text contains `needle` (case-insensitive) arrived.
  bool WaitForError(const std::string& needle, absl::Duration timeout);
  // Waits until at least `n` disconnects / reconnects were reported, or the close.
  bool WaitForDisconnects(int n, absl::Duration timeout);
  bool WaitForReconnects(int n, absl::Duration timeout);
  bool WaitForClosed(absl::Duration timeout);

  int disconnects() const;
  int reconnects() const;
  bool closed() const;
  std::vector<std::string> errors() const;
  // When the first disconnect / the close was reported (InfinitePast if not yet).
  absl::Time first_disconnect_at() const;
  absl::Time closed_at() const;

 private:
  static void OnError(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure);
  static void OnDisconnected(natsConnection* nc, void* closure);
  static void OnReconnected(natsConnection* nc, void* closure);
  static void OnClosed(natsConnection* nc, void* closure);

  mutable absl::Mutex mu_;
  std::vector<std::string> errors_ ABSL_GUARDED_BY(mu_);
  int disconnects_ ABSL_GUARDED_BY(mu_) = 0;
  int reconnects_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time first_disconnect_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time closed_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// A raw nats.c connection of one identity with its recorded events. The destructor closes the
// connection and waits for the closed callback before freeing the events.
class Peer {
 public:
  static absl::StatusOr<std::unique_ptr<Peer>> Connect(const testing::Stack& stack,
                                                       const common::Identity& identity,
                                                       testing::PeerOptions options = {});
  // To any nats-server of a list (comma-separated), e.g. one node of a cluster.
  static absl::StatusOr<std::unique_ptr<Peer>> Connect(const std::string& nats_urls,
                                                       const common::Identity& identity,
                                                       testing::PeerOptions options = {});
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  natsConnection* nc() const { return nc_; }
  PeerEvents& events() { return *events_; }

  // SUB and a flush (the server's refusal, if any, arrives later as an error).
  absl::StatusOr<common::nats::NatsSubscriptionPtr> Subscribe(const std::string& subject);
  // PUB and a flush.
  absl::Status Publish(const std::string& subject, const std::string& data);

  // Waits for the server's "Permissions Violation for Publish/Subscription to "<subject>"".
  bool WaitForPublishDenied(const std::string& subject, absl::Duration timeout = kEventDeadline);
  bool WaitForSubscribeDenied(const std::string& subject,
                              absl::Duration timeout = kEventDeadline);

 private:
  Peer(std::unique_ptr<PeerEvents> events, natsConnection* nc)
      : events_(std::move(events)), nc_(nc) {}

  std::unique_ptr<PeerEvents> events_;
  natsConnection* nc_;
};

// The next message's payload on `sub`, or NOT_FOUND/DEADLINE_EXCEEDED after `timeout`.
absl::StatusOr<std::string> NextMessage(natsSubscription* sub,
                                        absl::Duration timeout = kEventDeadline);
// Messages already delivered to `sub` and not yet read.
int Pending(natsSubscription* sub);

// A fixture that starts a fresh stack for every test (in a temp dir named after the test) and
// prints unibus-authd's and nats-server's logs when the test failed. Derived fixtures call
// StackPerTest::SetUp() first.
class StackPerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<testing::Stack> stack_;
};

// ---- Control plane (gRPC) ----

// A cleartext room owned by `owner`; its id, or "" after reporting a failure.
std::string CreateCleartextRoom(const control::testing::UnibusdProcess& control,
                                const common::Identity& owner, bool history = true);
grpc::Status AddMember(const control::testing::UnibusdProcess& control,
                       const common::Identity& owner, const std::string& room_id,
                       const common::Identity& member);
grpc::Status RemoveMember(const control::testing::UnibusdProcess& control,
                          const common::Identity& owner, const std::string& room_id,
                          const common::Identity& member);
// As the first admin.
grpc::Status RevokeUser(const control::testing::UnibusdProcess& control,
                        const common::Identity& user);

// ---- Waiting for unibus-authd's view to catch up ----

// Polls fresh connections of `identity` until each of `room_ids` round-trips a message (its
// grants in unibus-authd include those rooms).
absl::Status WaitForRoomAccess(const testing::Stack& stack, const common::Identity& identity,
                               const std::vector<std::string>& room_ids,
                               absl::Duration timeout = kEventDeadline);
// Polls fresh connections until one is refused (PERMISSION_DENIED) / accepted.
absl::Status WaitUntilConnectRefused(const testing::Stack& stack,
                                     const common::Identity& identity,
                                     absl::Duration timeout = kEventDeadline);
absl::Status WaitUntilConnectAccepted(const testing::Stack& stack,
                                      const common::Identity& identity,
                                      absl::Duration timeout = kEventDeadline);

// ---- Raw NATS protocol ----

// A plain TCP connection to nats-server that speaks the text protocol by hand.
class RawNatsSocket {
 public:
  // Connects to 127.0.0.1:`port` and reads the server's INFO.
  static absl::StatusOr<std::unique_ptr<RawNatsSocket>> Open(int port);
  ~RawNatsSocket();

  const nlohmann::json& info() const { return info_; }
  // Sends "CONNECT <connect>\r\nPING\r\n" and returns the server's first answer line ("PONG",
  // "-ERR 'Authorization Violation'", …) without the CRLF.
  absl::StatusOr<std::string> ConnectAndPing(const nlohmann::json& connect);

 private:
  explicit RawNatsSocket(int fd) : fd_(fd) {}
  absl::StatusOr<std::string> ReadLine();

  int fd_;
  std::string buffer_;
  nlohmann::json info_;
};

// base64url (unpadded) of `identity`'s Ed25519 signature over `message`, as nats.c sends it.
std::string SignatureText(const common::Identity& identity, const std::string& message);

// The part of `path` after byte `offset` (for reading a log's new lines).
std::string FileTailFrom(const std::string& path, size_t offset);
size_t FileSize(const std::string& path);
// Polls until the part of `path` after `offset` contains `needle` (case-insensitive).
bool WaitForFileContains(const std::string& path, size_t offset, const std::string& needle,
                         absl::Duration timeout = kEventDeadline);

}  // namespace unibus::broker_auth::integration

#endif  // UNIBUS_BROKER_AUTH_INTEGRATION_PEER_HELPERS_H_
