// A live subscription to one room, returned by Client::Subscribe. Destroying it stops delivery
// (waiting for a running callback to return) and saves the room's delivery state.
//
// Callbacks run on a library thread, one at a time per subscription, in stream order; different
// subscriptions may call back concurrently. A callback must not destroy its own Subscription.
#ifndef UNIBUS_CLIENT_SUBSCRIPTION_H_
#define UNIBUS_CLIENT_SUBSCRIPTION_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "client/message.h"

namespace unibus::client {

enum class StartAt {
  kNew,     // frames published from now on
  kAll,     // everything the room's history still holds, then new frames
  kResume,  // after the last frame this identity delivered (state_dir), else like kNew
};

struct SubscribeOptions {
  StartAt start = StartAt::kResume;
  // Deliver at most this many messages, then ignore the rest without recording them, so that a
  // later kResume starts right after the last one delivered (0: no limit).
  uint64_t max_messages = 0;
  std::function<void(const Message&)> on_message;
  // Frames dropped by the checks (forged, replayed, stale epoch, ...) and lost access to the
  // room; delivery goes on. Optional.
  std::function<void(const absl::Status&)> on_error;
};

// Counters since the subscription started.
struct SubscriptionStats {
  uint64_t delivered = 0;
  uint64_t duplicates = 0;  // redelivered or replayed (sender, counter) pairs
  uint64_t rejected = 0;    // malformed, forged, unsigned in a signing room, undecryptable
  uint64_t stale_epoch = 0; // previous epochs past the grace window, or unknown epochs
};

class Subscription {
 public:
  virtual ~Subscription() = default;
  virtual SubscriptionStats stats() const = 0;
  // The JetStream sequence of the last delivered frame (rooms with history), else 0.
  virtual uint64_t last_seq() const = 0;
  // Writes the delivery state to state_dir now (also done every second and on destruction).
  virtual absl::Status SaveState() = 0;
};

}  // namespace unibus::client

#endif  // UNIBUS_CLIENT_SUBSCRIPTION_H_
