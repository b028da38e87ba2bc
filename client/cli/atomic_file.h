// Writing a whole file at once, so that readers never see half of it and a secret is never
// readable by others, not even for a moment.
#ifndef UNIBUS_CLIENT_CLI_ATOMIC_FILE_H_
#define UNIBUS_CLIENT_CLI_ATOMIC_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace unibus::client::cli {

// Writes `content` to `path` with permissions `mode`, replacing any existing file: the data goes
// to a temporary file in the same directory (created 0600, then set to `mode`), is fsync'ed and
// renamed over `path`. On error nothing is left behind and `path` is unchanged.
// NOT_FOUND if the directory does not exist, PERMISSION_DENIED if it may not be written,
// DATA_LOSS for any other I/O error. Messages name the file.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content, mode_t mode);

// Creates `dir` and any missing parents with mode 0700 (existing ones are left as they are).
// PERMISSION_DENIED or DATA_LOSS, naming the directory, on failure.
absl::Status MakeDirectories(const std::string& dir);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_ATOMIC_FILE_H_
