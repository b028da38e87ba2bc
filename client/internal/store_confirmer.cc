#include "client/internal/store_confirmer.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"

namespace unibus::client::internal {

// How far back a room's first confirming feed starts: covers a client clock ahead of the
// server's by less than this (stored frames carry the server's time).
constexpr absl::Duration kClockSlack = absl::Seconds(10);

StoreConfirmer::~StoreConfirmer() {
  absl::flat_hash_map<std::string, std::unique_ptr<RoomFeed>> feeds;
  {
    absl::MutexLock lock(&feeds_mu_);
    feeds = std::move(feeds_);
  }
  feeds.clear();  // outside the lock: a feed's destructor waits for its handler
}

absl::Status StoreConfirmer::Expect(const std::string& room_id, const std::string& msg_id) {
  {
    absl::MutexLock lock(&mu_);
    expected_.try_emplace(msg_id, false);
  }
  absl::MutexLock lock(&feeds_mu_);
  if (feeds_.contains(room_id)) return absl::OkStatus();
  RoomFeedOptions options;
  options.room_id = room_id;
  options.history = true;
  options.new_since = absl::Now() - kClockSlack;
  absl::StatusOr<std::unique_ptr<RoomFeed>> feed = RoomFeed::Start(
      link_, std::move(options), [this](const RawFrame& frame) { Seen(frame); }, nullptr);
  if (!feed.ok()) return feed.status();
  feeds_.emplace(room_id, *std::move(feed));
  return absl::OkStatus();
}

void StoreConfirmer::Seen(const RawFrame& frame) {
  if (frame.msg_id.empty()) return;
  {
    absl::MutexLock lock(&mu_);
    if (!expected_.contains(frame.msg_id)) return;
  }
  // Anyone in the room may store anything under an id it saw go by: only our own bytes count.
  if (!absl::EndsWith(frame.msg_id, absl::StrCat("-", StoredFrameDigest(frame.data)))) return;
  absl::MutexLock lock(&mu_);
  auto it = expected_.find(frame.msg_id);
  if (it != expected_.end()) it->second = true;
}

std::string StoredFrameDigest(absl::string_view frame) {
  return common::Sha256Hex(frame).substr(0, 32);
}

bool StoreConfirmer::Wait(const std::string& msg_id, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = expected_.find(msg_id);
    return it != expected_.end() && it->second;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&seen), timeout);
}

void StoreConfirmer::Forget(const std::string& msg_id) {
  absl::MutexLock lock(&mu_);
  expected_.erase(msg_id);
}

}  // namespace unibus::client::internal
