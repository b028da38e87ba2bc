// The local half of file transfers: reading a file to send, saving what arrived, and what a
// failed transfer means (no server needed).
#include "client/cli/blob_transfer.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "client/cli/cli_testing.h"
#include "client/cli/exit_code.h"
#include "common/testing/child_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace unibus::client::cli {
namespace {

using common::testing::ReadFileOrEmpty;
using testing::NewTempDir;

using ::testing::HasSubstr;

TEST(ReadFileToSendTest, ReadsWholeFilesAndNamesTheProblem) {
  const std::string dir = NewTempDir("blob_transfer_test");
  std::ofstream(dir + "/ok.bin", std::ios::binary) << std::string("a\0b", 3);
  EXPECT_EQ(*ReadFileToSend(dir + "/ok.bin", 3), std::string("a\0b", 3));

  absl::StatusOr<std::string> r = ReadFileToSend(dir + "/absent", 10);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("no file " + dir + "/absent"));
  EXPECT_EQ(ReadFileToSend(dir, 10).status().code(), absl::StatusCode::kFailedPrecondition);
  r = ReadFileToSend(dir + "/ok.bin", 2);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(r.status().message(), HasSubstr("3 B: too large to send (the largest file is 2 B)"));
  if (geteuid() != 0) {  // root reads anything
    ASSERT_EQ(chmod((dir + "/ok.bin").c_str(), 0), 0);
    EXPECT_EQ(ReadFileToSend(dir + "/ok.bin", 10).status().code(),
              absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(MaxFileBytes(), 16'772'840u);  // 16 MiB once encrypted
}

TEST(SaveInDirectoryTest, SafeNamesNumberedNeverReplacing) {
  const std::string dir = NewTempDir("blob_transfer_test");
  v1::BlobRef ref;
  ref.set_address(std::string(64, 'c'));
  ref.set_name("../../.profile");
  absl::StatusOr<std::string> first = SaveInDirectory(dir, ref, "one");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, dir + "/_.profile");
  absl::StatusOr<std::string> second = SaveInDirectory(dir, ref, "two");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, dir + "/_ (1).profile");
  EXPECT_EQ(ReadFileOrEmpty(dir + "/_.profile"), "one");
  EXPECT_EQ(ReadFileOrEmpty(dir + "/_ (1).profile"), "two");
  // Bytes already saved under one of the names are reused, wherever they are in the sequence.
  EXPECT_EQ(*SaveInDirectory(dir, ref, "two"), dir + "/_ (1).profile");
  EXPECT_EQ(*SaveInDirectory(dir, ref, "one"), dir + "/_.profile");
  EXPECT_EQ(*SaveInDirectory(dir, ref, "three"), dir + "/_ (2).profile");
  EXPECT_EQ(*SaveInDirectory(dir, ref, "twx"), dir + "/_ (3).profile");  // same size, other bytes
  struct stat st;
  ASSERT_EQ(stat(first->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ref.clear_name();
  EXPECT_EQ(*SaveInDirectory(dir, ref, ""), dir + "/blob-cccccccccccc");
  EXPECT_EQ(SaveInDirectory(dir + "/absent", ref, "x").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ExplainBlobErrorTest, CodesAndMessages) {
  ErrorScope scope;
  scope.room = "general";
  scope.control = "127.0.0.1:1";
  Explained e = ExplainBlobError(absl::DataLossError("sha256 mismatch"), scope, "a.pdf");
  EXPECT_EQ(e.exit_code, kExitIntegrity);
  EXPECT_THAT(e.message, HasSubstr("integrity check failed for a.pdf"));
  EXPECT_THAT(e.message, HasSubstr("sha256 mismatch"));
  e = ExplainBlobError(absl::NotFoundError("blob not found"), scope, "a.pdf");
  EXPECT_EQ(e.exit_code, kExitNotFound);
  EXPECT_THAT(e.message, HasSubstr("file a.pdf is not in room general"));
  EXPECT_EQ(ExplainBlobError(absl::InvalidArgumentError("bad key"), scope, "a").exit_code,
            kExitOther);
  EXPECT_EQ(ExplainBlobError(absl::ResourceExhaustedError("busy"), scope, "a").exit_code,
            kExitOther);
  EXPECT_EQ(ExplainBlobError(absl::OutOfRangeError("big"), scope, "a").exit_code, kExitOther);
  e = ExplainBlobError(absl::UnavailableError("connect failed"), scope, "a");
  EXPECT_EQ(e.exit_code, kExitUnreachable);
  EXPECT_THAT(e.message, HasSubstr("cannot reach unibusd at 127.0.0.1:1"));
}

TEST(BlobJsonTest, NeverTheKey) {
  v1::BlobRef ref;
  ref.set_address("ab");
  ref.set_key("secret");
  ref.set_size(3);
  ref.set_name("n");
  nlohmann::json j = BlobJson(ref);
  EXPECT_EQ(j["address"], "ab");
  EXPECT_EQ(j["size"], 3);
  EXPECT_FALSE(j.contains("key"));
  EXPECT_EQ(j.dump().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace unibus::client::cli
