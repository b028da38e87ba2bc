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
                         FeedSweeperOptions options)
    : nc_(nc), cache_(cache), options_(options) {}

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

absl::StatusOr<int> FeedSweeper::SweepIdentity(const std::string& sign_pub,
                                               const std::string& room_id) {
  nats::JetStreamApi api(nc_, options_.api_timeout);
  absl::StatusOr<std::vector<std::string>> names = api.ConsumerNames(
      std::string(nats::kRoomStream), room_id.empty() ? "" : nats::RoomSubject(room_id));
  if (!names.ok()) return names.status();
  std::vector<std::string> doomed;
  for (const std::string& name : *names) {
    std::optional<ConsumerOwner> owner = OwnerOfConsumer(name);
    if (owner.has_value() && owner->sign_pub == sign_pub &&
        !FeedService::MayRead(cache_, sign_pub, owner->room_id)) {
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
        ++per_identity[owner->sign_pub] > options_.max_per_identity) {
      doomed.push_back(name);
    }
  }
  return DeleteAll(api, doomed);
}

void FeedSweeper::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.period)) return;
    }
    absl::StatusOr<int> swept = SweepAll();
    if (swept.ok() && *swept > 0) {
      std::cerr << "unibus-authd: deleted " << *swept << " history consumer(s) of ended access\n";
    }
  }
}

}  // namespace unibus::broker_auth::feeds
