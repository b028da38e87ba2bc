#include "common/testing/dir_entries.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace unibus::common::testing {
namespace {

std::string NewDir(const std::string& name) {
  std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  EXPECT_EQ(mkdir(dir.c_str(), 0700), 0) << dir;
  return dir;
}

TEST(DirEntriesTest, ListsFilesDirectoriesAndHiddenNamesButNotDots) {
  std::string dir = NewDir("listed");
  std::ofstream(dir + "/a.txt") << "a";
  std::ofstream(dir + "/.hidden") << "h";
  NewDir("listed/sub");
  std::vector<std::string> names = DirEntries(dir);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".hidden", "a.txt", "sub"}));
}

TEST(DirEntriesTest, EmptyOrMissingDirectoryHasNoEntries) {
  EXPECT_TRUE(DirEntries(NewDir("empty")).empty());
  EXPECT_TRUE(DirEntries(std::string(std::getenv("TEST_TMPDIR")) + "/missing").empty());
}

}  // namespace
}  // namespace unibus::common::testing
