// Answers peers' history-feed requests (feed_request.h). The request subject names the requester
// and the room, and nats-server lets a connection publish there only if it was granted that room
// (with history) and is that identity. When the GrantsCache is live it must agree (a removal may
// be fresher than the connection's kick); then the consumer is created on the requester's behalf,
// delivering into its own inbox.
//
// The answer goes to the request's reply subject only when that lies in the requester's own
// inbox; any other reply subject gets no answer and no consumer (a member must not make unibus-authd
// publish into another identity's inbox or a room). Requests are rate limited per identity.
// While the cache is not live (its feed is reconnecting) the connection's grant alone decides: a
// live authd kicks the connection of whoever loses the room, and its reconnect holds no grant
// for it, so a stale cache cannot be used to get a feed of a lost room. A consumer created while
// a change removed the membership is deleted again: the membership is
// re-read after the create, and the change's sweep (FeedSweeper) runs after the cache reflects it,
// so one of the two sees the other.
//
// Thread-safe: Handle runs on RequestListener workers concurrently. Borrows the cache and the
// connection (the feeds user's, whose permissions reach the consumer API of the room stream).
#ifndef UNIBUS_BROKER_AUTH_FEEDS_FEED_SERVICE_H_
#define UNIBUS_BROKER_AUTH_FEEDS_FEED_SERVICE_H_

#include <nats/nats.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker_auth/feeds/feed_counts.h"
#include "broker_auth/feeds/feed_request.h"
#include "broker_auth/grants/grants_cache.h"
#include "common/limits/rate_limiter.h"
#include "common/time/clock.h"

namespace unibus::broker_auth::feeds {

struct FeedServiceOptions {
  absl::Duration inactive = absl::Seconds(30);     // a consumer without interest expires
  absl::Duration api_timeout = absl::Seconds(2);   // JetStream API requests
  double requests_per_second = 20;                 // per identity
  double burst = 200;  // a peer opening feeds of its rooms at start
};

class FeedService {
 public:
  // `counts` (shared with the FeedSweeper, which corrects them) bounds the feeds per identity.
  FeedService(const grants::GrantsCache& cache, FeedCounts& counts, const common::Clock& clock,
              FeedServiceOptions options = {});

  // The RequestListener admission for FeedRequestSubject("*", "*"): drops requests that could get no
  // answer (a foreign reply subject), answers 429 at once to an identity over its rate, and
  // admits the rest. Never blocks.
  bool Admit(natsConnection* nc, natsMsg* msg);
  // The RequestListener handler (admitted requests).
  void Handle(natsConnection* nc, natsMsg* msg);

  // True when `sign_pub` may read `room_id`'s history now (active, member, history on).
  static bool MayRead(const grants::GrantsCache& cache, const std::string& sign_pub,
                      const std::string& room_id);

 private:
  // The answer body for one valid request of `sign_pub`.
  std::string Open(natsConnection* nc, const std::string& sign_pub, const std::string& room_id,
                   absl::string_view body);

  const grants::GrantsCache& cache_;
  const FeedServiceOptions options_;
  common::limits::RateLimiter limiter_;
  FeedCounts& counts_;
};

}  // namespace unibus::broker_auth::feeds

#endif  // UNIBUS_BROKER_AUTH_FEEDS_FEED_SERVICE_H_
