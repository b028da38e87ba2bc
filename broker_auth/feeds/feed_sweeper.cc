#include "broker_auth/feeds/feed_sweeper.h"

#include <iostream>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "broker_auth/feeds/feed_request.h"
#include "broker_auth/feeds/feed_service.h"
#include "common/nats/jetstream_api.h"
#include "common/nats/subjects.h"

namespace unibus::broker_auth::feeds {
namespace {

namespace nats = common::nats;

// Deletes `names`; counts those that were there.
int DeleteAll(const nats::JetStreamApi& api, const std::vector<std::string>& names) {
  int deleted = 0;
  for (const std::string& name : names) {
    absl::Status s = api.DeleteConsumer(std::string(nats::kRoomStream), name);
    if (s.ok()) {
      ++deleted;
    } else if (!absl::IsNotFound(s)) {
      std::cerr << "unibus-authd: could not delete history consumer " << name << ": "
                << s.message() << "\n";
    }
  }
  return deleted;
}

}  // namespace

FeedSweeper::FeedSweeper(natsConnection* nc, const grants::GrantsCache& cache,
                         FeedCounts& counts, FeedSweeperOptions options)
    : nc_(nc), cache_(cache), counts_(counts), options_(options) {}

FeedSweeper::~FeedSweeper() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void FeedSweeper::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void FeedSweeper::Changed(const std::string& sign_pub) {
  absl::MutexLock lock(&mu_);
  changed_.insert(sign_pub);
}

absl::StatusOr<int> FeedSweeper::SweepIdentities(
    const absl::flat_hash_set<std::string>& identities) {
  nats::JetStreamApi api(nc_, options_.api_timeout);
  absl::StatusOr<std::vector<std::string>> names =
      api.ConsumerNames(std::string(nats::kRoomStream));
  if (!names.ok()) return names.status();
  std::vector<std::string> doomed;
  for (const std::string& name : *names) {
    std::optional<ConsumerOwner> owner = OwnerOfConsumer(name);
    if (owner.has_value() && identities.contains(owner->sign_pub) &&
        !FeedService::MayRead(cache_, owner->sign_pub, owner->room_id)) {
      doomed.push_back(name);
    }
  }
  return DeleteAll(api, doomed);
}

absl::StatusOr<int> FeedSweeper::SweepAll() {
  if (!cache_.live()) return absl::UnavailableError("memberships are being reloaded");
  nats::JetStreamApi api(nc_, options_.api_timeout);
  absl::StatusOr<std::vector<std::string>> names =
      api.ConsumerNames(std::string(nats::kRoomStream));
  if (!names.ok()) return names.status();
  std::vector<std::string> doomed;
  absl::flat_hash_map<std::string, size_t> per_identity;
  for (const std::string& name : *names) {
    std::optional<ConsumerOwner> owner = OwnerOfConsumer(name);
    if (!owner.has_value() || !FeedService::MayRead(cache_, owner->sign_pub, owner->room_id) ||
        per_identity[owner->sign_pub] >= counts_.limit()) {
      doomed.push_back(name);
    } else {
      ++per_identity[owner->sign_pub];
    }
  }
  counts_.Replace(std::move(per_identity));
  return DeleteAll(api, doomed);
}

void FeedSweeper::Loop() {
  absl::Time next_full = absl::Now() + options_.period;
  while (true) {
    absl::flat_hash_set<std::string> changed;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !changed_.empty();
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), next_full - absl::Now());
      if (stopping_) return;
      changed.swap(changed_);
    }
    absl::StatusOr<int> swept = 0;
    if (!changed.empty()) {
      swept = SweepIdentities(changed);
      if (!swept.ok()) {
        std::cerr << "unibus-authd: history feeds of " << changed.size()
                  << " identities not swept yet (the periodic sweep retries): "
                  << swept.status().message() << "\n";
      }
    } else if (absl::Now() >= next_full) {
      swept = SweepAll();
      next_full = absl::Now() + options_.period;
    }
    if (swept.ok() && *swept > 0) {
      std::cerr << "unibus-authd: deleted " << *swept << " history consumer(s) of ended access\n";
    }
  }
}

}  // namespace unibus::broker_auth::feeds
