#include "client/internal/nats_link.h"

#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/nats/nkey_signer.h"
#include "common/nats/subjects.h"

namespace unibus::client::internal {
namespace {

using common::nats::FromNatsStatus;
using common::nats::NatsConnectionPtr;
using common::nats::NatsOptionsPtr;

absl::Duration Jittered(absl::Duration base) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return base + base * std::uniform_real_distribution<double>(0, 1)(rng);
}


}  // namespace

NatsLink::NatsLink(const common::Identity& identity, NatsLinkOptions options)
    : identity_(identity),
      options_(std::move(options)),
      identity_hex_(identity.sign_pub_hex()),
      inbox_(common::nats::InboxPrefix(identity_hex_)) {}

absl::StatusOr<std::unique_ptr<NatsLink>> NatsLink::Connect(const common::Identity& identity,
                                                            NatsLinkOptions options) {
  if (options.urls.empty()) return absl::InvalidArgumentError("no NATS URL given");
  std::unique_ptr<NatsLink> link(new NatsLink(identity, std::move(options)));
  absl::StatusOr<NatsConnectionPtr> conn = link->Dial(false);
  if (!conn.ok()) return conn.status();
  {
    absl::WriterMutexLock lock(&link->conn_mu_);
    link->conn_ = *std::move(conn);
  }
  link->supervisor_ = std::thread([l = link.get()] { l->Supervise(); });
  return link;
}

NatsLink::~NatsLink() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (supervisor_.joinable()) supervisor_.join();
  NatsConnectionPtr conn;
  {
    absl::WriterMutexLock lock(&conn_mu_);
    conn = std::move(conn_);
  }
  conn.reset();
}

absl::StatusOr<NatsConnectionPtr> NatsLink::Dial(bool retry_forever) {
  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) return absl::InternalError("nats options");
  NatsOptionsPtr opts(raw);
  std::vector<const char*> urls;
  bool tls = false;
  for (const std::string& u : options_.urls) {
    urls.push_back(u.c_str());
    tls = tls || absl::StartsWith(u, "tls://");
  }
  natsStatus s = natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = common::nats::SetNKeySigner(opts.get(), identity_.nkey_public(), identity_);
  if (s == NATS_OK) s = natsOptions_SetCustomInboxPrefix(opts.get(), inbox_.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts.get(), options_.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts.get(), -1);
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectWait(opts.get(), absl::ToInt64Milliseconds(options_.reconnect_wait));
  }
  if (s == NATS_OK) {
    int64_t jitter = absl::ToInt64Milliseconds(options_.reconnect_wait);
    s = natsOptions_SetReconnectJitter(opts.get(), jitter, jitter);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetTimeout(opts.get(), absl::ToInt64Milliseconds(options_.connect_timeout));
  }
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts.get(), &NatsLink::OnReconnected, this);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts.get(), &NatsLink::OnClosed, this);
  if (s == NATS_OK && tls) s = natsOptions_SetSecure(opts.get(), true);
  if (s == NATS_OK && tls && !options_.ca_pem.empty()) {
    s = natsOptions_SetCATrustedCertificates(opts.get(), options_.ca_pem.c_str());
  }
  if (s != NATS_OK) return FromNatsStatus(s, "NATS options");
  while (true) {
    natsConnection* nc = nullptr;
    s = natsConnection_Connect(&nc, opts.get());
    if (s == NATS_OK) return NatsConnectionPtr(nc);
    absl::Status failed = FromNatsStatus(s, "connect to NATS");
    if (s == NATS_NO_SERVER) failed = absl::UnavailableError("no NATS server reachable");
    if (!retry_forever) return failed;
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), Jittered(options_.reconnect_wait))) {
      return absl::CancelledError("link stopping");
    }
  }
}

void NatsLink::Supervise() {
  while (true) {
    bool rebuild = false;
    {
      absl::MutexLock lock(&mu_);
      auto work = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || closed_ || pending_reconnects_ > 0;
      };
      mu_.Await(absl::Condition(&work));
      if (stopping_) return;
      rebuild = closed_;
      pending_reconnects_ = 0;
      if (rebuild) {
        // nats.c gave up (e.g. two auth errors in a row while a kicked client's grants are
        // re-read): pause with jitter, then build a new connection.
        if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), Jittered(options_.reconnect_wait))) {
          return;
        }
      }
    }
    if (rebuild) {
      absl::StatusOr<NatsConnectionPtr> fresh = Dial(true);
      if (!fresh.ok()) return;  // stopping
      NatsConnectionPtr old;
      {
        absl::WriterMutexLock lock(&conn_mu_);
        old = std::move(conn_);
        conn_ = *std::move(fresh);
      }
      old.reset();
      {
        absl::MutexLock lock(&mu_);
        ++rebuilds_;
        closed_ = false;
      }
    }
    Notify(rebuild);
  }
}

void NatsLink::Notify(bool rebuilt) {
  absl::ReaderMutexLock conn_lock(&conn_mu_);
  absl::MutexLock lock(&mu_);
  for (Listener* l : listeners_) l->OnConnection(conn_.get(), rebuilt);
}

natsConnection* NatsLink::connection() {
  absl::ReaderMutexLock lock(&conn_mu_);
  return conn_.get();
}

void NatsLink::AddListener(Listener* l) {
  absl::MutexLock lock(&mu_);
  listeners_.insert(l);
}

void NatsLink::RemoveListener(Listener* l) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(l);
}

int NatsLink::rebuilds() const {
  absl::MutexLock lock(&mu_);
  return rebuilds_;
}

int NatsLink::closes() const {
  absl::MutexLock lock(&mu_);
  return closes_;
}

int NatsLink::reconnects() const {
  absl::MutexLock lock(&mu_);
  return reconnects_;
}

void NatsLink::OnReconnected(natsConnection*, void* closure) noexcept {
  auto* self = static_cast<NatsLink*>(closure);
  absl::MutexLock lock(&self->mu_);
  ++self->reconnects_;
  ++self->pending_reconnects_;
}

void NatsLink::OnClosed(natsConnection* nc, void* closure) noexcept {
  auto* self = static_cast<NatsLink*>(closure);
  // Only the live connection counts: the link closes the ones it replaced itself. While a
  // rebuild or shutdown holds the lock, the flag is reset afterwards anyway.
  bool current = true;
  if (self->conn_mu_.ReaderTryLock()) {
    current = self->conn_.get() == nc;
    self->conn_mu_.ReaderUnlock();
  }
  absl::MutexLock lock(&self->mu_);
  if (!self->stopping_ && current) {
    self->closed_ = true;
    ++self->closes_;
  }
}

}  // namespace unibus::client::internal
