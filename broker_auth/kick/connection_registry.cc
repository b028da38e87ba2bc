#include "broker_auth/kick/connection_registry.h"

namespace unibus::broker_auth::kick {

void ConnectionRegistry::Record(const std::string& sign_pub, ConnectionRef ref) {
  absl::MutexLock lock(&mu_);
  std::deque<ConnectionRef>& refs = by_key_[sign_pub];
  refs.push_back(std::move(ref));
  if (refs.size() > kMaxPerIdentity) refs.pop_front();
}

std::vector<ConnectionRef> ConnectionRegistry::Take(const std::string& sign_pub) {
  absl::MutexLock lock(&mu_);
  auto it = by_key_.find(sign_pub);
  if (it == by_key_.end()) return {};
  std::vector<ConnectionRef> out(it->second.begin(), it->second.end());
  by_key_.erase(it);
  return out;
}

std::vector<ConnectionRef> ConnectionRegistry::TakeOlderThan(const std::string& sign_pub,
                                                             uint64_t generation) {
  absl::MutexLock lock(&mu_);
  auto it = by_key_.find(sign_pub);
  if (it == by_key_.end()) return {};
  std::vector<ConnectionRef> out;
  std::deque<ConnectionRef> keep;
  for (ConnectionRef& ref : it->second) {
    (ref.generation < generation ? out.emplace_back(std::move(ref))
                                 : keep.emplace_back(std::move(ref)));
  }
  if (keep.empty()) {
    by_key_.erase(it);
  } else {
    it->second = std::move(keep);
  }
  return out;
}

}  // namespace unibus::broker_auth::kick
