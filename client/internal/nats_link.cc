#include "client/internal/nats_link.h"

#include <algorithm>
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
  std::vector<std::shared_ptr<Callbacks>> callbacks;
  {
    absl::MutexLock lock(&mu_);
    callbacks.swap(callbacks_);
  }
  for (const std::shared_ptr<Callbacks>& cb : callbacks) {
    cb->closed.WaitForNotificationWithTimeout(absl::Seconds(10));
    absl::MutexLock lock(&cb->mu);
    cb->link = nullptr;  // a callback that never came may still come: it will find no link
  }
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
  // In the order given (ClientOptions::nats_urls), not nats.c's default shuffle.
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(opts.get(), true);
  if (s == NATS_OK) s = common::nats::SetNKeySigner(opts.get(), identity_.nkey_public(), identity_);
  if (s == NATS_OK) s = natsOptions_SetCustomInboxPrefix(opts.get(), inbox_.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts.get(), options_.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts.get(), -1);
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts.get(), options_.send_asap);
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
  auto callbacks = std::make_shared<Callbacks>();
  {
    absl::MutexLock lock(&callbacks->mu);
    callbacks->link = this;
  }
  // Owned by the connection's closed callback (or freed here if no connection is made).
  auto* holder = new std::shared_ptr<Callbacks>(callbacks);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts.get(), &NatsLink::OnReconnected, holder);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts.get(), &NatsLink::OnClosed, holder);
  if (s == NATS_OK && tls) s = natsOptions_SetSecure(opts.get(), true);
  if (s == NATS_OK && tls && !options_.ca_pem.empty()) {
    s = natsOptions_SetCATrustedCertificates(opts.get(), options_.ca_pem.c_str());
  }
  if (s != NATS_OK) {
    delete holder;
    return FromNatsStatus(s, "NATS options");
  }
  int zero_byte_refusals = common::nats::ZeroByteSignaturesRefused();
  int zero_byte_retries = 0;
  while (true) {
    natsConnection* nc = nullptr;
    s = natsConnection_Connect(&nc, opts.get());
    if (s == NATS_OK) {
      absl::MutexLock lock(&mu_);
      // Forget connections whose closed callback already ran.
      callbacks_.erase(std::remove_if(callbacks_.begin(), callbacks_.end(),
                                      [](const std::shared_ptr<Callbacks>& cb) {
                                        return cb->closed.HasBeenNotified();
                                      }),
                       callbacks_.end());
      callbacks_.push_back(callbacks);
      return NatsConnectionPtr(nc);
    }
    // A connection that was never made runs no callback (nats.c releases it at once).
    absl::Status failed = FromNatsStatus(s, "connect to NATS");
    if (s == NATS_NO_SERVER) failed = absl::UnavailableError("no NATS server reachable");
    // The nkey signer refuses a nonce signature starting with a zero byte (1 in 256): that
    // attempt is retried at once with a new nonce.
    bool zero_byte = common::nats::ZeroByteSignaturesRefused() != zero_byte_refusals;
    zero_byte_refusals = common::nats::ZeroByteSignaturesRefused();
    if (zero_byte && ++zero_byte_retries < 8) continue;
    if (!retry_forever) {
      delete holder;
      return failed;
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), Jittered(options_.reconnect_wait))) {
      delete holder;
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

void NatsLink::HandleReconnected() {
  absl::MutexLock lock(&mu_);
  ++reconnects_;
  ++pending_reconnects_;
}

void NatsLink::HandleClosed(natsConnection* nc) {
  // Only the live connection counts: the link closes the ones it replaced itself. While a
  // rebuild or shutdown holds the lock, the flag is reset afterwards anyway.
  bool current = true;
  if (conn_mu_.ReaderTryLock()) {
    current = conn_.get() == nc;
    conn_mu_.ReaderUnlock();
  }
  absl::MutexLock lock(&mu_);
  if (!stopping_ && current) {
    closed_ = true;
    ++closes_;
  }
}

void NatsLink::OnReconnected(natsConnection*, void* closure) noexcept {
  std::shared_ptr<Callbacks> cb = *static_cast<std::shared_ptr<Callbacks>*>(closure);
  absl::MutexLock lock(&cb->mu);
  if (cb->link != nullptr) cb->link->HandleReconnected();
}

void NatsLink::OnClosed(natsConnection* nc, void* closure) noexcept {
  auto* holder = static_cast<std::shared_ptr<Callbacks>*>(closure);
  std::shared_ptr<Callbacks> cb = *holder;  // keeps the Callbacks alive until we return
  delete holder;                             // nats.c runs no callback after this one
  {
    absl::MutexLock lock(&cb->mu);
    if (cb->link != nullptr) cb->link->HandleClosed(nc);
  }
  cb->closed.Notify();
}

}  // namespace unibus::client::internal
