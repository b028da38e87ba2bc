// Small file helpers shared by the binaries' commands.
#ifndef UNIBUS_COMMON_FILES_FILES_H_
#define UNIBUS_COMMON_FILES_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace unibus::common {

// NOT_FOUND (naming the path) if it cannot be read.
absl::StatusOr<std::string> ReadFile(const std::string& path);
// Writes atomically (temp file, fsync, rename) with `mode`.
absl::Status WriteFile(const std::string& path, const std::string& contents, int mode);
bool FileExists(const std::string& path);

}  // namespace unibus::common

#endif  // UNIBUS_COMMON_FILES_FILES_H_
