#include "common/nats/jetstream_api.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/nats/nats_ptr.h"

namespace unibus::common::nats {
namespace {

using nlohmann::json;


constexpr int kNoMessageFound = 10037;
constexpr int kWrongLastSequence = 10071;
constexpr int kInsufficientResources = 10023;
constexpr int kStorageExceeded = 10047;
constexpr int kStoreFailed = 10077;
constexpr int kConsumerNotFound = 10014;  // e.g. "maximum bytes exceeded" on a discard-new stream

int64_t TimeoutMs(absl::Duration timeout) { return absl::ToInt64Milliseconds(timeout); }

// Any failure to get an answer is UNAVAILABLE: the caller must not read it as "absent".
absl::Status NoAnswer(natsStatus s, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", natsStatus_GetText(s)));
}

absl::StatusOr<json> ParseReply(natsMsg* reply, absl::string_view what) {
  const char* data = natsMsg_GetData(reply);
  json parsed = json::parse(data, data + natsMsg_GetDataLength(reply), nullptr,
                            /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return absl::UnavailableError(absl::StrCat(what, ": JetStream sent an unreadable reply"));
  }
  return parsed;
}

uint64_t UnsignedField(const json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_number_unsigned()
             ? object[key].get<uint64_t>()
             : 0;
}

const json& ObjectField(const json& object, const char* key) {
  static const json* const kEmpty = new json(json::object());
  return object.is_object() && object.contains(key) && object[key].is_object() ? object[key]
                                                                                 : *kEmpty;
}

}  // namespace

int JetStreamErrCode(const json& error) {
  return error.is_object() && error.contains("err_code") && error["err_code"].is_number()
             ? error["err_code"].get<int>()
             : 0;
}

absl::Status JetStreamError(const json& error, absl::string_view what) {
  int code = JetStreamErrCode(error);
  std::string description =
      error.is_object() && error.contains("description") && error["description"].is_string()
          ? error["description"].get<std::string>()
          : "refused";
  std::string message = absl::StrCat(what, ": ", description, " (", code, ")");
  if (code == kWrongLastSequence) return absl::AbortedError(message);
  if (code == kInsufficientResources || code == kStorageExceeded ||
      (code == kStoreFailed && absl::StrContains(description, "maximum"))) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::UnavailableError(message);
}

absl::StatusOr<json> JetStreamApi::Call(const std::string& subject,
                                        const std::string& body) const {
  natsMsg* raw = nullptr;
  natsStatus s = natsConnection_Request(&raw, connection_, subject.c_str(), body.data(),
                                        static_cast<int>(body.size()), TimeoutMs(timeout_));
  if (s != NATS_OK) return NoAnswer(s, subject);
  NatsMsgPtr reply(raw);
  return ParseReply(raw, subject);
}

absl::StatusOr<std::optional<StoredMsg>> JetStreamApi::Get(const std::string& stream,
                                                           const json& request) const {
  absl::StatusOr<json> reply = Call(absl::StrCat("$JS.API.STREAM.MSG.GET.", stream), request.dump());
  if (!reply.ok()) return reply.status();
  if (reply->contains("error")) {
    if (JetStreamErrCode((*reply)["error"]) == kNoMessageFound) return std::optional<StoredMsg>();
    return JetStreamError((*reply)["error"], "get message");
  }
  const json& m = ObjectField(*reply, "message");
  if (!m.is_object() || !m.contains("seq") || !m["seq"].is_number_unsigned() ||
      !m.contains("subject") || !m["subject"].is_string()) {
    return absl::UnavailableError("get message: JetStream sent an unreadable message");
  }
  StoredMsg msg;
  msg.seq = m["seq"].get<uint64_t>();
  msg.subject = m["subject"].get<std::string>();
  if (m.contains("data") && m["data"].is_string() &&
      !absl::Base64Unescape(m["data"].get<std::string>(), &msg.data)) {
    return absl::UnavailableError("get message: JetStream sent undecodable data");
  }
  std::string error;
  if (!m.contains("time") || !m["time"].is_string() ||
      !absl::ParseTime(absl::RFC3339_full, m["time"].get<std::string>(), &msg.time, &error)) {
    msg.time = absl::InfinitePast();
  }
  return std::optional<StoredMsg>(std::move(msg));
}

absl::StatusOr<std::optional<StoredMsg>> JetStreamApi::GetLast(const std::string& stream,
                                                               const std::string& subject) const {
  return Get(stream, json{{"last_by_subj", subject}});
}

absl::StatusOr<std::optional<StoredMsg>> JetStreamApi::GetNext(const std::string& stream,
                                                               const std::string& subject,
                                                               uint64_t from_seq) const {
  return Get(stream, json{{"seq", from_seq}, {"next_by_subj", subject}});
}

absl::StatusOr<uint64_t> JetStreamApi::Publish(
    const std::string& subject, absl::string_view data,
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::optional<uint64_t> expected_last_subject_seq) const {
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, data.data(),
                                static_cast<int>(data.size()));
  if (s != NATS_OK) return FromNatsStatus(s, "create a message");
  NatsMsgPtr msg(raw);
  for (const auto& [key, value] : headers) {
    s = natsMsgHeader_Set(raw, key.c_str(), value.c_str());
    if (s != NATS_OK) return FromNatsStatus(s, "set a message header");
  }
  if (expected_last_subject_seq.has_value()) {
    std::string seq = absl::StrCat(*expected_last_subject_seq);
    s = natsMsgHeader_Set(raw, "Nats-Expected-Last-Subject-Sequence", seq.c_str());
    if (s != NATS_OK) return FromNatsStatus(s, "set a message header");
  }
  natsMsg* ack_raw = nullptr;
  s = natsConnection_RequestMsg(&ack_raw, connection_, raw, TimeoutMs(timeout_));
  if (s != NATS_OK) return NoAnswer(s, "publish to the object store");
  NatsMsgPtr ack(ack_raw);
  absl::StatusOr<json> reply = ParseReply(ack_raw, "publish to the object store");
  if (!reply.ok()) return reply.status();
  if (reply->contains("error")) return JetStreamError((*reply)["error"], "publish");
  if (!reply->contains("seq") || !(*reply)["seq"].is_number_unsigned()) {
    return absl::UnavailableError("publish: JetStream sent an unreadable acknowledgement");
  }
  return (*reply)["seq"].get<uint64_t>();
}

