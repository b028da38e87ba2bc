#include "control/blob/disk_blob_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/hex.h"
#include "common/crypto/identity.h"

namespace unibus::control::blob {
namespace {

constexpr char kTmp[] = "/tmp";
constexpr char kRooms[] = "/rooms";
constexpr char kUploaders[] = "/uploaders";
constexpr char kPartSuffix[] = ".part";
constexpr char kLock[] = "/lock";
constexpr uint64_t kWritebackBytes = 1 << 20;

absl::Status CheckNames(absl::string_view room_id, absl::string_view address) {
  if (!common::IsLowerHexOfSize(room_id, 16) || !common::IsLowerHexOfSize(address, 32)) {
    return absl::InvalidArgumentError("malformed room id or blob address");
  }
  return absl::OkStatus();
}

// Errors carry the operation and errno text, never a path: they may reach a log, not a caller
// (the service replaces them), but paths are not needed to act on them either.
absl::Status Errno(absl::string_view what, int err) {
  std::string message = absl::StrCat(what, ": ", std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) return absl::ResourceExhaustedError(message);
  if (err == EACCES || err == EPERM || err == EROFS) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return absl::OkStatus();
  return Errno("cannot create a blob directory", errno);
}

absl::Status SyncDir(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open a blob directory", errno);
  int rc = fsync(fd);
  int err = errno;
  close(fd);
  return rc == 0 ? absl::OkStatus() : Errno("cannot sync a blob directory", err);
}

// Names of the entries of `dir` other than "." and "..". NOT_FOUND if it does not exist.
absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return absl::NotFoundError("no such directory");
    return Errno("cannot list a blob directory", errno);
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(d)) {
    absl::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  closedir(d);
  return names;
}

int64_t ModifiedMs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

std::string RandomName() {
  common::InitSodium();
  std::string bytes(16, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return common::HexEncode(bytes);
}

std::string TempPath(const std::string& dir) {
  return absl::StrCat(dir, kTmp, "/", RandomName(), kPartSuffix);
}

// Writes `content` to a fresh file in tmp/ and renames it to `path` (replacing it), creating
// `path`'s directory `parent` if needed. Not synced: callers use it for records they can lose.
absl::Status ReplaceSmallFile(const std::string& dir, const std::string& parent,
                              const std::string& path, absl::string_view content) {
  std::string temp = TempPath(dir);
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create a record", errno);
  bool written = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  int err = errno;
  close(fd);
  absl::Status status = written ? MakeDir(parent) : Errno("cannot write a record", err);
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    status = Errno("cannot move a record into place", errno);
  }
  if (!status.ok()) unlink(temp.c_str());
  return status;
}

// The uploader in a record file; empty if there is none or it is not a key.
std::string ReadUploader(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buffer[65];
  ssize_t n = read(fd, buffer, sizeof buffer);
  close(fd);
  if (n != 64) return "";
  std::string uploader(buffer, 64);
  return common::IsLowerHexOfSize(uploader, 32) ? uploader : "";
}

// Removes every entry of `dir` and `dir` itself. OK if it does not exist.
absl::Status RemoveDirTree(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names = ListDir(dir);
  if (absl::IsNotFound(names.status())) return absl::OkStatus();
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (unlink(absl::StrCat(dir, "/", name).c_str()) != 0 && errno != ENOENT) {
      return Errno("cannot remove a blob", errno);
    }
  }
  if (rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    return Errno("cannot remove a room's blob directory", errno);
  }
  return absl::OkStatus();
}

class DiskBlobWriter final : public BlobWriter {
 public:
  // Where the blob and its uploader record go.
  struct Paths {
    std::string store_dir;
    std::string temp;
    std::string room_dir;
    std::string final_path;
    std::string uploader_dir;
    std::string uploader_path;
  };

  DiskBlobWriter(int fd, Paths paths, std::string uploader)
      : fd_(fd), paths_(std::move(paths)), uploader_(std::move(uploader)) {}

  ~DiskBlobWriter() override {
    if (fd_ >= 0) close(fd_);
    if (!committed_) unlink(paths_.temp.c_str());
  }

