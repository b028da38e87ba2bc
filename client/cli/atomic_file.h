// Writing a whole file at once, so that readers never see half of it and a secret is never
// readable by others, not even for a moment.
#ifndef UNIBUS_CLIENT_CLI_ATOMIC_FILE_H_
#define UNIBUS_CLIENT_CLI_ATOMIC_FILE_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace unibus::client::cli {

// Writes `content` to `path` with permissions `mode`, replacing any existing file: the data goes
// to a temporary file in the same directory (created 0600, then set to `mode`), is fsync'ed and
// renamed over `path`. On error nothing is left behind and `path` is unchanged.
// NOT_FOUND if the directory does not exist, PERMISSION_DENIED if it may not be written,
// DATA_LOSS for any other I/O error. Messages name the file.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, mode_t mode);

// Writes `content` to a new file in `dir`, named `name(0)`, or `name(1)`, `name(2)`, ... while the
// name before is taken, and returns its path ("DIR/NAME"). An existing file is never replaced,
// not even one that appears meanwhile: the data goes to a hidden temporary file in `dir` (created
// 0600, then set to `mode`), is fsync'ed and hard-linked to the new name, which fails rather
// than overwrites. On error nothing is left behind. (File systems without hard links, such as
// FAT, are not supported.)
// ALREADY_EXISTS when the first `max_names` names are all taken; otherwise as
// WriteFileAtomically (messages name the file).
absl::StatusOr<std::string> WriteNewFileAtomically(const std::string& dir,
                                                   const std::function<std::string(int)>& name,
                                                   absl::string_view content, mode_t mode,
                                                   int max_names = 1000);

// Creates `dir` and any missing parents with mode 0700 (existing ones are left as they are).
// PERMISSION_DENIED or DATA_LOSS, naming the directory, on failure.
absl::Status MakeDirectories(const std::string& dir);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_ATOMIC_FILE_H_
