// Files through blobs, for the commands that move them (send --file, recv, blob put, blob get):
// reading a file to send, uploading and downloading with a progress bar, saving what arrived
// under a safe name that replaces nothing, and what a failed transfer means for the user.
//
// Files are held in memory whole (as PutBlob and GetBlob hold them); ClientOptions::max_blob_bytes
// (16 MiB by default) bounds them.
//
// Thread safety: call from the command's thread (progress bars write to ctx.err).
#ifndef UNIBUS_CLIENT_CLI_BLOB_TRANSFER_H_
#define UNIBUS_CLIENT_CLI_BLOB_TRANSFER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/cli/connection.h"
#include "client/cli/context.h"
#include "client/cli/errors.h"
#include "client/cli/output.h"
#include "client/client.h"

namespace unibus::client::cli {

// The largest file the CLI sends or accepts: what fits in the library's default blob limit once
// encrypted (16 MiB of ciphertext: 16,772,840 bytes of file). unibusd's --max_blob_bytes may be
// lower, and then the upload is refused with RESOURCE_EXHAUSTED.
uint64_t MaxFileBytes();

// Where recv and chat save files unless told otherwise: a directory of its own, so a peer's
// "Makefile" never lands among the user's files.
inline constexpr char kDefaultFilesDir[] = "unibus-files";

// Reads `path` whole. The size is checked before anything is read.
// NOT_FOUND (no such file), PERMISSION_DENIED, FAILED_PRECONDITION (a directory), OUT_OF_RANGE
// (over `max_bytes`), DATA_LOSS (read error); messages name the file.
absl::StatusOr<std::string> ReadFileToSend(const std::string& path, uint64_t max_bytes);

struct FileToSend {
  std::string path;          // as given
  std::string name;          // announced: --name, else the file's basename
  std::string content_type;  // announced: --content-type, else empty
  std::string content;
};

// ReadFileToSend(path, MaxFileBytes()) with the announced name and type, before connecting, so
// that a wrong path fails fast. On failure reports through `out` and returns nullopt with
// *exit_code = kExitFile.
std::optional<FileToSend> LoadFileToSend(const std::string& path,
                                         const std::optional<std::string>& name,
                                         const std::optional<std::string>& content_type,
                                         Output& out, int* exit_code);

// Whether transfers draw a progress bar: stderr is a terminal and the output is for people.
bool ShowProgress(const Context& ctx, const Output& out);

// PutBlob with a progress bar. On failure reports through `out` (ExplainBlobError) and returns
// nullopt with *exit_code set.
std::optional<v1::BlobRef> UploadFile(Connection& c, const Context& ctx, Output& out,
                                      const std::string& room_id, const FileToSend& file,
                                      int* exit_code);

// GetBlob with a progress bar; the plaintext, checked and decrypted, or GetBlob's error.
absl::StatusOr<std::string> DownloadBlob(Connection& c, const Context& ctx, const Output& out,
                                         const std::string& room_id, const v1::BlobRef& ref);

// Saves `content` in `dir` as SafeFileName(ref.name), or "NAME (1).EXT", "NAME (2).EXT", ... when
// that is taken; never replaces a file; atomic (WriteNewFileAtomically). A file under one of
// those names that already holds exactly `content` is reused instead (running recv --history
// again, or /save twice, does not pile up copies). Returns the path
// ("./report.pdf" for dir "."). Mode 0600: the file came out of an end-to-end encrypted room, so
// it stays as private as the room until its owner decides otherwise.
absl::StatusOr<std::string> SaveInDirectory(const std::string& dir, const v1::BlobRef& ref,
                                            absl::string_view content);

// What a failed PutBlob/GetBlob of the file `file_name` (display-safe) means:
//   DATA_LOSS (from GetBlob)  kExitIntegrity: "integrity check failed for NAME: ..."
//   NOT_FOUND                 kExitNotFound: not in the room, or not a member
//   INVALID_ARGUMENT          kExitOther: a malformed reference (a peer's, not a usage error)
//   RESOURCE_EXHAUSTED        kExitOther: too large for the server, or the server is busy
//   OUT_OF_RANGE              kExitOther: over this client's limit
//   anything else             as Explain (errors.h)
// (A failure to save what arrived is a local file problem: kExitFile with the status's message.)
Explained ExplainBlobError(const absl::Status& status, const ErrorScope& scope,
                           absl::string_view file_name);

// `ref` for --json output: address, size, name, content_type; never the key.
nlohmann::json BlobJson(const v1::BlobRef& ref);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_BLOB_TRANSFER_H_
