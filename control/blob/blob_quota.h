// Byte quotas on stored blobs: how many bytes of blobs one room may hold, and how many bytes of
// blobs one identity may have created (its uploader record, see BlobStore::Create), whatever room
// they are in.
//
// Usage is counted from the BlobStore itself (ForEachBlob: size and uploader of every blob), so
// it is the same after a restart, and kept current in memory as uploads commit and blobs are
// removed. An upload reserves its declared size against both quotas before any of its bytes is
// accepted; the reservation turns into usage when its commit creates the blob and is released
// otherwise. Concurrent uploads therefore cannot overshoot a quota together.
//
// Several unibusd nodes on one object store (a cluster) each count what the store held when they
// counted plus their own uploads and removals. So that a node does not refuse on a stale count
// (space freed by a room deleted through another node), a refusal re-counts from the store first
// when the last count is older than `recount_after`; uploads through other nodes since the last
// count can let a room or an identity exceed its quota by what those nodes accepted meanwhile.
//
// Thread-safe. Borrows the store and the clock, which must outlive it.
#ifndef UNIBUS_CONTROL_BLOB_BLOB_QUOTA_H_
#define UNIBUS_CONTROL_BLOB_BLOB_QUOTA_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "control/blob/blob_store.h"

namespace unibus::control::blob {

class BlobQuota {
 public:
  struct Limits {
    uint64_t per_room = uint64_t{2} << 30;      // bytes of blobs in one room
    uint64_t per_identity = uint64_t{1} << 30;  // bytes of blobs one identity created
    absl::Duration recount_after = absl::Minutes(1);
  };

  // Holds `bytes` of a room's and an uploader's quota until Created() or destruction.
  class Reservation {
   public:
    Reservation(Reservation&& other) noexcept;
    Reservation& operator=(Reservation&&) = delete;
    Reservation(const Reservation&) = delete;
    ~Reservation();
    // The upload's commit created the blob: its bytes count as stored from now on.
    void Created();

   private:
    friend class BlobQuota;
    Reservation(BlobQuota* quota, std::string room_id, std::string uploader, uint64_t bytes)
        : quota_(quota), room_id_(std::move(room_id)), uploader_(std::move(uploader)),
          bytes_(bytes) {}
    BlobQuota* quota_;
    std::string room_id_;
    std::string uploader_;
    uint64_t bytes_;
  };

  // REQUIRES: limits are positive.
  BlobQuota(BlobStore& blobs, Limits limits, const common::Clock& clock)
      : blobs_(blobs), limits_(limits), clock_(clock) {}

  // Counts what the store holds now; reservations in progress stay. The store's error if it
  // cannot be read (then the previous count stays).
  absl::Status Recount();

  // Reserves `bytes` against `room_id`'s quota and `uploader`'s (an empty uploader: the room's
  // only). RESOURCE_EXHAUSTED naming the quota that would be exceeded; UNAVAILABLE if usage has
  // never been counted and the store cannot be read now.
  absl::StatusOr<Reservation> Reserve(absl::string_view room_id, absl::string_view uploader,
                                      uint64_t bytes);

  // A blob of `bytes` created by `uploader` was removed from the room.
  void Removed(absl::string_view room_id, absl::string_view uploader, uint64_t bytes);
  // Every blob of the room was removed.
  void RoomRemoved(absl::string_view room_id);

  // Stored plus reserved bytes (for tests and logs).
  uint64_t RoomBytes(absl::string_view room_id) const;
  uint64_t IdentityBytes(absl::string_view uploader) const;

 private:
  struct Usage {
    uint64_t stored = 0;
    uint64_t reserved = 0;
  };
  using UsageMap = absl::flat_hash_map<std::string, Usage>;
  // Stored bytes of one room by uploader ("" for unknown).
  using ByUploader = absl::flat_hash_map<std::string, uint64_t>;

  // Recount with recount_mu_ held.
  absl::Status RecountLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(recount_mu_);
  absl::Status TryReserveLocked(absl::string_view room_id, absl::string_view uploader,
                                uint64_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Release(const std::string& room_id, const std::string& uploader, uint64_t bytes,
               bool created);
  void SubtractStoredLocked(absl::string_view room_id, absl::string_view uploader, uint64_t bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  BlobStore& blobs_;
  const Limits limits_;
  const common::Clock& clock_;
  absl::Mutex recount_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one count at a time
  mutable absl::Mutex mu_;
  bool counted_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time counted_at_ ABSL_GUARDED_BY(mu_);
  UsageMap rooms_ ABSL_GUARDED_BY(mu_);
  UsageMap identities_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, ByUploader> room_uploaders_ ABSL_GUARDED_BY(mu_);
};

}  // namespace unibus::control::blob

#endif  // UNIBUS_CONTROL_BLOB_BLOB_QUOTA_H_
