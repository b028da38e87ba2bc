// BlobStore on a local directory:
//
//   <dir>/tmp/<random>.part             uploads in progress (never read)
//   <dir>/rooms/<room_id>/<address>     committed blobs
//   <dir>/uploaders/<room_id>/<address> who created the blob (hex sign_pub), for quotas
//
// An upload is written to tmp/, fsync'ed, renamed into rooms/ and the directory fsync'ed, so a
// crash at any point leaves either the whole blob or none of it under rooms/. Whatever is left in
// tmp/ by a crash is removed by Open (orphans). The uploader record is written (renamed into
// place) right after the blob, best effort: a crash in between leaves a blob of unknown uploader,
// which ForEachBlob reports with an empty uploader. Directories are 0700 and files 0600. One store
// (one unibusd) at a time per directory: Open takes an exclusive lock on <dir>/lock.
#ifndef UNIBUS_CONTROL_BLOB_DISK_BLOB_STORE_H_
#define UNIBUS_CONTROL_BLOB_DISK_BLOB_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "control/blob/blob_store.h"

namespace unibus::control::blob {

class DiskBlobStore final : public BlobStore {
 public:
  // Creates the directories if needed, locks the directory and removes orphans of earlier runs
  // (their number goes to `*orphans_removed` if given). FAILED_PRECONDITION if another store
  // holds the directory, INTERNAL/PERMISSION_DENIED if it is unusable.
  static absl::StatusOr<std::unique_ptr<DiskBlobStore>> Open(const std::string& dir,
                                                             int* orphans_removed = nullptr);

  ~DiskBlobStore() override;

  absl::StatusOr<std::unique_ptr<BlobWriter>> Create(absl::string_view room_id,
                                                     absl::string_view address,
                                                     absl::string_view uploader) override;
  absl::StatusOr<BlobMeta> Stat(absl::string_view room_id, absl::string_view address) override;
  absl::StatusOr<std::unique_ptr<BlobReader>> Open(absl::string_view room_id,
                                                   absl::string_view address) override;
  absl::Status Delete(absl::string_view room_id, absl::string_view address) override;
  absl::Status DeleteRoom(absl::string_view room_id) override;
  absl::Status ForEachBlob(const std::function<void(const StoredBlob&)>& fn) override;

  const std::string& dir() const { return dir_; }

 private:
  DiskBlobStore(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}
  std::string RoomDir(absl::string_view room_id) const;
  std::string UploaderDir(absl::string_view room_id) const;
  // Reports the blobs of one room to `fn`.
  absl::Status ForEachBlobOf(const std::string& room_id,
                             const std::function<void(const StoredBlob&)>& fn) const;

  const std::string dir_;
  const int lock_fd_;  // holds the directory's flock while the store is open
};

}  // namespace unibus::control::blob

#endif  // UNIBUS_CONTROL_BLOB_DISK_BLOB_STORE_H_
