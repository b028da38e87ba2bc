// What a client knows about its rooms: the room record (policy, epoch, owner), the members'
// roles, and the room keys it opened. Room keys come from GetRoomKey and are accepted only when
// the envelope is for this identity, room and epoch and is signed by the room's owner or a room
// admin (common/crypto/room_key_envelope.h).
//
// Thread-safe. Control-plane calls happen without the lock held.
#ifndef UNIBUS_CLIENT_INTERNAL_ROOM_CACHE_H_
#define UNIBUS_CLIENT_INTERNAL_ROOM_CACHE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/internal/control_link.h"
#include "common/crypto/identity.h"
#include "common/crypto/secret.h"

namespace unibus::client::internal {

class RoomCache {
 public:
  RoomCache(ControlLink& control, const common::Identity& me, absl::Duration ttl)
      : control_(control), me_(me), ttl_(ttl) {}

  // The room record, re-read when older than the TTL or when `refresh`.
  // NOT_FOUND (no such room or not a member) and the other control-plane codes.
  absl::StatusOr<v1::Room> Room(const std::string& room_id, bool refresh = false);
  // Every member (all pages).
  absl::StatusOr<std::vector<v1::Member>> Members(const std::string& room_id);
  // The room key of `epoch`. NOT_FOUND: this identity holds none for it. PERMISSION_DENIED:
  // the envelope failed verification (wrong signer, recipient, binding or signature).
  absl::StatusOr<std::string> Key(const std::string& room_id, uint64_t epoch);
  // Records a key this identity generated itself.
  void PutKey(const std::string& room_id, uint64_t epoch, const std::string& key);
  void PutRoom(const v1::Room& room);
  void Forget(const std::string& room_id);

 private:
  struct Entry {
    v1::Room room;
    absl::Time fetched = absl::InfinitePast();
    std::map<uint64_t, std::shared_ptr<common::SecretBytes>> keys;
  };
  absl::StatusOr<std::string> FetchKey(const std::string& room_id, uint64_t epoch);
  // True if `signer` (hex) is the owner or a room admin.
  bool MaySeal(const std::string& room_id, const std::string& signer);

  ControlLink& control_;
  const common::Identity& me_;
  const absl::Duration ttl_;
  absl::Mutex mu_;
  std::map<std::string, Entry> rooms_ ABSL_GUARDED_BY(mu_);
};

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_ROOM_CACHE_H_
