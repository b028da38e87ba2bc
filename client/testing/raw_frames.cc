#include "client/testing/raw_frames.h"

#include <nlohmann/json.hpp>
#include <algorithm>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/nats/subjects.h"

namespace unibus::client::testing {
namespace {

namespace nats = common::nats;
using nlohmann::json;

std::string RandomName() {
  std::random_device rd;
  return absl::StrCat(absl::Hex(rd(), absl::kZeroPad8), absl::Hex(rd(), absl::kZeroPad8),
                      absl::Hex(rd(), absl::kZeroPad8));  // a 24-hex feed nonce
}

std::string Header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) return "";
  return value;
}

// The "pending" count in a pushed message's $JS.ACK reply subject (v1: 9 tokens, v2: 11+).
bool PendingOf(const char* reply, uint64_t* pending) {
  if (reply == nullptr) return false;
  std::vector<absl::string_view> t = absl::StrSplit(reply, '.');
  if (t.size() < 9 || t[0] != "$JS" || t[1] != "ACK") return false;
  size_t index = t.size() == 9 ? 8 : 10;
  return index < t.size() && absl::SimpleAtoi(t[index], pending);
}

// Asks unibus-authd for a feed of every stored frame of `room_id` (the only way members read
// history), delivered to FeedDeliverSubject(identity, nonce). Returns its pending count.
absl::StatusOr<uint64_t> CreateHistoryConsumer(natsConnection* nc, const std::string& identity_hex,
                                               const std::string& nonce,
                                               const std::string& room_id,
                                               absl::Duration timeout) {
  std::string body = json{{"room_id", room_id}, {"nonce", nonce}, {"all", true}}.dump();
  std::string subject = nats::FeedRequestSubject(identity_hex, room_id);
  natsMsg* raw = nullptr;
  natsStatus ns = natsConnection_Request(&raw, nc, subject.c_str(), body.data(),
                                         static_cast<int>(body.size()),
                                         absl::ToInt64Milliseconds(timeout));
  if (ns != NATS_OK) return nats::FromNatsStatus(ns, "ask for a history feed");
  nats::NatsMsgPtr reply(raw);
  json r = json::parse(natsMsg_GetData(raw), natsMsg_GetData(raw) + natsMsg_GetDataLength(raw),
                       nullptr, false);
  if (!r.is_object() || r.contains("error")) {
    return absl::PermissionDeniedError(
        absl::StrCat("history feed refused: ",
                     absl::string_view(natsMsg_GetData(raw), natsMsg_GetDataLength(raw))));
  }
  return r.value("num_pending", uint64_t{0});
}

}  // namespace

absl::StatusOr<std::unique_ptr<RawCapture>> RawCapture::Start(natsConnection* nc,
                                                              const std::string& subject) {
  std::unique_ptr<RawCapture> capture(new RawCapture());
  natsSubscription* raw = nullptr;
  natsStatus s = natsConnection_Subscribe(&raw, nc, subject.c_str(), &RawCapture::OnMsg,
                                          capture.get());
  if (s != NATS_OK) return nats::FromNatsStatus(s, "subscribe");
  capture->sub_.reset(raw);
  s = natsConnection_FlushTimeout(nc, 5000);
  if (s != NATS_OK) return nats::FromNatsStatus(s, "flush");
  return capture;
}

RawCapture::~RawCapture() {
  if (sub_ == nullptr) return;
  // Drain, then wait: a running callback uses this object. (On a closed connection nothing runs.)
  if (natsSubscription_Drain(sub_.get()) == NATS_OK) {
    natsSubscription_WaitForDrainCompletion(sub_.get(), 2000);
  }
  natsSubscription_Destroy(sub_.release());
}

void RawCapture::OnMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) noexcept {
  nats::NatsMsgPtr owned(msg);
  auto* self = static_cast<RawCapture*>(closure);
  absl::MutexLock lock(&self->mu_);
  self->frames_.emplace_back(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
}

std::vector<std::string> RawCapture::Wait(size_t n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return frames_.size() >= n; };
  mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  return frames_;
}

std::vector<std::string> RawCapture::frames() {
  absl::MutexLock lock(&mu_);
  return frames_;
}

absl::Status PublishStored(natsConnection* nc, const std::string& subject,
                           const std::string& data, absl::Duration timeout) {
  natsStatus s = natsConnection_Publish(nc, subject.c_str(), data.data(),
                                        static_cast<int>(data.size()));
  if (s == NATS_OK) s = natsConnection_FlushTimeout(nc, absl::ToInt64Milliseconds(timeout));
  return nats::FromNatsStatus(s, "publish");
}

absl::StatusOr<std::vector<std::string>> ReadRoomHistory(natsConnection* nc,
                                                         const std::string& identity_hex,
                                                         const std::string& room_id,
                                                         absl::Duration timeout) {
  std::string name = RandomName();
  std::string deliver = nats::FeedDeliverSubject(identity_hex, name);
  natsSubscription* raw_sub = nullptr;
  natsStatus ns = natsConnection_SubscribeSync(&raw_sub, nc, deliver.c_str());
  if (ns != NATS_OK) return nats::FromNatsStatus(ns, "subscribe");
  nats::NatsSubscriptionPtr sub(raw_sub);
  natsSubscription_SetPendingLimits(raw_sub, -1, -1);
  absl::StatusOr<uint64_t> pending_at_start =
      CreateHistoryConsumer(nc, identity_hex, name, room_id, std::min(timeout, absl::Seconds(5)));
  if (!pending_at_start.ok()) return pending_at_start.status();
  // Nothing pending at creation: either the room is empty, or everything was pushed already
  // (then it is in the subscription's queue and arrives before a timeout).
  const bool empty = *pending_at_start == 0;
  std::vector<std::string> frames;
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    natsMsg* m = nullptr;
    ns = natsSubscription_NextMsg(&m, raw_sub, 500);
    if (ns == NATS_TIMEOUT) {
      if (empty && frames.empty()) return frames;
      continue;
    }
    if (ns != NATS_OK) return nats::FromNatsStatus(ns, "history");
    nats::NatsMsgPtr msg(m);
    if (!Header(m, "Status").empty()) continue;  // heartbeat / flow control
    frames.emplace_back(natsMsg_GetData(m), natsMsg_GetDataLength(m));
    uint64_t pending = 0;
    if (PendingOf(natsMsg_GetReply(m), &pending) && pending == 0) return frames;
  }
  return absl::DeadlineExceededError(
      absl::StrCat("history incomplete after ", frames.size(), " frames"));
}

absl::StatusOr<common::nats::NatsConnectionPtr> ConnectMember(
    const broker_auth::testing::Stack& stack, const common::Identity& identity,
    const std::vector<std::string>& room_ids, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Status last = absl::DeadlineExceededError("no attempt");
  while (absl::Now() < deadline) {
    absl::StatusOr<common::nats::NatsConnectionPtr> nc = stack.ConnectPeer(identity);
    if (!nc.ok()) {
      last = nc.status();
      absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    bool all = true;
    for (const std::string& room_id : room_ids) {
      absl::StatusOr<std::vector<std::string>> history =
          ReadRoomHistory(nc->get(), identity.sign_pub_hex(), room_id, absl::Seconds(2));
      if (!history.ok()) {
        last = history.status();
        all = false;
        break;
      }
    }
    if (all) return nc;
  }
  return last;
}

}  // namespace unibus::client::testing
