#include "client/cli/atomic_file.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/testing/child_process.h"
#include "gtest/gtest.h"
#include "common/testing/dir_entries.h"

namespace unibus::client::cli {
namespace {

using common::testing::ReadFileOrEmpty;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/atomic_file_test_" + name;
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

int CountEntries(const std::string& dir) {
  int n = 0;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

TEST(WriteFileAtomicallyTest, WritesContentWithMode) {
  std::string path = TempPath("secret");
  ASSERT_TRUE(WriteFileAtomically(path, "key", 0600).ok());
  EXPECT_EQ(ReadFileOrEmpty(path), "key");
  EXPECT_EQ(Mode(path), 0600u);
}

TEST(WriteFileAtomicallyTest, ReplacesFileAndFixesItsMode) {
  std::string path = TempPath("replaced");
  ASSERT_TRUE(WriteFileAtomically(path, "old old old", 0644).ok());
  ASSERT_TRUE(WriteFileAtomically(path, "new", 0600).ok());
  EXPECT_EQ(ReadFileOrEmpty(path), "new");
  EXPECT_EQ(Mode(path), 0600u);
}

TEST(WriteFileAtomicallyTest, MissingDirectoryIsNotFoundAndNamesTheFile) {
  std::string path = TempPath("no_such_dir/file");
  absl::Status status = WriteFileAtomically(path, "x", 0600);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find(path), std::string::npos);
}

TEST(WriteFileAtomicallyTest, LeavesNoTemporaryFileBehind) {
  std::string dir = TempPath("clean_dir");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/a", "x", 0600).ok());
  // Renaming a file over a directory fails after the temporary file was written.
  ASSERT_TRUE(MakeDirectories(dir + "/b").ok());
  EXPECT_FALSE(WriteFileAtomically(dir + "/b", "x", 0600).ok());
  EXPECT_EQ(CountEntries(dir), 2);
}

std::string Numbered(int n) { return n == 0 ? "f.txt" : "f (" + std::to_string(n) + ").txt"; }

TEST(WriteNewFileAtomicallyTest, TakesTheFirstFreeNameAndNeverReplaces) {
  std::string dir = TempPath("new_files");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  absl::StatusOr<std::string> first = WriteNewFileAtomically(dir, &Numbered, "one", 0600);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, dir + "/f.txt");
  ASSERT_TRUE(WriteFileAtomically(dir + "/f (1).txt", "in the way", 0644).ok());
  absl::StatusOr<std::string> second = WriteNewFileAtomically(dir + "/", &Numbered, "two", 0640);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, dir + "/f (2).txt");
  EXPECT_EQ(ReadFileOrEmpty(dir + "/f.txt"), "one");
  EXPECT_EQ(ReadFileOrEmpty(dir + "/f (1).txt"), "in the way");
  EXPECT_EQ(ReadFileOrEmpty(dir + "/f (2).txt"), "two");
  EXPECT_EQ(Mode(dir + "/f (2).txt"), 0640u);
  EXPECT_EQ(common::testing::DirEntries(dir).size(), 3u);  // no temporary file left
}

TEST(WriteNewFileAtomicallyTest, AllNamesTakenIsAlreadyExistsAndLeavesNothing) {
  std::string dir = TempPath("taken");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/f.txt", "mine", 0600).ok());
  absl::StatusOr<std::string> r = WriteNewFileAtomically(dir, &Numbered, "theirs", 0600, 1);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find(dir + "/f.txt"), std::string::npos);
  EXPECT_EQ(ReadFileOrEmpty(dir + "/f.txt"), "mine");
  EXPECT_EQ(common::testing::DirEntries(dir).size(), 1u);
}

TEST(WriteNewFileAtomicallyTest, MissingDirectoryIsNotFound) {
  absl::StatusOr<std::string> r =
      WriteNewFileAtomically(TempPath("absent_dir"), &Numbered, "x", 0600);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

TEST(MakeDirectoriesTest, CreatesParentsPrivate) {
  std::string dir = TempPath("p/q/r");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(Mode(TempPath("p")), 0700u);
  EXPECT_TRUE(MakeDirectories(dir).ok());  // already there
}

TEST(MakeDirectoriesTest, FileInTheWayIsAnError) {
  std::string path = TempPath("a_file");
  ASSERT_TRUE(WriteFileAtomically(path, "x", 0600).ok());
  EXPECT_FALSE(MakeDirectories(path).ok());
}

}  // namespace
}  // namespace unibus::client::cli
