#include "broker_auth/kick/kicker.h"

#include <iostream>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker_auth/kick/connz.h"
#include "common/crypto/hex.h"
#include "common/crypto/nkeys.h"

namespace unibus::broker_auth::kick {
namespace {

constexpr int kPage = 1024;
constexpr absl::Duration kQueryLifetime = absl::Seconds(10);

}  // namespace

Kicker::Kicker(natsConnection* system_connection, KickerOptions options)
    : nc_(system_connection), options_(std::move(options)) {
  thread_ = std::thread([this] { RecheckLoop(); });
}

Kicker::~Kicker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
  if (sub_ != nullptr) {
    natsSubscription_Unsubscribe(sub_.get());
    sub_.reset();
  }
}

absl::Status Kicker::Start() {
  std::string subject = absl::StrCat(options_.inbox, ".q.*");
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_Subscribe(&sub, nc_, subject.c_str(), &Kicker::OnAnswer, this);
  if (s != NATS_OK) return common::nats::FromNatsStatus(s, "subscribe to connection queries");
  sub_.reset(sub);
  natsSubscription_SetPendingLimits(sub, -1, -1);
  return common::nats::FromNatsStatus(natsConnection_Flush(nc_), "flush subscription");
}

void Kicker::KickIdentity(const std::string& sign_pub) {
  std::optional<std::string> key = common::HexDecode(sign_pub);
  if (!key.has_value() || key->size() != 32) return;
  std::string nkey = common::nkeys::EncodePublic(common::nkeys::KeyType::kUser, *key);
  absl::Time changed = absl::Now();
  Ask(nkey, changed);
  absl::MutexLock lock(&mu_);
  pending_.push_back({changed + options_.recheck, nkey, changed});
}

void Kicker::KickEveryone() {
  absl::Time changed = absl::Now();
  Ask("", changed);
  absl::MutexLock lock(&mu_);
  pending_.push_back({changed + options_.recheck, "", changed});
}

uint64_t Kicker::kicks_sent() const {
  absl::MutexLock lock(&mu_);
  return kicks_sent_;
}

void Kicker::Ask(const std::string& user_nkey, absl::Time changed) {
  absl::Time now = absl::Now();
  Query query{user_nkey, now - changed, now + kQueryLifetime};
  uint64_t id = 0;
  {
    absl::MutexLock lock(&mu_);
    id = next_id_++;
    queries_[id] = query;
  }
  Send(id, query, "PING", 0);
}

void Kicker::Send(uint64_t id, const Query& query, const std::string& server_id,
                  uint64_t offset) {
  std::string subject = absl::StrCat("$SYS.REQ.SERVER.", server_id, ".CONNZ");
  std::string reply = absl::StrCat(options_.inbox, ".q.", id);
  std::string body = ConnzRequestJson(query.user_nkey,
                                      query.user_nkey.empty() ? options_.peer_account : "",
                                      offset, kPage);
  natsStatus s = natsConnection_PublishRequestString(nc_, subject.c_str(), reply.c_str(),
                                                     body.c_str());
  if (s != NATS_OK) {
    std::cerr << "unibus-authd: connection query not sent: " << natsStatus_GetText(s) << "\n";
  }
}

void Kicker::OnAnswer(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) noexcept {
  common::nats::NatsMsgPtr owned(msg);
  static_cast<Kicker*>(closure)->Answer(msg);
}

void Kicker::Answer(natsMsg* msg) {
  absl::string_view subject = natsMsg_GetSubject(msg);
  uint64_t id = 0;
  if (!absl::SimpleAtoi(subject.substr(subject.rfind('.') + 1), &id)) return;
  Query query;
  {
    absl::MutexLock lock(&mu_);
    auto it = queries_.find(id);
    if (it == queries_.end()) return;
    query = it->second;
  }
  absl::StatusOr<ServerConnections> answer = ParseConnz(
      absl::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))),
      kPage);
  if (!answer.ok()) {
    std::cerr << "unibus-authd: connection query: " << answer.status().message() << "\n";
    return;
  }
  std::string kick = absl::StrCat("$SYS.REQ.SERVER.", answer->server_id, ".KICK");
  // nats-server ignores $SYS.REQ.SERVER requests without a reply subject; nobody reads it.
  std::string reply = absl::StrCat(options_.inbox, ".kicked");
  int sent = 0;
  for (const ServerConnections::Connection& c : answer->connections) {
    if (c.age < query.threshold) continue;  // started after the change: fresh grants
    if (absl::c_linear_search(options_.spared_users, c.user)) continue;
    std::string body = absl::StrCat("{\"cid\":", c.cid, "}");
    if (natsConnection_PublishRequestString(nc_, kick.c_str(), reply.c_str(), body.c_str()) ==
        NATS_OK) {
      ++sent;
    }
  }
  if (answer->more) {
    // The next page. Kicked connections leave the list meanwhile, so it may skip some: the
    // recheck asks again from the start.
    Send(id, query, answer->server_id, answer->offset + answer->connections.size());
  }
  if (sent == 0) return;
  {
    absl::MutexLock lock(&mu_);
    kicks_sent_ += sent;
  }
  std::cerr << "unibus-authd: kicked " << sent << " connection(s)"
            << (query.user_nkey.empty() ? " of every peer" : " of " + query.user_nkey) << " on "
            << answer->server_id << "\n";
}

void Kicker::RecheckLoop() {
  while (true) {
    Recheck next;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || (!pending_.empty() && pending_.front().due <= absl::Now());
      };
      absl::Duration wait =
          pending_.empty() ? absl::Seconds(1) : pending_.front().due - absl::Now();
      mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
      if (stopping_) return;
      absl::Time now = absl::Now();
      absl::erase_if(queries_, [now](const auto& q) { return q.second.expires < now; });
      if (pending_.empty() || pending_.front().due > now) continue;
      next = std::move(pending_.front());
      pending_.pop_front();
    }
    Ask(next.user_nkey, next.changed);
  }
}

}  // namespace unibus::broker_auth::kick
