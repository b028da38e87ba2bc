// BlobStore on a local directory:
//
//   <dir>/tmp/<random>.part         uploads in progress (never read)
//   <dir>/rooms/<room_id>/<address> committed blobs
//
// An upload is written to tmp/, fsync'ed, renamed into rooms/ and the directory fsync'ed, so a
// crash at any point leaves either the whole blob or none of it under rooms/. Whatever is left in
// tmp/ by a crash is removed by Open (orphans). Directories are 0700 and files 0600.
#ifndef UNIBUS_CONTROL_BLOB_DISK_BLOB_STORE_H_
#define UNIBUS_CONTROL_BLOB_DISK_BLOB_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "control/blob/blob_store.h"

namespace unibus::control::blob {

class DiskBlobStore final : public BlobStore {
 public:
  // Creates the directories if needed and removes orphans of earlier runs (their number goes to
  // `*orphans_removed` if given). INTERNAL/PERMISSION_DENIED if the directory is unusable.
  static absl::StatusOr<std::unique_ptr<DiskBlobStore>> Open(const std::string& dir,
                                                             int* orphans_removed = nullptr);

  absl::StatusOr<std::unique_ptr<BlobWriter>> Create(absl::string_view room_id,
                                                     absl::string_view address) override;
  absl::StatusOr<BlobMeta> Stat(absl::string_view room_id, absl::string_view address) override;
  absl::StatusOr<std::unique_ptr<BlobReader>> Open(absl::string_view room_id,
                                                   absl::string_view address) override;
  absl::Status DeleteRoom(absl::string_view room_id) override;

  const std::string& dir() const { return dir_; }

 private:
  explicit DiskBlobStore(std::string dir) : dir_(std::move(dir)) {}
  std::string RoomDir(absl::string_view room_id) const;

  const std::string dir_;
};

}  // namespace unibus::control::blob

#endif  // UNIBUS_CONTROL_BLOB_DISK_BLOB_STORE_H_
