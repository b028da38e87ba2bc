#include "control/blob/blob_quota.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace unibus::control::blob {
namespace {

// Subtracts without wrapping: a re-count may have seen a blob its removal now subtracts again.
void Subtract(uint64_t& from, uint64_t bytes) { from -= std::min(from, bytes); }

template <typename Map>
void EraseIfEmpty(Map& map, absl::string_view key) {
  auto it = map.find(key);
  if (it != map.end() && it->second.stored == 0 && it->second.reserved == 0) map.erase(it);
}

template <typename Map>
void EraseEmpty(Map& map) {
  for (auto it = map.begin(); it != map.end();) {
    if (it->second.stored == 0 && it->second.reserved == 0) {
      map.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace

BlobQuota::Reservation::Reservation(Reservation&& other) noexcept
    : quota_(other.quota_),
      room_id_(std::move(other.room_id_)),
      uploader_(std::move(other.uploader_)),
      bytes_(other.bytes_) {
  other.quota_ = nullptr;
}

BlobQuota::Reservation::~Reservation() {
  if (quota_ != nullptr) quota_->Release(room_id_, uploader_, bytes_, /*created=*/false);
}

void BlobQuota::Reservation::Created() {
  if (quota_ == nullptr) return;
  quota_->Release(room_id_, uploader_, bytes_, /*created=*/true);
  quota_ = nullptr;
}

absl::Status BlobQuota::Recount() {
  absl::MutexLock serial(&recount_mu_);
  return RecountLocked();
}

absl::Status BlobQuota::RecountLocked() {
  absl::flat_hash_map<std::string, ByUploader> by_room;
  absl::Status listed = blobs_.ForEachBlob(
      [&by_room](const StoredBlob& blob) { by_room[blob.room_id][blob.uploader] += blob.size; });
  if (!listed.ok()) return listed;
  absl::MutexLock lock(&mu_);
  for (auto& [room_id, usage] : rooms_) usage.stored = 0;
  for (auto& [uploader, usage] : identities_) usage.stored = 0;
  for (const auto& [room_id, uploaders] : by_room) {
    for (const auto& [uploader, bytes] : uploaders) {
      rooms_[room_id].stored += bytes;
      if (!uploader.empty()) identities_[uploader].stored += bytes;
    }
  }
  EraseEmpty(rooms_);
  EraseEmpty(identities_);
  room_uploaders_ = std::move(by_room);
  counted_ = true;
  counted_at_ = clock_.Now();
  return absl::OkStatus();
}

absl::StatusOr<BlobQuota::Reservation> BlobQuota::Reserve(absl::string_view room_id,
                                                          absl::string_view uploader,
                                                          uint64_t bytes) {
  {
    absl::MutexLock lock(&mu_);
    if (counted_) {
      absl::Status reserved = TryReserveLocked(room_id, uploader, bytes);
      if (reserved.ok()) return Reservation(this, std::string(room_id), std::string(uploader), bytes);
      if (clock_.Now() - counted_at_ < limits_.recount_after) return reserved;
    }
  }
  // Never counted, or refused on a count old enough to re-check against the store.
  {
    absl::MutexLock serial(&recount_mu_);
    bool stale;
    {
      absl::MutexLock lock(&mu_);
      stale = !counted_ || clock_.Now() - counted_at_ >= limits_.recount_after;
    }
    // A failed re-count keeps the previous count; only "never counted" is fatal.
    if (stale) RecountLocked().IgnoreError();
  }
  absl::MutexLock lock(&mu_);
  if (!counted_) return absl::UnavailableError("blob storage use cannot be counted right now");
  if (absl::Status s = TryReserveLocked(room_id, uploader, bytes); !s.ok()) return s;
  return Reservation(this, std::string(room_id), std::string(uploader), bytes);
}

absl::Status BlobQuota::TryReserveLocked(absl::string_view room_id, absl::string_view uploader,
                                         uint64_t bytes) {
  auto room = rooms_.find(room_id);
  uint64_t room_used = room == rooms_.end() ? 0 : room->second.stored + room->second.reserved;
  if (room_used + bytes > limits_.per_room) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the room's blob storage quota of ", limits_.per_room, " bytes would be exceeded: ",
        room_used, " bytes are stored or being uploaded in this room and this blob has ", bytes));
  }
  if (!uploader.empty()) {
    auto identity = identities_.find(uploader);
    uint64_t used =
        identity == identities_.end() ? 0 : identity->second.stored + identity->second.reserved;
    if (used + bytes > limits_.per_identity) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "your blob storage quota of ", limits_.per_identity, " bytes would be exceeded: ", used,
          " bytes of your blobs are stored or being uploaded and this blob has ", bytes));
    }
    identities_[uploader].reserved += bytes;
  }
  rooms_[room_id].reserved += bytes;
  return absl::OkStatus();
}

void BlobQuota::Release(const std::string& room_id, const std::string& uploader, uint64_t bytes,
                        bool created) {
  absl::MutexLock lock(&mu_);
  Usage& room = rooms_[room_id];
  Subtract(room.reserved, bytes);
  if (created) {
    room.stored += bytes;
    room_uploaders_[room_id][uploader] += bytes;
  }
  EraseIfEmpty(rooms_, room_id);
  if (uploader.empty()) return;
  Usage& identity = identities_[uploader];
  Subtract(identity.reserved, bytes);
  if (created) identity.stored += bytes;
  EraseIfEmpty(identities_, uploader);
}

void BlobQuota::Removed(absl::string_view room_id, absl::string_view uploader, uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  SubtractStoredLocked(room_id, uploader, bytes);
  auto room = room_uploaders_.find(room_id);
  if (room == room_uploaders_.end()) return;
  auto by = room->second.find(uploader);
  if (by != room->second.end()) {
    Subtract(by->second, bytes);
    if (by->second == 0) room->second.erase(by);
  }
  if (room->second.empty()) room_uploaders_.erase(room);
}

void BlobQuota::RoomRemoved(absl::string_view room_id) {
  absl::MutexLock lock(&mu_);
  auto room = room_uploaders_.find(room_id);
  if (room == room_uploaders_.end()) return;
  for (const auto& [uploader, bytes] : room->second) SubtractStoredLocked(room_id, uploader, bytes);
  room_uploaders_.erase(room);
}

void BlobQuota::SubtractStoredLocked(absl::string_view room_id, absl::string_view uploader,
                                     uint64_t bytes) {
  if (auto room = rooms_.find(room_id); room != rooms_.end()) {
    Subtract(room->second.stored, bytes);
    EraseIfEmpty(rooms_, room_id);
  }
  if (uploader.empty()) return;
  if (auto identity = identities_.find(uploader); identity != identities_.end()) {
    Subtract(identity->second.stored, bytes);
    EraseIfEmpty(identities_, uploader);
  }
}

uint64_t BlobQuota::RoomBytes(absl::string_view room_id) const {
  absl::MutexLock lock(&mu_);
  auto it = rooms_.find(room_id);
  return it == rooms_.end() ? 0 : it->second.stored + it->second.reserved;
}

uint64_t BlobQuota::IdentityBytes(absl::string_view uploader) const {
  absl::MutexLock lock(&mu_);
  auto it = identities_.find(uploader);
  return it == identities_.end() ? 0 : it->second.stored + it->second.reserved;
}

}  // namespace unibus::control::blob
