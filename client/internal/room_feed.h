// Delivers the raw frames of one room, in order, across reconnects, kicks and rebuilt
// connections.
//
// Rooms with history: a JetStream push consumer on stream UB_ROOMS filtered to the room subject,
// which unibus-authd creates on this identity's behalf when asked on its feed request subject
// (peers hold no JetStream API: docs/frames.md §10), ack none, flow control and idle heartbeats,
// delivered to a subject in the identity's private inbox. The
// feed tracks the stream and consumer sequences itself: after a reconnect, a gap in consumer
// sequences or missing heartbeats it creates a new consumer starting right after the last stream
// sequence it delivered, so no stored frame is lost and none is delivered twice (old consumers
// expire on the server after their inactivity threshold).
// Rooms without history: a core subscription on the room's live subject.
//
// The handler runs on a nats.c delivery thread, one frame at a time, never concurrently for one
// feed. Thread-safe; destroying the feed waits for a running handler to return.
#ifndef UNIBUS_CLIENT_INTERNAL_ROOM_FEED_H_
#define UNIBUS_CLIENT_INTERNAL_ROOM_FEED_H_

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/internal/nats_link.h"
#include "common/nats/nats_ptr.h"

namespace unibus::client::internal {

struct RawFrame {
  absl::string_view data;
  uint64_t stream_seq = 0;  // 0 for rooms without history
  absl::Time at;            // JetStream store time, or local receive time for live frames
  absl::string_view msg_id;  // the Nats-Msg-Id it was stored with (history rooms), or empty
};

struct RoomFeedOptions {
  std::string room_id;
  bool history = true;
  // History rooms: deliver stream sequences after this one (0: see `from_start`).
  uint64_t after_seq = 0;
  // History rooms without after_seq: everything stored (true), or frames stored from
  // `new_since` on (false). A time rather than "deliver new", so that frames sent while the
  // first consumer could not be created yet (e.g. during the kick that follows being added to
  // the room) are not missed.
  bool from_start = false;
  absl::Time new_since = absl::Now();
  absl::Duration heartbeat = absl::Seconds(2);
  absl::Duration request_timeout = absl::Seconds(2);
};

class RoomFeed : public NatsLink::Listener {
 public:
  using Handler = std::function<void(const RawFrame&)>;
  // Problems the application should hear of (e.g. PERMISSION_DENIED: no access any more); the
  // feed keeps retrying.
  using ErrorHandler = std::function<void(const absl::Status&)>;

  // Subscribes and, for history rooms, creates the first consumer. Errors: PERMISSION_DENIED
  // (not allowed on this room's subjects), UNAVAILABLE.
  static absl::StatusOr<std::unique_ptr<RoomFeed>> Start(NatsLink& link, RoomFeedOptions options,
                                                         Handler on_frame, ErrorHandler on_error);
  ~RoomFeed() override;

  void OnConnection(natsConnection* nc, bool rebuilt) override;

  uint64_t last_seq() const;
  int consumers_created() const;

 private:
  RoomFeed(NatsLink& link, RoomFeedOptions options, Handler on_frame, ErrorHandler on_error);
  absl::Status Subscribe(natsConnection* nc);
  bool has_subscription() const;
  absl::Status CreateConsumer(natsConnection* nc);
  void OnMessage(natsMsg* msg);
  void OnStatusMessage(natsConnection* nc, natsMsg* msg);
  void Watch();

  static void OnMsg(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure) noexcept;
  static void OnComplete(void* closure) noexcept;

  NatsLink& link_;
  const RoomFeedOptions options_;
  const Handler on_frame_;
  const ErrorHandler on_error_;

  mutable absl::Mutex mu_;
  common::nats::NatsSubscriptionPtr sub_ ABSL_GUARDED_BY(mu_);
  std::string nonce_ ABSL_GUARDED_BY(mu_);     // names the current deliver subject
  std::string consumer_ ABSL_GUARDED_BY(mu_);  // name of the consumer we accept frames from
  uint64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_cseq_ ABSL_GUARDED_BY(mu_) = 1;
  bool need_consumer_ ABSL_GUARDED_BY(mu_) = false;
  bool reported_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int consumers_created_ ABSL_GUARDED_BY(mu_) = 0;
  int live_subs_ ABSL_GUARDED_BY(mu_) = 0;  // subscriptions whose delivery has not completed
  absl::Time last_activity_ ABSL_GUARDED_BY(mu_);
  absl::Mutex deliver_mu_;  // serializes handler calls across old and new subscriptions
  std::thread watcher_;
};

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_ROOM_FEED_H_
