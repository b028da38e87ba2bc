#include "broker_auth/feeds/feed_service.h"

#include <iostream>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/hex.h"
#include "common/nats/jetstream_api.h"
#include "common/nats/subjects.h"

namespace unibus::broker_auth::feeds {
namespace {

namespace nats = common::nats;

// The requester and the room named by the subject "ub.feeds.<sign_pub>.<room_id>"; empty
// strings for any other subject.
std::pair<std::string, std::string> RequesterAndRoom(absl::string_view subject) {
  std::string prefix = absl::StrCat(nats::kFeedRequestPrefix, ".");
  if (!absl::StartsWith(subject, prefix)) return {};
  std::vector<absl::string_view> parts = absl::StrSplit(subject.substr(prefix.size()), '.');
  if (parts.size() != 2 || !common::IsLowerHexOfSize(parts[0], 32) ||
      !common::IsLowerHexOfSize(parts[1], 16)) {
    return {};
  }
  return {std::string(parts[0]), std::string(parts[1])};
}

}  // namespace

FeedService::FeedService(const grants::GrantsCache& cache, FeedCounts& counts,
                         const common::Clock& clock, FeedServiceOptions options)
    : cache_(cache),
      options_(options),
      limiter_(options.requests_per_second, options.burst, clock),
      counts_(counts) {}

bool FeedService::MayRead(const grants::GrantsCache& cache, const std::string& sign_pub,
                          const std::string& room_id) {
  std::optional<v1::Grants> grants = cache.Find(sign_pub);
  if (!grants.has_value() || !grants->active()) return false;
  for (const v1::RoomGrant& room : grants->rooms()) {
    if (room.room_id() == room_id) return room.history();
  }
  return false;
}

bool FeedService::Admit(natsConnection* nc, natsMsg* msg) {
  std::string sign_pub = RequesterAndRoom(natsMsg_GetSubject(msg)).first;
  const char* reply = natsMsg_GetReply(msg);
  // Only the requester's own inbox ever hears from us: no reflection into rooms or other inboxes.
  if (sign_pub.empty() || reply == nullptr ||
      !absl::StartsWith(reply, absl::StrCat(nats::InboxPrefix(sign_pub), "."))) {
    return false;
  }
  if (limiter_.Allow(sign_pub)) return true;
  std::string answer = FeedErrorJson(429, "too many feed requests; retry later");
  natsConnection_Publish(nc, reply, answer.data(), static_cast<int>(answer.size()));
  return false;
}

void FeedService::Handle(natsConnection* nc, natsMsg* msg) {
  auto [sign_pub, room_id] = RequesterAndRoom(natsMsg_GetSubject(msg));
  const char* reply = natsMsg_GetReply(msg);
  if (sign_pub.empty() || reply == nullptr) return;  // Admit let none of these through
  std::string answer =
      Open(nc, sign_pub, room_id,
           absl::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
  natsConnection_Publish(nc, reply, answer.data(), static_cast<int>(answer.size()));
}

std::string FeedService::Open(natsConnection* nc, const std::string& sign_pub,
                              const std::string& room_id, absl::string_view body) {
  absl::StatusOr<FeedRequest> request = ParseFeedRequest(body);
  if (!request.ok()) return FeedErrorJson(400, request.status().message());
  if (request->room_id != room_id) {
    return FeedErrorJson(400, "feed request: room_id differs from the request subject's room");
  }
  // The subject proves that the requester's connection holds this room (nats-server let it
  // publish there). A live cache may know better (a removal whose kick is on its way); a cache
  // that is not following the control plane does not, and the connection's grant stands.
  if (cache_.live() && !MayRead(cache_, sign_pub, request->room_id)) {
    return FeedErrorJson(403, "not a member of a room with history of that id");
  }
  if (!counts_.TryAdd(sign_pub)) {
    return FeedErrorJson(429, "too many history feeds open for this identity");
  }
  nats::JetStreamApi api(nc, options_.api_timeout);
  absl::StatusOr<nlohmann::json> created =
      api.Call(ConsumerCreateSubject(sign_pub, *request),
               ConsumerCreateBody(sign_pub, *request, options_.inactive));
  if (!created.ok() || created->contains("error")) {
    absl::Status s = created.ok() ? nats::JetStreamError((*created)["error"], "create consumer")
                                  : created.status();
    std::cerr << "unibus-authd: history feed for " << sign_pub << ": " << s.message() << "\n";
    return FeedErrorJson(503, "room history is unavailable; retry later");
  }
  std::string name = ConsumerName(sign_pub, *request);
  // The membership may have ended while the consumer was being created (see the header).
  if (cache_.live() && !MayRead(cache_, sign_pub, request->room_id)) {
    api.DeleteConsumer(std::string(nats::kRoomStream), name).IgnoreError();
    return FeedErrorJson(403, "not a member of a room with history of that id");
  }
  uint64_t pending = created->contains("num_pending") && (*created)["num_pending"].is_number_unsigned()
                         ? (*created)["num_pending"].get<uint64_t>()
                         : 0;
  return FeedAnswerJson(name, nats::FeedDeliverSubject(sign_pub, request->nonce), pending);
}

}  // namespace unibus::broker_auth::feeds