  absl::Status Append(absl::string_view bytes) override {
    if (fd_ < 0) return absl::FailedPreconditionError("the blob writer is closed");
    while (!bytes.empty()) {
      ssize_t n = write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("cannot write a blob", errno);
      }
      bytes.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
    // Start writing back what is complete while more arrives, so the fsync in Commit has little
    // left to do (bench/blob_bench: the final fsync of 16 MiB was about a third of an upload).
    // Only a hint: errors surface at the fsync.
    if (written_ - flushed_ >= kWritebackBytes) {
      sync_file_range(fd_, static_cast<off64_t>(flushed_),
                      static_cast<off64_t>(written_ - flushed_), SYNC_FILE_RANGE_WRITE);
      flushed_ = written_;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Commit() override {
    if (fd_ < 0) return absl::FailedPreconditionError("the blob writer is closed");
    int rc = fsync(fd_);
    int err = errno;
    close(fd_);
    fd_ = -1;
    if (rc != 0) return Errno("cannot sync a blob", err);
    struct stat st;
    if (stat(paths_.room_dir.c_str(), &st) != 0) {
      if (absl::Status s = MakeDir(paths_.room_dir); !s.ok()) return s;
      if (absl::Status s = SyncDir(paths_.store_dir + kRooms); !s.ok()) return s;
    }
    // link() never replaces: if the address is already stored (an earlier or a concurrent upload
    // of the same bytes), that blob stays as it is, with its creation time.
    bool created = link(paths_.temp.c_str(), paths_.final_path.c_str()) == 0;
    if (!created && errno != EEXIST) return Errno("cannot move a blob into place", errno);
    unlink(paths_.temp.c_str());
    committed_ = true;
    if (created) {
      if (absl::Status s = SyncDir(paths_.room_dir); !s.ok()) return s;
      // Best effort (see the header): the blob is committed whatever happens here.
      ReplaceSmallFile(paths_.store_dir, paths_.uploader_dir, paths_.uploader_path, uploader_)
          .IgnoreError();
    }
    return created;
  }

 private:
  int fd_;
  const Paths paths_;
  const std::string uploader_;
  bool committed_ = false;
  uint64_t written_ = 0;
  uint64_t flushed_ = 0;
};

class DiskBlobReader final : public BlobReader {
 public:
  DiskBlobReader(int fd, BlobMeta meta) : fd_(fd), meta_(meta) {}
  ~DiskBlobReader() override { close(fd_); }

  const BlobMeta& meta() const override { return meta_; }

  absl::Status Read(size_t max, std::string* out) override {
    out->resize(max);
    size_t filled = 0;
    while (filled < max) {
      ssize_t n = read(fd_, out->data() + filled, max - filled);
      if (n < 0) {
        if (errno == EINTR) continue;
        out->clear();
        return Errno("cannot read a blob", errno);
      }
      if (n == 0) break;
      filled += static_cast<size_t>(n);
    }
    out->resize(filled);
    return absl::OkStatus();
  }

 private:
  const int fd_;
  const BlobMeta meta_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<DiskBlobStore>> DiskBlobStore::Open(const std::string& dir,
                                                                   int* orphans_removed) {
  if (dir.empty()) return absl::InvalidArgumentError("a blob directory is required");
  for (const std::string& path : {dir, dir + kTmp, dir + kRooms, dir + kUploaders}) {
    if (absl::Status s = MakeDir(path); !s.ok()) return s;
  }
  // One server per directory: another one's uploads in tmp/ are not orphans.
  int lock_fd = open((dir + kLock).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) return Errno("cannot open the blob directory's lock", errno);
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(lock_fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError("the blob directory is in use by another unibusd");
    }
    return Errno("cannot lock the blob directory", err);
  }
  absl::StatusOr<std::vector<std::string>> leftovers = ListDir(dir + kTmp);
  if (!leftovers.ok()) {
    close(lock_fd);
    return leftovers.status();
  }
  int removed = 0;
  for (const std::string& name : *leftovers) {
    if (unlink(absl::StrCat(dir, kTmp, "/", name).c_str()) == 0) ++removed;
  }
  if (orphans_removed != nullptr) *orphans_removed = removed;
  return std::unique_ptr<DiskBlobStore>(new DiskBlobStore(dir, lock_fd));
}

DiskBlobStore::~DiskBlobStore() { close(lock_fd_); }

std::string DiskBlobStore::RoomDir(absl::string_view room_id) const {
  return absl::StrCat(dir_, kRooms, "/", room_id);
}

std::string DiskBlobStore::UploaderDir(absl::string_view room_id) const {
  return absl::StrCat(dir_, kUploaders, "/", room_id);
}

absl::StatusOr<std::unique_ptr<BlobWriter>> DiskBlobStore::Create(absl::string_view room_id,
                                                                  absl::string_view address,
                                                                  absl::string_view uploader) {
  if (absl::Status s = CheckNames(room_id, address); !s.ok()) return s;
  if (!uploader.empty() && !common::IsLowerHexOfSize(uploader, 32)) {
    return absl::InvalidArgumentError("malformed uploader");
  }
  DiskBlobWriter::Paths paths;
  paths.store_dir = dir_;
  paths.temp = TempPath(dir_);
  int fd = open(paths.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create a blob", errno);
  paths.room_dir = RoomDir(room_id);
  paths.final_path = absl::StrCat(paths.room_dir, "/", address);
  paths.uploader_dir = UploaderDir(room_id);
  paths.uploader_path = absl::StrCat(paths.uploader_dir, "/", address);
  return std::unique_ptr<BlobWriter>(
      new DiskBlobWriter(fd, std::move(paths), std::string(uploader)));
}

absl::StatusOr<BlobMeta> DiskBlobStore::Stat(absl::string_view room_id,
                                             absl::string_view address) {
  if (absl::Status s = CheckNames(room_id, address); !s.ok()) return s;
  struct stat st;
  std::string path = absl::StrCat(RoomDir(room_id), "/", address);
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError("blob not found");
    return Errno("cannot stat a blob", errno);
  }
  return BlobMeta{static_cast<uint64_t>(st.st_size), ModifiedMs(st)};
}

absl::StatusOr<std::unique_ptr<BlobReader>> DiskBlobStore::Open(absl::string_view room_id,
                                                                absl::string_view address) {
  if (absl::Status s = CheckNames(room_id, address); !s.ok()) return s;
  std::string path = absl::StrCat(RoomDir(room_id), "/", address);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError("blob not found");
    return Errno("cannot open a blob", errno);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return Errno("cannot stat a blob", err);
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<BlobReader>(
      new DiskBlobReader(fd, BlobMeta{static_cast<uint64_t>(st.st_size), ModifiedMs(st)}));
}

absl::Status DiskBlobStore::Delete(absl::string_view room_id, absl::string_view address) {
  if (absl::Status s = CheckNames(room_id, address); !s.ok()) return s;
  std::string room_dir = RoomDir(room_id);
  if (unlink(absl::StrCat(room_dir, "/", address).c_str()) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return Errno("cannot remove a blob", errno);
  }
  unlink(absl::StrCat(UploaderDir(room_id), "/", address).c_str());
  return SyncDir(room_dir);
}

absl::Status DiskBlobStore::DeleteRoom(absl::string_view room_id) {
  if (!common::IsLowerHexOfSize(room_id, 16)) return absl::InvalidArgumentError("malformed room id");
  if (absl::Status s = RemoveDirTree(RoomDir(room_id)); !s.ok()) return s;
  if (absl::Status s = SyncDir(dir_ + kRooms); !s.ok()) return s;
  return RemoveDirTree(UploaderDir(room_id));
}

absl::Status DiskBlobStore::ForEachBlob(const std::function<void(const StoredBlob&)>& fn) {
  absl::StatusOr<std::vector<std::string>> rooms = ListDir(dir_ + kRooms);
  if (!rooms.ok()) return rooms.status();
  for (const std::string& room_id : *rooms) {
    if (!common::IsLowerHexOfSize(room_id, 16)) continue;
    if (absl::Status s = ForEachBlobOf(room_id, fn); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status DiskBlobStore::ForEachBlobOf(const std::string& room_id,
                                          const std::function<void(const StoredBlob&)>& fn) const {
  const std::string room_dir = RoomDir(room_id);
  absl::StatusOr<std::vector<std::string>> names = ListDir(room_dir);
  if (absl::IsNotFound(names.status())) return absl::OkStatus();  // deleted meanwhile
  if (!names.ok()) return names.status();
  for (const std::string& address : *names) {
    if (!common::IsLowerHexOfSize(address, 32)) continue;
    struct stat st;
    if (stat(absl::StrCat(room_dir, "/", address).c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      return Errno("cannot stat a blob", errno);
    }
    fn(StoredBlob{room_id, address, static_cast<uint64_t>(st.st_size),
                  ReadUploader(absl::StrCat(UploaderDir(room_id), "/", address))});
  }
  return absl::OkStatus();
}

}  // namespace unibus::control::blob
