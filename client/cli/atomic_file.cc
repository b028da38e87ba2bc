#include "client/cli/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace unibus::client::cli {
namespace {

absl::Status ErrnoError(int err, absl::string_view what, absl::string_view path) {
  std::string message = absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    default:
      return absl::DataLossError(message);
  }
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// A temporary file from `tmp_template` (ending in XXXXXX, rewritten in place) holding `content`
// with `mode`, fsync'ed. On error it is removed.
absl::Status WriteTemporary(std::vector<char>* tmp_template, absl::string_view content,
                            mode_t mode, absl::string_view path_for_errors) {
  int fd = mkstemp(tmp_template->data());  // mode 0600
  if (fd < 0) return ErrnoError(errno, "write", path_for_errors);
  bool ok = fchmod(fd, mode) == 0 && WriteAll(fd, content) && fsync(fd) == 0;
  int err = errno;
  if (close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    unlink(tmp_template->data());
    return ErrnoError(err, "write", path_for_errors);
  }
  return absl::OkStatus();
}

std::vector<char> Template(absl::string_view prefix) {
  std::string s = absl::StrCat(prefix, "XXXXXX");
  std::vector<char> chars(s.begin(), s.end());
  chars.push_back('\0');
  return chars;
}

std::string Join(const std::string& dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  return absl::StrCat(dir, dir.back() == '/' ? "" : "/", name);
}

// Makes a new directory entry durable (the file's bytes were synced before it was linked).
// Best effort: the file is there either way, and a caller cannot do better on failure.
void SyncDirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

}  // namespace

absl::StatusOr<std::string> WriteNewFileAtomically(const std::string& dir,
                                                   const std::function<std::string(int)>& name,
                                                   absl::string_view content, mode_t mode,
                                                   int max_names) {
  const std::string first = Join(dir, name(0));
  std::vector<char> tmp = Template(Join(dir, ".unibus-partial-"));
  if (absl::Status written = WriteTemporary(&tmp, content, mode, first); !written.ok()) {
    return written;
  }
  for (int n = 0; n < max_names; ++n) {
    std::string path = n == 0 ? first : Join(dir, name(n));
    // link() never replaces an existing file (rename() would).
    if (link(tmp.data(), path.c_str()) == 0) {
      unlink(tmp.data());
      SyncDirectoryOf(path);
      return path;
    }
    if (errno != EEXIST) {
      int err = errno;
      unlink(tmp.data());
      return ErrnoError(err, "write", path);
    }
  }
  unlink(tmp.data());
  return absl::AlreadyExistsError(
      max_names == 1 ? absl::StrCat(first, " already exists (it was left as it is)")
                     : absl::StrCat(first, " and ", max_names - 1,
                                    " numbered alternatives already exist"));
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, mode_t mode) {
  std::vector<char> tmp = Template(absl::StrCat(path, ".tmp-"));
  if (absl::Status written = WriteTemporary(&tmp, content, mode, path); !written.ok()) {
    return written;
  }
  if (rename(tmp.data(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.data());
    return ErrnoError(err, "write", path);
  }
  SyncDirectoryOf(path);
  return absl::OkStatus();
}

absl::Status MakeDirectories(const std::string& dir) {
  if (dir.empty()) return absl::OkStatus();
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat(dir, " exists and is not a directory"));
  }
  size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    absl::Status parent = MakeDirectories(dir.substr(0, slash));
    if (!parent.ok()) return parent;
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError(errno, "create directory", dir);
  }
  return absl::OkStatus();
}

}  // namespace unibus::client::cli
