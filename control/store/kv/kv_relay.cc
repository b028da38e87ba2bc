// KvStore: the relay that publishes outboxes whose publish failed after their record committed.
#include <iostream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "control/store/kv/kv_records.pb.h"
#include "control/store/kv/kv_store.h"

namespace unibus::control::store {
namespace {

constexpr absl::Duration kRetryEvery = absl::Milliseconds(500);
constexpr absl::Duration kRecoverEvery = absl::Seconds(60);

}  // namespace

void KvStore::NotePending(const std::string& key) {
  absl::MutexLock lock(&relay_mu_);
  pending_.insert(key);
}

void KvStore::StartRelay() {
  relay_ = std::thread([this] { Relay(); });
}

KvStore::~KvStore() {
  {
    absl::MutexLock lock(&relay_mu_);
    stopping_ = true;
  }
  if (relay_.joinable()) relay_.join();
}

void KvStore::Relay() {
  absl::Time next_recover = absl::Now() + kRecoverEvery;
  while (true) {
    std::vector<std::string> keys;
    {
      absl::MutexLock lock(&relay_mu_);
      relay_mu_.AwaitWithTimeout(absl::Condition(&stopping_), kRetryEvery);
      if (stopping_) return;
      keys.assign(pending_.begin(), pending_.end());
    }
    for (const std::string& key : keys) {
      if (!Settle(key).ok()) continue;
      absl::MutexLock lock(&relay_mu_);
      pending_.erase(key);
    }
    if (absl::Now() > next_recover) {
      // Outboxes of processes that died between their commit and their publish.
      if (absl::Status s = Recover(); !s.ok()) {
        std::cerr << "kv_store: recovering pending changes: " << s.message() << "\n";
      }
      next_recover = absl::Now() + kRecoverEvery;
    }
  }
}

void KvStore::AnnounceUser(const std::string& key, kv::UserRecord record, uint64_t revision) {
  if (!Publish(record.outbox()).ok()) {
    NotePending(key);
    return;
  }
  record.clear_outbox();
  (void)bucket_->Cas(key, record.SerializeAsString(), revision);
}

absl::Status KvStore::Settle(const std::string& key) {
  if (absl::StartsWith(key, "u.")) {
    absl::StatusOr<Loaded<kv::UserRecord>> loaded = Load<kv::UserRecord>(key);
    if (!loaded.ok()) return loaded.status();
    if (!loaded->found || loaded->record.outbox().changes_size() == 0) return absl::OkStatus();
    if (absl::Status s = Publish(loaded->record.outbox()); !s.ok()) return s;
    loaded->record.clear_outbox();
    (void)bucket_->Cas(key, loaded->record.SerializeAsString(), loaded->revision);
    return absl::OkStatus();
  }
  absl::StatusOr<Loaded<kv::RoomRecord>> loaded = Load<kv::RoomRecord>(key);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->found) return absl::OkStatus();
  if (absl::Status s = Publish(loaded->record.outbox()); !s.ok()) return s;
  if (loaded->record.deleted()) {
    FinishDelete(loaded->record, loaded->revision);
  } else if (loaded->record.outbox().changes_size() > 0) {
    loaded->record.clear_outbox();
    (void)bucket_->Cas(key, loaded->record.SerializeAsString(), loaded->revision);
  }
  return absl::OkStatus();
}

}  // namespace unibus::control::store
