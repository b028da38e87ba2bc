// Small file helpers for unibusd's commands.
#ifndef UNIBUS_CONTROL_CLI_FILES_H_
#define UNIBUS_CONTROL_CLI_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace unibus::control::cli {

absl::StatusOr<std::string> ReadFile(const std::string& path);
// Writes atomically (temp file, fsync, rename) with `mode`.
absl::Status WriteFile(const std::string& path, const std::string& contents, int mode);
bool FileExists(const std::string& path);

}  // namespace unibus::control::cli

#endif  // UNIBUS_CONTROL_CLI_FILES_H_
