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

size_t GrantsCache::size() const {
  absl::MutexLock lock(&mu_);
  return by_key_.size();
}

}  // namespace unibus::broker_auth::grants
