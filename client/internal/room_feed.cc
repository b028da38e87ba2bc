#include "client/internal/room_feed.h"

#include <sodium.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/hex.h"
#include "common/nats/subjects.h"

namespace unibus::client::internal {
namespace {

namespace nats = common::nats;
using nlohmann::json;

constexpr absl::Duration kInactiveThreshold = absl::Seconds(30);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

std::string RandomName() {
  std::string bytes(12, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return common::HexEncode(bytes);
}

// The metadata JetStream puts in a pushed message's reply subject:
//   $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>            (v1)
//   $JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>[.x]
struct AckInfo {
  std::string consumer;
  uint64_t sseq = 0;
  uint64_t cseq = 0;
  int64_t stored_ns = 0;
};

bool ParseAck(absl::string_view reply, AckInfo* out) {
  std::vector<absl::string_view> t = absl::StrSplit(reply, '.');
  if (t.size() < 9 || t[0] != "$JS" || t[1] != "ACK") return false;
  size_t base = t.size() == 9 ? 2 : 4;
  if (t.size() != 9 && t.size() < 11) return false;
  out->consumer = std::string(t[base + 1]);
  return absl::SimpleAtoi(t[base + 3], &out->sseq) && absl::SimpleAtoi(t[base + 4], &out->cseq) &&
         absl::SimpleAtoi(t[base + 5], &out->stored_ns);
}

std::string Header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) return "";
  return value;
}

}  // namespace

RoomFeed::RoomFeed(NatsLink& link, RoomFeedOptions options, Handler on_frame,
                   ErrorHandler on_error)
    : link_(link),
      options_(std::move(options)),
      on_frame_(std::move(on_frame)),
      on_error_(std::move(on_error)) {
  last_seq_ = options_.after_seq;
  last_activity_ = absl::Now();
}

absl::StatusOr<std::unique_ptr<RoomFeed>> RoomFeed::Start(NatsLink& link, RoomFeedOptions options,
                                                          Handler on_frame,
                                                          ErrorHandler on_error) {
  const bool history = options.history;
  std::unique_ptr<RoomFeed> feed(
      new RoomFeed(link, std::move(options), std::move(on_frame), std::move(on_error)));
  absl::Status s = link.WithConnection([&](natsConnection* nc) { return feed->Subscribe(nc); });
  // A history consumer that cannot be created yet (e.g. the grants of a just-added member are
  // still being refreshed after its kick) is retried by the watcher and reported if it persists.
  if (!s.ok() && !(history && feed->has_subscription())) return s;
  link.AddListener(feed.get());
  feed->watcher_ = std::thread([f = feed.get()] { f->Watch(); });
  return feed;
}

RoomFeed::~RoomFeed() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
  link_.RemoveListener(this);
  common::nats::NatsSubscriptionPtr sub;
  {
    absl::MutexLock lock(&mu_);
    sub = std::move(sub_);
  }
  // Unsubscribe without the lock: nats.c may report completion (OnComplete) right away.
  if (sub != nullptr) natsSubscription_Unsubscribe(sub.get());
  {
    // A handler may still be running on a nats.c thread: wait until every subscription has
    // finished delivering (bounded, in case a connection is already gone).
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return live_subs_ == 0; };
    mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(5));
  }
  sub.reset();
}

absl::Status RoomFeed::Subscribe(natsConnection* nc) {
  std::string subject;
  std::string name;
  if (options_.history) {
    name = RandomName();
    subject = absl::StrCat(nats::InboxPrefix(link_.identity_hex()), ".feed.", name);
  } else {
    subject = nats::FrameSubject(options_.room_id, false);
  }
  natsSubscription* raw = nullptr;
  natsStatus ns = natsConnection_Subscribe(&raw, nc, subject.c_str(), &RoomFeed::OnMsg, this);
  if (ns != NATS_OK) return nats::FromNatsStatus(ns, "subscribe");
  natsSubscription_SetPendingLimits(raw, -1, 256 << 20);
  natsSubscription_SetOnCompleteCB(raw, &RoomFeed::OnComplete, this);
  nats::NatsSubscriptionPtr old;
  {
    absl::MutexLock lock(&mu_);
    old = std::move(sub_);
    sub_.reset(raw);
    ++live_subs_;
    consumer_ = name;
    next_cseq_ = 1;
    last_activity_ = absl::Now();
  }
  old.reset();  // unsubscribes: the old consumer loses interest and expires on the server
  if (!options_.history) return nats::FromNatsStatus(natsConnection_Flush(nc), "subscribe");
  absl::Status s = CreateConsumer(nc);
  absl::MutexLock lock(&mu_);
  need_consumer_ = !s.ok();
  return s;
}

