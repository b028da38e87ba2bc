// Test helper: what a directory holds, for tests that check which files a component left behind.
#ifndef UNIBUS_COMMON_TESTING_DIR_ENTRIES_H_
#define UNIBUS_COMMON_TESTING_DIR_ENTRIES_H_

#include <string>
#include <vector>

namespace unibus::common::testing {

// The names in `dir` other than "." and ".." (hidden ones included), in readdir order; empty if
// `dir` cannot be opened (a directory that does not exist holds nothing).
std::vector<std::string> DirEntries(const std::string& dir);

}  // namespace unibus::common::testing

#endif  // UNIBUS_COMMON_TESTING_DIR_ENTRIES_H_
