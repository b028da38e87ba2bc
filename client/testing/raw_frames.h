// Test helpers that handle frames as raw bytes on a raw nats.c connection (e.g. one from
// broker_auth::testing::Stack::ConnectPeer), bypassing libunibus: what an attacker or a curious
// member holding valid NATS grants can see and publish.
#ifndef UNIBUS_CLIENT_TESTING_RAW_FRAMES_H_
#define UNIBUS_CLIENT_TESTING_RAW_FRAMES_H_

#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker_auth/testing/stack.h"
#include "common/crypto/identity.h"
#include "common/nats/nats_ptr.h"

namespace unibus::client::testing {

// Keeps the bytes of every message a core subscription on `subject` receives.
// The connection must outlive the capture. Thread-safe (nats.c calls back on its own thread).
class RawCapture {
 public:
  // Subscribes and flushes. Errors are nats.c's (a permission violation for the subscription is
  // asynchronous in NATS, so a subscription the grants refuse still "succeeds" here: receive a
  // probe frame to be sure it is live).
  static absl::StatusOr<std::unique_ptr<RawCapture>> Start(natsConnection* nc,
                                                           const std::string& subject);
  ~RawCapture();

  // Blocks until `n` messages arrived or `timeout` passed; returns everything so far.
  std::vector<std::string> Wait(size_t n, absl::Duration timeout = absl::Seconds(10));
  std::vector<std::string> frames();

 private:
  RawCapture() = default;
  static void OnMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) noexcept;

  absl::Mutex mu_;
  std::vector<std::string> frames_ ABSL_GUARDED_BY(mu_);
  common::nats::NatsSubscriptionPtr sub_;
};

// Publishes `data` on a stored room subject and flushes (the room stream acknowledges nothing).
// The server has queued it for the stream before the flush returns, so a frame another
// connection publishes afterwards is stored after it.
absl::Status PublishStored(natsConnection* nc, const std::string& subject,
                           const std::string& data, absl::Duration timeout = absl::Seconds(5));

// Every frame the history stream holds for `room_id`, raw, in stream order, read through a
// history feed unibus-authd creates for this connection's identity `identity_hex` (delivered
// into its private inbox).
absl::StatusOr<std::vector<std::string>> ReadRoomHistory(
    natsConnection* nc, const std::string& identity_hex, const std::string& room_id,
    absl::Duration timeout = absl::Seconds(10));

// A raw connection of `identity` whose grants already cover every room in `room_ids` (histories
// readable). A member who was just added is kicked and re-authorized while unibus-authd refreshes
// its grants, so this reconnects until a history read of each room is allowed (or `timeout`).
absl::StatusOr<common::nats::NatsConnectionPtr> ConnectMember(
    const broker_auth::testing::Stack& stack, const common::Identity& identity,
    const std::vector<std::string>& room_ids, absl::Duration timeout = absl::Seconds(20));

}  // namespace unibus::client::testing

#endif  // UNIBUS_CLIENT_TESTING_RAW_FRAMES_H_
