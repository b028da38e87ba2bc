// Confirms that frames this client published to rooms with history were stored. The room stream
// acknowledges nothing (a publish's reply subject is chosen by the publisher, so an
// acknowledgement could be aimed at another room: docs/security.md), so a frame counts as stored
// when it comes back on this client's own history feed of the room, recognised by its
// Nats-Msg-Id, whose digest part must match the bytes that came back. One feed per room, started on the first send there and kept while the confirmer
// lives.
//
// Thread-safe. Borrows the NatsLink, which must outlive it.
#ifndef UNIBUS_CLIENT_INTERNAL_STORE_CONFIRMER_H_
#define UNIBUS_CLIENT_INTERNAL_STORE_CONFIRMER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/internal/nats_link.h"
#include "client/internal/room_feed.h"

namespace unibus::client::internal {

// The part of a stored frame's Nats-Msg-Id after "<room_id>-": the first 32 hex digits of the
// SHA-256 of its bytes (docs/frames.md §10).
std::string StoredFrameDigest(absl::string_view frame);

class StoreConfirmer {
 public:
  explicit StoreConfirmer(NatsLink& link) : link_(link) {}
  ~StoreConfirmer();

  // Starts watching for `msg_id` in `room_id` (call before publishing it). Errors of starting the
  // room's feed: PERMISSION_DENIED, UNAVAILABLE.
  absl::Status Expect(const std::string& room_id, const std::string& msg_id);
  // Waits until `msg_id` was seen stored; false after `timeout`. Keeps expecting it.
  bool Wait(const std::string& msg_id, absl::Duration timeout);
  // Stops expecting `msg_id`.
  void Forget(const std::string& msg_id);

 private:
  void Seen(const RawFrame& frame);

  NatsLink& link_;
  absl::Mutex feeds_mu_;  // held while a feed starts (one per room)
  absl::flat_hash_map<std::string, std::unique_ptr<RoomFeed>> feeds_ ABSL_GUARDED_BY(feeds_mu_);
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, bool> expected_ ABSL_GUARDED_BY(mu_);  // msg id → seen
};

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_STORE_CONFIRMER_H_
