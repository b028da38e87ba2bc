#include "client/internal/room_feed.h"

#include <sodium.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/hex.h"
#include "common/nats/subjects.h"

namespace unibus::client::internal {
namespace {

namespace nats = common::nats;
using nlohmann::json;

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
    subject = nats::FeedDeliverSubject(link_.identity_hex(), name);
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
    nonce_ = name;
    // unibus-authd names the consumer after its owner, room and our nonce (docs/frames.md §10);
    // it may deliver before its answer arrives.
    consumer_ = options_.history
                    ? absl::StrCat(link_.identity_hex(), "_", options_.room_id, "_", name)
                    : "";
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
  json request = {{"room_id", options_.room_id},
                  {"heartbeat_ms", absl::ToInt64Milliseconds(options_.heartbeat)}};
  {
    absl::MutexLock lock(&mu_);
    request["nonce"] = nonce_;
    if (last_seq_ > 0) {
      request["after_seq"] = last_seq_;
    } else if (options_.from_start) {
      request["all"] = true;
    } else {
      request["since_ns"] = absl::ToUnixNanos(options_.new_since);
    }
  }
  std::string body = request.dump();
  std::string subject = nats::FeedRequestSubject(link_.identity_hex(), options_.room_id);
  natsMsg* raw = nullptr;
  natsStatus ns = natsConnection_Request(&raw, nc, subject.c_str(), body.data(),
                                         static_cast<int>(body.size()),
                                         absl::ToInt64Milliseconds(options_.request_timeout));
  if (ns == NATS_TIMEOUT || ns == NATS_NO_RESPONDERS) {
    return absl::UnavailableError("room history is not reachable (unibus-authd down?)");
  }
  if (ns != NATS_OK) return nats::FromNatsStatus(ns, "ask for the room's history");
  nats::NatsMsgPtr reply(raw);
  json r = json::parse(natsMsg_GetData(raw), natsMsg_GetData(raw) + natsMsg_GetDataLength(raw),
                       nullptr, false);
  if (!r.is_object()) return absl::UnavailableError("unreadable history feed answer");
  if (r.contains("error") || !r.contains("consumer") || !r["consumer"].is_string()) {
    int code = r.contains("error") ? r["error"].value("code", 0) : 0;
    std::string text = r.contains("error") ? r["error"].value("description", "refused") : "refused";
    if (code == 403) return absl::PermissionDeniedError(absl::StrCat("room history: ", text));
    if (code == 400) return absl::InvalidArgumentError(absl::StrCat("room history: ", text));
    return absl::UnavailableError(absl::StrCat("room history: ", text));
  }
  absl::MutexLock lock(&mu_);
  if (r["consumer"].get<std::string>() != consumer_) {
    return absl::UnavailableError("room history: unexpected consumer name");
  }
  ++consumers_created_;
  return absl::OkStatus();
}

void RoomFeed::OnMsg(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) noexcept {
  nats::NatsMsgPtr owned(msg);
  auto* self = static_cast<RoomFeed*>(closure);
  // Status messages count only on a history feed: it is in this identity's own inbox, where only
  // JetStream (for consumers unibus-authd made for us) delivers. On a live room subject any
  // member could publish one, to make every receiver publish where it names. And a member can
  // STORE a message with status headers, which JetStream then pushes like any frame, with a
  // $JS.ACK reply subject: only JetStream's own status messages come without one (heartbeats) or
  // with a flow-control reply.
  const char* reply = natsMsg_GetReply(msg);
  bool stored = reply != nullptr && absl::StartsWith(reply, "$JS.ACK.");
  if (self->options_.history && !stored && Header(msg, "Status") == "100" &&
      natsMsg_GetDataLength(msg) == 0) {
    return self->OnStatusMessage(nc, msg);
  }
  self->OnMessage(msg);
}

void RoomFeed::OnStatusMessage(natsConnection* nc, natsMsg* msg) {
  // Flow control asks for an empty reply; a heartbeat may carry a stalled-consumer subject. Both
  // are JetStream flow-control subjects; nothing else is ever answered.
  auto flow_control = [](absl::string_view subject) {
    return absl::StartsWith(subject, absl::StrCat("$JS.FC.", nats::kRoomStream, "."));
  };
  if (const char* reply = natsMsg_GetReply(msg); reply != nullptr && flow_control(reply)) {
    natsConnection_Publish(nc, reply, nullptr, 0);
  }
  std::string stalled = Header(msg, "Nats-Consumer-Stalled");
  if (flow_control(stalled)) natsConnection_Publish(nc, stalled.c_str(), nullptr, 0);
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
  std::string msg_id = Header(msg, "Nats-Msg-Id");
  frame.msg_id = msg_id;
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
