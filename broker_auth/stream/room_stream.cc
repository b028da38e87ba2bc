#include "broker_auth/stream/room_stream.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/nats/nats_ptr.h"
#include "common/nats/subjects.h"

namespace unibus::broker_auth::stream {
namespace {

namespace nats = common::nats;
using nlohmann::json;

json ConfigOf(const RoomStreamLimits& limits) {
  return json{
      {"name", std::string(nats::kRoomStream)},
      {"subjects", json::array({std::string(nats::kRoomStreamSubjects)})},
      {"retention", "limits"},
      {"storage", "file"},
      // Full stream: refuse new frames rather than drop other rooms' history; a full room drops
      // its own oldest frames (max_msgs_per_subject evicts within the subject).
      {"discard", "new"},
      {"num_replicas", limits.replicas},
      {"max_age", absl::ToInt64Nanoseconds(limits.max_age)},
      {"max_bytes", limits.max_bytes},
      {"max_msgs_per_subject", limits.max_msgs_per_room},
      {"max_msg_size", limits.max_msg_size},
      {"max_msgs", -1},
      {"max_consumers", limits.max_consumers},
      // Bounds every consumer's life without interest (unibus-authd's feeds use less).
      {"consumer_limits", {{"inactive_threshold", absl::ToInt64Nanoseconds(absl::Minutes(1))}}},
      {"duplicate_window", absl::ToInt64Nanoseconds(absl::Minutes(2))},
      // Nothing is answered on a requester's reply subject: no acknowledgements of publishes
      // (a member could name another room as the reply subject) and no direct gets.
      {"no_ack", true},
      {"allow_direct", false},
      {"deny_delete", true},
      {"deny_purge", true},
  };
}

absl::StatusOr<json> Call(natsConnection* nc, absl::string_view verb, const std::string& body,
                          absl::Duration timeout) {
  std::string subject = absl::StrCat("$JS.API.STREAM.", verb, ".", nats::kRoomStream);
  natsMsg* raw = nullptr;
  natsStatus s = natsConnection_Request(&raw, nc, subject.c_str(), body.data(),
                                        static_cast<int>(body.size()),
                                        absl::ToInt64Milliseconds(timeout));
  if (s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS) {
    return absl::UnavailableError(absl::StrCat("JetStream did not answer ", subject));
  }
  if (s != NATS_OK) return nats::FromNatsStatus(s, subject);
  nats::NatsMsgPtr reply(raw);
  json parsed = json::parse(natsMsg_GetData(raw), natsMsg_GetData(raw) + natsMsg_GetDataLength(raw),
                            nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return absl::UnavailableError("JetStream sent an unreadable reply");
  return parsed;
}

// Settings that copy or feed the stream's messages elsewhere (or feed it from elsewhere): whoever
// holds the stream user's key could add them; none of them is ever ours.
constexpr const char* kForeignSettings[] = {"republish", "sources", "mirror",
                                            "subject_transform"};

// True when every setting we manage already has the wanted value and nothing was added that
// would copy the history elsewhere.
bool Matches(const json& have, const json& want) {
  for (const auto& [key, value] : want.items()) {
    if (!have.contains(key) || have[key] != value) return false;
  }
  for (const char* key : kForeignSettings) {
    if (have.contains(key) && !have[key].is_null()) return false;
  }
  return true;
}

absl::Status ErrorOf(const json& reply, absl::string_view what) {
  const json& e = reply["error"];
  return absl::FailedPreconditionError(absl::StrCat(what, " ", nats::kRoomStream, ": ",
                                                    e.value("description", "refused"), " (",
                                                    e.value("err_code", 0), ")"));
}

}  // namespace

std::string RoomStreamConfigJson(const RoomStreamLimits& limits) {
  return ConfigOf(limits).dump();
}

absl::Status EnsureRoomStream(natsConnection* nc, const RoomStreamLimits& limits,
                              absl::Duration timeout) {
  const json want = ConfigOf(limits);
  absl::StatusOr<json> info = Call(nc, "INFO", "", timeout);
  if (!info.ok()) return info.status();
  const char* verb = "CREATE";
  if (!info->contains("error")) {
    if (info->contains("config") && Matches((*info)["config"], want)) return absl::OkStatus();
    verb = "UPDATE";
  } else if ((*info)["error"].value("err_code", 0) != 10059) {  // 10059: stream not found
    return ErrorOf(*info, "stream info");
  }
  absl::StatusOr<json> done = Call(nc, verb, want.dump(), timeout);
  if (!done.ok()) return done.status();
  if (done->contains("error")) return ErrorOf(*done, absl::AsciiStrToLower(verb));
  return absl::OkStatus();
}

}  // namespace unibus::broker_auth::stream
