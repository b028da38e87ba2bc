// The system account's connection query (nats-server's CONNZ, asked of every server at once on
// $SYS.REQ.SERVER.PING.CONNZ): how unibus-authd finds an identity's live connections at the
// moment its grants change, instead of remembering the connections it authorized (a memory that
// a restart, another authd instance or many reconnects would make incomplete).
//
// Pure functions; thread-safe.
#ifndef UNIBUS_BROKER_AUTH_KICK_CONNZ_H_
#define UNIBUS_BROKER_AUTH_KICK_CONNZ_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace unibus::broker_auth::kick {

// The connections one server reported.
struct ServerConnections {
  std::string server_id;
  struct Connection {
    uint64_t cid = 0;
    absl::Duration age;  // the server's "now" minus the connection's start (its own clock)
    std::string user;    // the authorized user (its nkey), when the server said
  };
  std::vector<Connection> connections;
  uint64_t offset = 0;  // of this page
  // Whether the page was full (ask again from `offset + connections.size()`).
  bool more = false;
};

// The request body: connections of the user `user_nkey` ("U…"), or every connection of
// `account` when user_nkey is empty, from `offset`, at most `limit`.
std::string ConnzRequestJson(absl::string_view user_nkey, absl::string_view account,
                             uint64_t offset, int limit);

// One server's answer. INVALID_ARGUMENT if it is not a CONNZ answer (or an error answer).
absl::StatusOr<ServerConnections> ParseConnz(absl::string_view answer, int limit);

}  // namespace unibus::broker_auth::kick

#endif  // UNIBUS_BROKER_AUTH_KICK_CONNZ_H_
