#include "broker_auth/kick/kicker.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace unibus::broker_auth::kick {

Kicker::Kicker(natsConnection* system_connection, ConnectionRegistry& registry,
               absl::Duration recheck)
    : nc_(system_connection), registry_(registry), recheck_(recheck) {
  thread_ = std::thread([this] { RecheckLoop(); });
}

Kicker::~Kicker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

bool Kicker::Publish(const ConnectionRef& ref) {
  std::string subject = absl::StrCat("$SYS.REQ.SERVER.", ref.server_id, ".KICK");
  std::string body = absl::StrCat("{\"cid\":", ref.client_id, "}");
  // nats-server ignores $SYS.REQ.SERVER requests that carry no reply subject (zReq returns
  // before acting), so the kick needs one even though nobody reads the answer.
  natsInbox* reply = nullptr;
  if (natsInbox_Create(&reply) != NATS_OK) return false;
  bool sent =
      natsConnection_PublishRequestString(nc_, subject.c_str(), reply, body.c_str()) == NATS_OK;
  natsInbox_Destroy(reply);
  return sent;
}

int Kicker::KickIdentity(const std::string& sign_pub, uint64_t generation) {
  Recheck recheck{absl::Now() + recheck_, sign_pub, generation, {}};
  int sent = 0;
  for (ConnectionRef& ref : registry_.Take(sign_pub)) {
    if (Publish(ref)) ++sent;
    if (ref.generation < generation) recheck.again.push_back(std::move(ref));
  }
  if (sent > 0) {
    natsConnection_FlushTimeout(nc_, 1000);
    std::cerr << "unibus-authd: kicked " << sent << " connection(s) of " << sign_pub << "\n";
  }
  absl::MutexLock lock(&mu_);
  pending_.push_back(std::move(recheck));
  return sent;
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
      if (pending_.empty() || pending_.front().due > absl::Now()) continue;
      next = std::move(pending_.front());
      pending_.pop_front();
    }
    std::vector<ConnectionRef> stale = registry_.TakeOlderThan(next.sign_pub, next.generation);
    stale.insert(stale.end(), next.again.begin(), next.again.end());
    for (const ConnectionRef& ref : stale) Publish(ref);
    if (!stale.empty()) natsConnection_FlushTimeout(nc_, 1000);
  }
}

}  // namespace unibus::broker_auth::kick
