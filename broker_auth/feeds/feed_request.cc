#include "broker_auth/feeds/feed_request.h"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/hex.h"
#include "common/nats/subjects.h"

namespace unibus::broker_auth::feeds {
namespace {

namespace nats = common::nats;
using nlohmann::json;

constexpr size_t kRoomIdBytes = 16;
constexpr size_t kNonceBytes = 12;
constexpr size_t kSignPubBytes = 32;

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("feed request: ", what));
}

absl::Status ParseStart(const json& j, FeedRequest* r) {
  if (j.contains("after_seq")) {
    if (!j["after_seq"].is_number_unsigned() || j["after_seq"].get<uint64_t>() == 0) {
      return Bad("after_seq must be a positive integer");
    }
    r->start = FeedRequest::Start::kAfterSeq;
    r->after_seq = j["after_seq"].get<uint64_t>();
  } else if (j.contains("all")) {
    if (j["all"] != true) return Bad("all must be true when given");
    r->start = FeedRequest::Start::kAll;
  } else if (j.contains("since_ns")) {
    if (!j["since_ns"].is_number_integer() || j["since_ns"].get<int64_t>() < 0) {
      return Bad("since_ns must be a non-negative integer");
    }
    r->start = FeedRequest::Start::kSince;
    r->since = absl::FromUnixNanos(j["since_ns"].get<int64_t>());
  } else {
    return Bad("one of after_seq, all or since_ns is required");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FeedRequest> ParseFeedRequest(absl::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Bad("not a JSON object");
  FeedRequest r;
  if (!j.contains("room_id") || !j["room_id"].is_string() ||
      !common::IsLowerHexOfSize(j["room_id"].get<std::string>(), kRoomIdBytes)) {
    return Bad("room_id must be 32 lowercase hex digits");
  }
  r.room_id = j["room_id"].get<std::string>();
  if (!j.contains("nonce") || !j["nonce"].is_string() ||
      !common::IsLowerHexOfSize(j["nonce"].get<std::string>(), kNonceBytes)) {
    return Bad("nonce must be 24 lowercase hex digits");
  }
  r.nonce = j["nonce"].get<std::string>();
  if (absl::Status s = ParseStart(j, &r); !s.ok()) return s;
  if (j.contains("heartbeat_ms")) {
    if (!j["heartbeat_ms"].is_number_integer()) return Bad("heartbeat_ms must be an integer");
    int64_t ms = std::clamp<int64_t>(j["heartbeat_ms"].get<int64_t>(), 1000, 30000);
    r.heartbeat = absl::Milliseconds(ms);
  }
  return r;
}

std::string FeedRequestJson(const FeedRequest& r) {
  json j = {{"room_id", r.room_id},
            {"nonce", r.nonce},
            {"heartbeat_ms", absl::ToInt64Milliseconds(r.heartbeat)}};
  switch (r.start) {
    case FeedRequest::Start::kAfterSeq:
      j["after_seq"] = r.after_seq;
      break;
    case FeedRequest::Start::kAll:
      j["all"] = true;
      break;
    case FeedRequest::Start::kSince:
      j["since_ns"] = absl::ToUnixNanos(r.since);
      break;
  }
  return j.dump();
}

std::string ConsumerName(absl::string_view sign_pub, const FeedRequest& r) {
  return absl::StrCat(sign_pub, "_", r.room_id, "_", r.nonce);
}

std::optional<ConsumerOwner> OwnerOfConsumer(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '_');
  if (parts.size() != 3 || !common::IsLowerHexOfSize(parts[0], kSignPubBytes) ||
      !common::IsLowerHexOfSize(parts[1], kRoomIdBytes) ||
      !common::IsLowerHexOfSize(parts[2], kNonceBytes)) {
    return std::nullopt;
  }
  return ConsumerOwner{std::string(parts[0]), std::string(parts[1])};
}

std::string ConsumerCreateSubject(absl::string_view sign_pub, const FeedRequest& r) {
  return absl::StrCat("$JS.API.CONSUMER.CREATE.", nats::kRoomStream, ".",
                      ConsumerName(sign_pub, r), ".", nats::RoomSubject(r.room_id));
}

std::string ConsumerCreateBody(absl::string_view sign_pub, const FeedRequest& r,
                               absl::Duration inactive) {
  json config = {
      {"name", ConsumerName(sign_pub, r)},
      {"deliver_subject", nats::FeedDeliverSubject(sign_pub, r.nonce)},
      {"filter_subject", nats::RoomSubject(r.room_id)},
      {"ack_policy", "none"},
      {"replay_policy", "instant"},
      {"flow_control", true},
      {"idle_heartbeat", absl::ToInt64Nanoseconds(r.heartbeat)},
      {"mem_storage", true},
      {"num_replicas", 1},
      {"inactive_threshold", absl::ToInt64Nanoseconds(inactive)},
  };
  switch (r.start) {
    case FeedRequest::Start::kAfterSeq:
      config["deliver_policy"] = "by_start_sequence";
      config["opt_start_seq"] = r.after_seq + 1;
      break;
    case FeedRequest::Start::kAll:
      config["deliver_policy"] = "all";
      break;
    case FeedRequest::Start::kSince:
      config["deliver_policy"] = "by_start_time";
      config["opt_start_time"] =
          absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", r.since, absl::UTCTimeZone());
      break;
  }
  return json{{"stream_name", std::string(nats::kRoomStream)}, {"config", config}}.dump();
}

std::string FeedAnswerJson(absl::string_view consumer, absl::string_view deliver_subject,
                           uint64_t num_pending) {
  return json{{"consumer", std::string(consumer)},
              {"deliver_subject", std::string(deliver_subject)},
              {"num_pending", num_pending}}
      .dump();
}

std::string FeedErrorJson(int code, absl::string_view description) {
  return json{{"error", {{"code", code}, {"description", std::string(description)}}}}.dump();
}

}  // namespace unibus::broker_auth::feeds
