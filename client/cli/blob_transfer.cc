#include "client/cli/blob_transfer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "client/cli/atomic_file.h"
#include "client/cli/byte_size.h"
#include "client/cli/exit_code.h"
#include "client/cli/file_name.h"
#include "client/cli/progress.h"
#include "client/options.h"
#include "common/files/files.h"

namespace unibus::client::cli {
namespace {

absl::Status ReadError(int err, const std::string& path) {
  std::string message = absl::StrCat("cannot read ", path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(absl::StrCat("no file ", path));
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::DataLossError(message);
  }
}

absl::Status TooLarge(const std::string& path, uint64_t size, uint64_t max_bytes) {
  return absl::OutOfRangeError(absl::StrCat(
      path, " is ", size == 0 ? "more than that" : FormatByteSize(size),
      ": too large to send (the largest file is ", FormatByteSize(max_bytes), ")"));
}

// The last path component of `path` ("report.pdf" for "docs/report.pdf").
std::string Basename(const std::string& path) {
  size_t end = path.find_last_not_of('/');
  if (end == std::string::npos) return "";
  size_t slash = path.find_last_of('/', end);
  return path.substr(slash == std::string::npos ? 0 : slash + 1,
                     slash == std::string::npos ? end + 1 : end - slash);
}

}  // namespace

uint64_t MaxFileBytes() { return LargestBlobPlaintext(ClientOptions().max_blob_bytes); }

absl::StatusOr<std::string> ReadFileToSend(const std::string& path, uint64_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ReadError(errno, path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return ReadError(err, path);
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return absl::FailedPreconditionError(absl::StrCat(path, " is a directory, not a file"));
  }
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes) {
    close(fd);
    return TooLarge(path, static_cast<uint64_t>(st.st_size), max_bytes);
  }
  // Read to the end rather than st_size bytes: the file may change, or be a pipe.
  std::string content;
  char buffer[1 << 16];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return ReadError(err, path);
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > max_bytes) {
      close(fd);
      return TooLarge(path, 0, max_bytes);
    }
  }
  close(fd);
  return content;
}

std::optional<FileToSend> LoadFileToSend(const std::string& path,
                                         const std::optional<std::string>& name,
                                         const std::optional<std::string>& content_type,
                                         Output& out, int* exit_code) {
  absl::StatusOr<std::string> content = ReadFileToSend(path, MaxFileBytes());
  if (!content.ok()) {
    *exit_code = out.Fail(kExitFile, content.status().message());
    return std::nullopt;
  }
  FileToSend file;
  file.path = path;
  file.name = name.value_or(Basename(path));
  file.content_type = content_type.value_or("");
  file.content = *std::move(content);
  return file;
}

bool ShowProgress(const Context& ctx, const Output& out) {
  return ctx.err_columns > 0 && !out.json();
}

std::optional<v1::BlobRef> UploadFile(Connection& c, const Context& ctx, Output& out,
                                      const std::string& room_id, const FileToSend& file,
                                      int* exit_code) {
  const std::string shown_name = SafeFileName(file.name, "");
  ProgressBar bar(ctx.err, ShowProgress(ctx, out) ? ctx.err_columns : 0, shown_name);
  BlobOptions options;
  options.name = file.name;
  options.content_type = file.content_type;
  options.progress = bar.Callback();
  absl::StatusOr<v1::BlobRef> ref = c.client->PutBlob(room_id, file.content, options);
  bar.Finish();
  if (!ref.ok()) {
    // NOT_FOUND from PutBlob is about the room alone: Explain's "not a member of room R".
    Explained e = ref.status().code() == absl::StatusCode::kNotFound
                      ? Explain(ref.status(), c.scope)
                      : ExplainBlobError(ref.status(), c.scope, shown_name);
    *exit_code = out.Fail(e.exit_code, e.message);
    return std::nullopt;
  }
  return *std::move(ref);
}

absl::StatusOr<std::string> DownloadBlob(Connection& c, const Context& ctx, const Output& out,
                                         const std::string& room_id, const v1::BlobRef& ref) {
  ProgressBar bar(ctx.err, ShowProgress(ctx, out) ? ctx.err_columns : 0,
                  SafeFileName(ref.name(), ref.address()));
  absl::StatusOr<std::string> content = c.client->GetBlob(room_id, ref, bar.Callback());
  bar.Finish();
  return content;
}

constexpr int kMaxNumberedNames = 1000;

absl::StatusOr<std::string> SaveInDirectory(const std::string& dir, const v1::BlobRef& ref,
                                            absl::string_view content) {
  const std::string name = SafeFileName(ref.name(), ref.address());
  // The same file saved before (recv --history again, /save twice) is not saved again.
  for (int n = 0; n < kMaxNumberedNames; ++n) {
    std::string path = dir.empty() ? NumberedFileName(name, n)
                                   : absl::StrCat(dir, dir.back() == '/' ? "" : "/",
                                                  NumberedFileName(name, n));
    struct stat st;
    // Stop at the first free name, where a new copy would go (after a gap left by a deleted
    // copy this may save one more copy, never a wrong one).
    if (lstat(path.c_str(), &st) != 0) break;
    if (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != content.size()) continue;
    absl::StatusOr<std::string> existing = common::ReadFile(path);
    if (existing.ok() && *existing == content) return path;
  }
  return WriteNewFileAtomically(
      dir, [&name](int n) { return NumberedFileName(name, n); }, content, 0600,
      kMaxNumberedNames);
}

Explained ExplainBlobError(const absl::Status& status, const ErrorScope& scope,
                           absl::string_view file_name) {
  const absl::string_view message = status.message();
  switch (status.code()) {
    case absl::StatusCode::kDataLoss:
      return {kExitIntegrity,
              absl::StrCat("integrity check failed for ", file_name,
                           ": what the server holds is not what its sender uploaded (", message,
                           "); nothing of it was saved")};
    case absl::StatusCode::kNotFound:
      if (scope.room.empty()) break;
      return {kExitNotFound, absl::StrCat("file ", file_name, " is not in room ", scope.room,
                                          ", or you are not a member of it")};
    case absl::StatusCode::kInvalidArgument:
      // Not the user's command line: the reference came from a peer's frame (or a token).
      return {kExitOther, absl::StrCat("the reference to ", file_name, " is malformed (", message,
                                       ")")};
    case absl::StatusCode::kResourceExhausted:
      return {kExitOther, absl::StrCat("the server did not take ", file_name, ": ", message,
                                       " (too large for it, or busy: try again later)")};
    case absl::StatusCode::kOutOfRange:
      return {kExitOther, absl::StrCat(file_name, " is over this client's limit of ",
                                       FormatByteSize(MaxFileBytes()), " (", message, ")")};
    default:
      break;
  }
  return Explain(status, scope);
}

nlohmann::json BlobJson(const v1::BlobRef& ref) {
  return {{"address", ref.address()},
          {"size", ref.size()},
          {"name", ref.name()},
          {"content_type", ref.content_type()}};
}

}  // namespace unibus::client::cli
