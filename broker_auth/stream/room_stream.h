// Provisions the JetStream stream that keeps the history of rooms (common/nats/subjects.h,
// kRoomStream). Peers may not manage streams; unibus-authd does it at start-up through the
// stream API that the peer account exports to the callout account (broker_auth/config).
//
// The stream captures "ub.room.*" (exactly the room subjects), file storage, limits retention,
// no deletes or purges through the API. It answers no requester (no_ack, no direct get): members
// publish frames without an acknowledgement and read history only through consumers that
// unibus-authd creates for them (broker_auth/feeds). A full room drops its own oldest frames; a
// full stream refuses new frames (discard new), so no room can push another's history out.
//
// Thread-safe (stateless); the connection is borrowed.
#ifndef UNIBUS_BROKER_AUTH_STREAM_ROOM_STREAM_H_
#define UNIBUS_BROKER_AUTH_STREAM_ROOM_STREAM_H_

#include <nats/nats.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace unibus::broker_auth::stream {

struct RoomStreamLimits {
  absl::Duration max_age = absl::Hours(24 * 30);  // frames older than this are dropped
  int64_t max_bytes = int64_t{8} << 30;           // whole stream
  int64_t max_msgs_per_room = 100000;             // per room subject (its own oldest go)
  int64_t max_consumers = 100000;                 // history feeds of all members
  int32_t max_msg_size = 1 << 20;                 // one frame
  int replicas = 1;
};

// The stream config the server should hold, as the JSON body of a create/update request.
std::string RoomStreamConfigJson(const RoomStreamLimits& limits);

// Creates the stream, or replaces its whole config when any setting we manage differs or one that
// copies its messages elsewhere (republish, sources, mirror, subject transform) was added; so
// what a stolen stream-user key changed is undone at the next start. Returns UNAVAILABLE when
// JetStream does not answer (yet) and FAILED_PRECONDITION when the server refuses the config.
absl::Status EnsureRoomStream(natsConnection* nc, const RoomStreamLimits& limits,
                              absl::Duration timeout = absl::Seconds(2));

}  // namespace unibus::broker_auth::stream

#endif  // UNIBUS_BROKER_AUTH_STREAM_ROOM_STREAM_H_
