// Which live connections an identity has: (server id, client id) pairs remembered from the
// authorization requests unibus-authd answered. Used to kick an identity's connections when its
// grants change. Entries for closed connections linger until the identity is kicked (a KICK of a
// closed cid is harmless); each identity keeps its newest kMaxPerIdentity entries.
//
// Thread-safe.
#ifndef UNIBUS_BROKER_AUTH_KICK_CONNECTION_REGISTRY_H_
#define UNIBUS_BROKER_AUTH_KICK_CONNECTION_REGISTRY_H_

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace unibus::broker_auth::kick {

struct ConnectionRef {
  std::string server_id;
  uint64_t client_id = 0;
  // GrantsCache generation of the grants the connection was authorized from.
  uint64_t generation = 0;
};

class ConnectionRegistry {
 public:
  static constexpr size_t kMaxPerIdentity = 64;

  void Record(const std::string& sign_pub, ConnectionRef ref);
  // Removes and returns every remembered connection of `sign_pub`.
  std::vector<ConnectionRef> Take(const std::string& sign_pub);
  // Removes and returns the connections of `sign_pub` authorized from a generation older than
  // `generation`; keeps the others.
  std::vector<ConnectionRef> TakeOlderThan(const std::string& sign_pub, uint64_t generation);

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::deque<ConnectionRef>> by_key_ ABSL_GUARDED_BY(mu_);
};

}  // namespace unibus::broker_auth::kick

#endif  // UNIBUS_BROKER_AUTH_KICK_CONNECTION_REGISTRY_H_