absl::Status JetStreamApi::Purge(const std::string& stream, const std::string& subject) const {
  absl::StatusOr<json> reply =
      Call(absl::StrCat("$JS.API.STREAM.PURGE.", stream), json{{"filter", subject}}.dump());
  if (!reply.ok()) return reply.status();
  if (reply->contains("error")) return JetStreamError((*reply)["error"], "purge");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> JetStreamApi::Subjects(const std::string& stream,
                                                                const std::string& filter) const {
  std::vector<std::string> subjects;
  // The server pages the subjects map; "total" counts them all.
  for (;;) {
    absl::StatusOr<json> reply =
        Call(absl::StrCat("$JS.API.STREAM.INFO.", stream),
             json{{"subjects_filter", filter}, {"offset", subjects.size()}}.dump());
    if (!reply.ok()) return reply.status();
    if (reply->contains("error")) return JetStreamError((*reply)["error"], "stream info");
    const json& page = ObjectField(ObjectField(*reply, "state"), "subjects");
    for (const auto& [subject, count] : page.items()) subjects.push_back(subject);
    uint64_t total = UnsignedField(*reply, "total");
    if (page.empty() || subjects.size() >= total) return subjects;
  }
}

absl::StatusOr<std::vector<std::string>> JetStreamApi::ConsumerNames(
    const std::string& stream, const std::string& subject) const {
  std::vector<std::string> names;
  for (;;) {
    json request = {{"offset", names.size()}};
    if (!subject.empty()) request["subject"] = subject;
    absl::StatusOr<json> reply =
        Call(absl::StrCat("$JS.API.CONSUMER.NAMES.", stream), request.dump());
    if (!reply.ok()) return reply.status();
    if (reply->contains("error")) return JetStreamError((*reply)["error"], "consumer names");
    const json& page = (*reply)["consumers"];
    if (!page.is_array()) return names;
    for (const json& name : page) {
      if (name.is_string()) names.push_back(name.get<std::string>());
    }
    if (page.empty() || names.size() >= UnsignedField(*reply, "total")) return names;
  }
}

absl::Status JetStreamApi::DeleteConsumer(const std::string& stream,
                                          const std::string& name) const {
  absl::StatusOr<json> reply =
      Call(absl::StrCat("$JS.API.CONSUMER.DELETE.", stream, ".", name), "");
  if (!reply.ok()) return reply.status();
  if (!reply->contains("error")) return absl::OkStatus();
  if (JetStreamErrCode((*reply)["error"]) == kConsumerNotFound) {
    return absl::NotFoundError(absl::StrCat("no consumer ", name));
  }
  return JetStreamError((*reply)["error"], "delete consumer");
}

absl::StatusOr<uint64_t> JetStreamApi::MessageCount(const std::string& stream) const {
  absl::StatusOr<json> reply = Call(absl::StrCat("$JS.API.STREAM.INFO.", stream), "");
  if (!reply.ok()) return reply.status();
  if (reply->contains("error")) return JetStreamError((*reply)["error"], "stream info");
  return UnsignedField(ObjectField(*reply, "state"), "messages");
}

}  // namespace unibus::common::nats