absl::Status RoomFeed::CreateConsumer(natsConnection* nc) {
  std::string subject = nats::RoomSubject(options_.room_id);
  json config = {
      {"deliver_subject", ""},
      {"filter_subject", subject},
      {"ack_policy", "none"},
      {"replay_policy", "instant"},
      {"flow_control", true},
      {"idle_heartbeat", absl::ToInt64Nanoseconds(options_.heartbeat)},
      {"mem_storage", true},
      {"num_replicas", 1},
      {"inactive_threshold", absl::ToInt64Nanoseconds(kInactiveThreshold)},
  };
  bool resumed = false;
  {
    absl::MutexLock lock(&mu_);
    config["name"] = consumer_;
    config["deliver_subject"] = std::string(natsSubscription_GetSubject(sub_.get()));
    resumed = last_seq_ > 0;
    if (resumed) {
      config["deliver_policy"] = "by_start_sequence";
      config["opt_start_seq"] = last_seq_ + 1;
    } else {
      if (options_.from_start) {
        config["deliver_policy"] = "all";
      } else {
        config["deliver_policy"] = "by_start_time";
        config["opt_start_time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", options_.new_since,
                                                    absl::UTCTimeZone());
      }
    }
  }
  std::string body = json{{"stream_name", std::string(nats::kRoomStream)}, {"config", config}}.dump();
  std::string api = absl::StrCat("$JS.API.CONSUMER.CREATE.", nats::kRoomStream, ".",
                                 config["name"].get<std::string>(), ".", subject);
  natsMsg* raw = nullptr;
  natsStatus ns = natsConnection_Request(&raw, nc, api.c_str(), body.data(),
                                         static_cast<int>(body.size()),
                                         absl::ToInt64Milliseconds(options_.request_timeout));
  if (ns == NATS_TIMEOUT || ns == NATS_NO_RESPONDERS) {
    return absl::UnavailableError("room history is not reachable (not a member any more?)");
  }
  if (ns != NATS_OK) return nats::FromNatsStatus(ns, "create history consumer");
  nats::NatsMsgPtr reply(raw);
  json r = json::parse(natsMsg_GetData(raw), natsMsg_GetData(raw) + natsMsg_GetDataLength(raw),
                       nullptr, false);
  if (!r.is_object()) return absl::UnavailableError("unreadable JetStream reply");
  if (r.contains("error")) {
    int code = r["error"].value("code", 0);
    std::string text = r["error"].value("description", "refused");
    if (code == 403) return absl::PermissionDeniedError(text);
    return absl::UnavailableError(absl::StrCat("room history: ", text));
  }
  absl::MutexLock lock(&mu_);
  ++consumers_created_;
  return absl::OkStatus();
}

void RoomFeed::OnMsg(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) noexcept {
  nats::NatsMsgPtr owned(msg);
  auto* self = static_cast<RoomFeed*>(closure);
  if (Header(msg, "Status") == "100") return self->OnStatusMessage(nc, msg);
  self->OnMessage(msg);
}

void RoomFeed::OnStatusMessage(natsConnection* nc, natsMsg* msg) {
  // Flow control asks for an empty reply; a heartbeat may carry a stalled-consumer subject.
  if (const char* reply = natsMsg_GetReply(msg); reply != nullptr && reply[0] != '\0') {
    natsConnection_Publish(nc, reply, nullptr, 0);
  }
  std::string stalled = Header(msg, "Nats-Consumer-Stalled");
  if (!stalled.empty()) natsConnection_Publish(nc, stalled.c_str(), nullptr, 0);
  std::string last = Header(msg, "Nats-Last-Consumer");
  absl::MutexLock lock(&mu_);
  last_activity_ = absl::Now();
  uint64_t server_cseq = 0;
  if (!last.empty() && absl::SimpleAtoi(last, &server_cseq) && server_cseq + 1 != next_cseq_ &&
      server_cseq >= next_cseq_) {
    need_consumer_ = true;  // frames were pushed that never reached us
  }
}

void RoomFeed::OnMessage(natsMsg* msg) {
  RawFrame frame;
  frame.data = absl::string_view(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  frame.at = absl::Now();
  absl::MutexLock deliver(&deliver_mu_);
  if (options_.history) {
    AckInfo ack;
    const char* reply = natsMsg_GetReply(msg);
    if (reply == nullptr || !ParseAck(reply, &ack)) return;
    absl::MutexLock lock(&mu_);
    if (ack.consumer != consumer_) return;  // from a consumer we replaced
    last_activity_ = absl::Now();
    if (ack.cseq != next_cseq_) {
      need_consumer_ = true;  // a gap: resume from the last delivered sequence
      return;
    }
    ++next_cseq_;
    if (ack.sseq <= last_seq_) return;  // already delivered
    last_seq_ = ack.sseq;
    frame.stream_seq = ack.sseq;
    frame.at = absl::FromUnixNanos(ack.stored_ns);
  }
  on_frame_(frame);
}

void RoomFeed::OnComplete(void* closure) noexcept {
  auto* self = static_cast<RoomFeed*>(closure);
  absl::MutexLock lock(&self->mu_);
  --self->live_subs_;
}

void RoomFeed::OnConnection(natsConnection*, bool rebuilt) {
  absl::MutexLock lock(&mu_);
  // History: always resume with a fresh consumer (pushes during the outage are lost to the old
  // one). Live rooms: nats.c re-subscribes by itself unless the connection is new.
  if (options_.history || rebuilt) need_consumer_ = true;
}

void RoomFeed::Watch() {
  absl::Duration backoff = absl::Milliseconds(100);
  absl::Time next_try = absl::InfinitePast();
  while (true) {
    bool due = false;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(100))) return;
      bool stalled = options_.history && absl::Now() - last_activity_ > 3 * options_.heartbeat;
      due = (need_consumer_ || stalled) && absl::Now() >= next_try;
    }
    if (!due) continue;
    absl::Status s = link_.WithConnection([this](natsConnection* nc) { return Subscribe(nc); });
    bool report = false;
    {
      absl::MutexLock lock(&mu_);
      need_consumer_ = !s.ok();
      if (s.ok()) {
        backoff = absl::Milliseconds(100);
        reported_ = false;
      } else {
        next_try = absl::Now() + backoff;
        backoff = std::min(backoff * 2, kMaxBackoff);
        report = !reported_;
        reported_ = true;
      }
    }
    if (report && on_error_) on_error_(s);
  }
}

bool RoomFeed::has_subscription() const {
  absl::MutexLock lock(&mu_);
  return sub_ != nullptr;
}

uint64_t RoomFeed::last_seq() const {
  absl::MutexLock lock(&mu_);
  return last_seq_;
}

int RoomFeed::consumers_created() const {
  absl::MutexLock lock(&mu_);
  return consumers_created_;
}

}  // namespace unibus::client::internal
