#include "broker_auth/grants/grants_cache.h"

namespace unibus::broker_auth::grants {

void GrantsCache::ReplaceAll(std::vector<v1::Grants> all) {
  absl::flat_hash_map<std::string, v1::Grants> fresh;
  for (v1::Grants& g : all) {
    std::string key = g.sign_pub();
    fresh[key] = std::move(g);
  }
  absl::MutexLock lock(&mu_);
  by_key_ = std::move(fresh);
  live_ = true;
  ++generation_;
}

void GrantsCache::Put(v1::Grants grants) {
  absl::MutexLock lock(&mu_);
  std::string key = grants.sign_pub();
  by_key_[key] = std::move(grants);
  ++generation_;
}

void GrantsCache::Remove(const std::string& sign_pub) {
  absl::MutexLock lock(&mu_);
  by_key_.erase(sign_pub);
  ++generation_;
}

void GrantsCache::SetLive(bool live) {
  absl::MutexLock lock(&mu_);
  live_ = live;
}

bool GrantsCache::live() const {
  absl::MutexLock lock(&mu_);
  return live_;
}

std::optional<v1::Grants> GrantsCache::Find(const std::string& sign_pub,
                                            uint64_t* generation) const {
  absl::MutexLock lock(&mu_);
  if (generation != nullptr) *generation = generation_;
  auto it = by_key_.find(sign_pub);
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

uint64_t GrantsCache::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

absl::flat_hash_map<std::string, v1::Grants> GrantsCache::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return by_key_;
}

void GrantsCache::ApplyShrink(const v1::Change& change) {
  absl::MutexLock lock(&mu_);
  auto it = by_key_.find(change.sign_pub());
  if (it == by_key_.end()) return;
  v1::Grants& g = it->second;
  if (change.kind() == v1::CHANGE_KIND_USER_REVOKED) {
    g.set_active(false);
  } else if (change.kind() == v1::CHANGE_KIND_MEMBER_REMOVED) {
    auto* rooms = g.mutable_rooms();
    for (int i = rooms->size() - 1; i >= 0; --i) {
      if (rooms->Get(i).room_id() == change.room_id()) rooms->DeleteSubrange(i, 1);
    }
  } else {
    return;
  }
  ++generation_;
}

size_t GrantsCache::size() const {
  absl::MutexLock lock(&mu_);
  return by_key_.size();
}

}  // namespace unibus::broker_auth::grants
