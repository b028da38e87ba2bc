// The history-feed protocol between peers and unibus-authd (docs/frames.md §10).
//
// Peers hold no JetStream API permission at all: JetStream acts on a requester's behalf without
// checking what it then publishes (a push consumer's deliver subject is not checked against its
// creator's permissions, and every API request is answered on whatever reply subject it names),
// so any granted API form would let a member deliver into other rooms or keep reading after its
// membership ended. Instead a member asks unibus-authd on FeedRequestSubject(own key, room) and authd,
// after checking the membership, creates the consumer itself with a deliver subject inside the
// member's own inbox and a name that records whose it is, so that it can be deleted the moment
// the membership ends (FeedSweeper).
//
// The request body is JSON: {"room_id": 32 hex, "nonce": 24 hex, "heartbeat_ms": n} and one of
// {"after_seq": n > 0} (resume after that stream sequence), {"all": true} (everything stored),
// {"since_ns": unix nanoseconds} (stored from then on). The answer is
// {"consumer": name, "deliver_subject": subject, "num_pending": stored frames it will deliver} or {"error": {"code": n, "description": text}}
// with code 400 (bad request), 403 (not a member of that room with history), 429 (too many
// requests) or 503 (JetStream unavailable).
//
// Pure functions; thread-safe.
#ifndef UNIBUS_BROKER_AUTH_FEEDS_FEED_REQUEST_H_
#define UNIBUS_BROKER_AUTH_FEEDS_FEED_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace unibus::broker_auth::feeds {

struct FeedRequest {
  enum class Start { kAfterSeq, kAll, kSince };
  std::string room_id;  // 32 lowercase hex
  std::string nonce;    // 24 lowercase hex, chosen by the peer; names its deliver subject
  Start start = Start::kSince;
  uint64_t after_seq = 0;
  absl::Time since;
  absl::Duration heartbeat = absl::Seconds(2);  // clamped to [1 s, 30 s]
};

// INVALID_ARGUMENT naming the first bad field.
absl::StatusOr<FeedRequest> ParseFeedRequest(absl::string_view body);
std::string FeedRequestJson(const FeedRequest& request);

// Consumer names record their owner: "<sign_pub>_<room_id>_<nonce>".
std::string ConsumerName(absl::string_view sign_pub, const FeedRequest& request);
struct ConsumerOwner {
  std::string sign_pub;
  std::string room_id;
};
// nullopt for a name of any other form.
std::optional<ConsumerOwner> OwnerOfConsumer(absl::string_view name);

// The $JS.API.CONSUMER.CREATE subject and body for `sign_pub`'s feed: a push consumer filtered
// to the room, delivered to FeedDeliverSubject(sign_pub, nonce), ack none, flow control and
// heartbeats, in memory, one replica, gone after `inactive` without interest.
std::string ConsumerCreateSubject(absl::string_view sign_pub, const FeedRequest& request);
std::string ConsumerCreateBody(absl::string_view sign_pub, const FeedRequest& request,
                               absl::Duration inactive);

// The answers.
std::string FeedAnswerJson(absl::string_view consumer, absl::string_view deliver_subject,
                           uint64_t num_pending);
std::string FeedErrorJson(int code, absl::string_view description);

}  // namespace unibus::broker_auth::feeds

#endif  // UNIBUS_BROKER_AUTH_FEEDS_FEED_REQUEST_H_
