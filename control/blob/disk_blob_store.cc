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

class DiskBlobWriter final : public BlobWriter {
 public:
  DiskBlobWriter(int fd, std::string temp_path, std::string room_dir, std::string rooms_dir,
                 std::string final_path)
      : fd_(fd),
        temp_path_(std::move(temp_path)),
        room_dir_(std::move(room_dir)),
        rooms_dir_(std::move(rooms_dir)),
        final_path_(std::move(final_path)) {}

  ~DiskBlobWriter() override {
    if (fd_ >= 0) close(fd_);
    if (!committed_) unlink(temp_path_.c_str());
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
    if (stat(room_dir_.c_str(), &st) != 0) {
      if (absl::Status s = MakeDir(room_dir_); !s.ok()) return s;
      if (absl::Status s = SyncDir(rooms_dir_); !s.ok()) return s;
    }
    // link() never replaces: if the address is already stored (an earlier or a concurrent upload
    // of the same bytes), that blob stays as it is, with its creation time.
    bool created = link(temp_path_.c_str(), final_path_.c_str()) == 0;
    if (!created && errno != EEXIST) return Errno("cannot move a blob into place", errno);
    unlink(temp_path_.c_str());
    committed_ = true;
    if (created) {
      if (absl::Status s = SyncDir(room_dir_); !s.ok()) return s;
    }
    return created;
  }

 private:
  int fd_;
  const std::string temp_path_;
  const std::string room_dir_;
  const std::string rooms_dir_;
  const std::string final_path_;
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
  for (const std::string& path : {dir, dir + kTmp, dir + kRooms}) {
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

absl::StatusOr<std::unique_ptr<BlobWriter>> DiskBlobStore::Create(absl::string_view room_id,
                                                                  absl::string_view address) {
  if (absl::Status s = CheckNames(room_id, address); !s.ok()) return s;
  std::string temp = absl::StrCat(dir_, kTmp, "/", RandomName(), kPartSuffix);
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create a blob", errno);
  std::string room_dir = RoomDir(room_id);
  std::string final_path = absl::StrCat(room_dir, "/", address);
  return std::unique_ptr<BlobWriter>(new DiskBlobWriter(fd, std::move(temp), std::move(room_dir),
                                                        dir_ + kRooms, std::move(final_path)));
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
  return SyncDir(room_dir);
}

absl::Status DiskBlobStore::DeleteRoom(absl::string_view room_id) {
  if (!common::IsLowerHexOfSize(room_id, 16)) return absl::InvalidArgumentError("malformed room id");
  std::string room_dir = RoomDir(room_id);
  absl::StatusOr<std::vector<std::string>> names = ListDir(room_dir);
  if (absl::IsNotFound(names.status())) return absl::OkStatus();
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (unlink(absl::StrCat(room_dir, "/", name).c_str()) != 0 && errno != ENOENT) {
      return Errno("cannot remove a blob", errno);
    }
  }
  if (rmdir(room_dir.c_str()) != 0 && errno != ENOENT) {
    return Errno("cannot remove a room's blob directory", errno);
  }
  return SyncDir(dir_ + kRooms);
}

}  // namespace unibus::control::blob
