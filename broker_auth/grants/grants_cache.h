// unibus-authd's in-memory view of every identity's grants, fed by GrantsFeed. Serving connects
// from memory keeps the callout fast and independent of the store during reconnect storms.
//
// `live()` is false until the first full load and whenever the feed is disconnected: the callout
// then refuses new connections (fail closed), because the view may be stale.
//
// Thread-safe.
#ifndef UNIBUS_BROKER_AUTH_GRANTS_GRANTS_CACHE_H_
#define UNIBUS_BROKER_AUTH_GRANTS_GRANTS_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "unibus/v1/broker.pb.h"

namespace unibus::broker_auth::grants {

class GrantsCache {
 public:
  // Replaces everything (a full load) and marks the cache live.
  void ReplaceAll(std::vector<v1::Grants> all);
  void Put(v1::Grants grants);
  void Remove(const std::string& sign_pub);
  void SetLive(bool live);

  bool live() const;
  // When `generation` is given it receives generation() as of the same read.
  std::optional<v1::Grants> Find(const std::string& sign_pub,
                                 uint64_t* generation = nullptr) const;
  // Grows with every change (Put, Remove, ReplaceAll): a connection authorized from a read of
  // generation g has grants at least as new as every change made before g.
  uint64_t generation() const;
  size_t size() const;
  // A copy of every identity's grants (to tell, after a reload, whose grants shrank).
  absl::flat_hash_map<std::string, v1::Grants> Snapshot() const;
  // Applies what a change itself says, before its authoritative re-read: a revocation makes the
  // identity inactive, a removal takes the room away. Other kinds change nothing here (they add
  // access, which waits for the re-read). No effect on an identity the cache does not hold.
  void ApplyShrink(const v1::Change& change);

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, v1::Grants> by_key_ ABSL_GUARDED_BY(mu_);
  bool live_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace unibus::broker_auth::grants

#endif  // UNIBUS_BROKER_AUTH_GRANTS_GRANTS_CACHE_H_
