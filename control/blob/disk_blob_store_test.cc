#include "control/blob/disk_blob_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/dir_entries.h"
#include "control/blob/blob_store_conformance.h"

namespace unibus::control::blob {
namespace {

using common::testing::DirEntries;

const std::string kRoom(32, 'a');
const std::string kOtherRoom(32, 'b');
const std::string kAddress(64, 'c');

std::string TempDir() {
  static int n = 0;
  std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/blobs-", getpid(), "-", ++n);
  return dir;
}

INSTANTIATE_TEST_SUITE_P(Disk, BlobStoreConformanceTest,
                         ::testing::Values(BlobStoreFactory{"Disk",
                                                            []() -> BlobStorePtr {
                                                              auto store =
                                                                  DiskBlobStore::Open(TempDir());
                                                              if (!store.ok()) return nullptr;
                                                              return *std::move(store);
                                                            }}),
                         BlobStoreFactoryName);

std::string ReadAll(BlobReader& reader, size_t step) {
  std::string all, part;
  while (true) {
    EXPECT_TRUE(reader.Read(step, &part).ok());
    if (part.empty()) return all;
    all += part;
  }
}

TEST(DiskBlobStoreTest, WrittenBlobIsInvisibleUntilCommit) {
  std::string dir = TempDir();
  auto store = DiskBlobStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  auto writer = (*store)->Create(kRoom, kAddress, "");
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_TRUE((*writer)->Append("hello ").ok());
  ASSERT_TRUE((*writer)->Append("world").ok());
  EXPECT_TRUE(absl::IsNotFound((*store)->Stat(kRoom, kAddress).status()));
  EXPECT_TRUE(absl::IsNotFound((*store)->Open(kRoom, kAddress).status()));
  EXPECT_EQ(DirEntries(dir + "/tmp").size(), 1u);

  absl::StatusOr<bool> created = (*writer)->Commit();
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(*created);
  EXPECT_TRUE(DirEntries(dir + "/tmp").empty());
  absl::StatusOr<BlobMeta> meta = (*store)->Stat(kRoom, kAddress);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->size, 11u);
  EXPECT_GT(meta->created_at_ms, 0);
  auto reader = (*store)->Open(kRoom, kAddress);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->meta().size, 11u);
  EXPECT_EQ(ReadAll(**reader, 4), "hello world");
  // Blobs belong to a room: the same address elsewhere is another (missing) blob.
  EXPECT_TRUE(absl::IsNotFound((*store)->Stat(kOtherRoom, kAddress).status()));

  struct stat st;
  ASSERT_EQ(stat(absl::StrCat(dir, "/rooms/", kRoom, "/", kAddress).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(absl::StrCat(dir, "/rooms/", kRoom).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(DiskBlobStoreTest, DroppedWriterLeavesNothing) {
  std::string dir = TempDir();
  auto store = DiskBlobStore::Open(dir);
  ASSERT_TRUE(store.ok());
  {
    auto writer = (*store)->Create(kRoom, kAddress, "");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(std::string(100'000, 'x')).ok());
  }
  EXPECT_TRUE(DirEntries(dir + "/tmp").empty());
  EXPECT_TRUE(DirEntries(dir + "/rooms").empty());
  EXPECT_TRUE(absl::IsNotFound((*store)->Stat(kRoom, kAddress).status()));
}

TEST(DiskBlobStoreTest, SecondCommitOfTheSameAddressReportsNotCreated) {
  auto store = DiskBlobStore::Open(TempDir());
  ASSERT_TRUE(store.ok());
  for (bool expect_created : {true, false}) {
    auto writer = (*store)->Create(kRoom, kAddress, "");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("same bytes").ok());
    absl::StatusOr<bool> created = (*writer)->Commit();
    ASSERT_TRUE(created.ok());
    EXPECT_EQ(*created, expect_created);
  }
}

TEST(DiskBlobStoreTest, OpenRemovesOrphansOfACrash) {
  std::string dir = TempDir();
  {
    auto store = DiskBlobStore::Open(dir);
    ASSERT_TRUE(store.ok());
    auto committed = (*store)->Create(kRoom, kAddress, "");
    ASSERT_TRUE(committed.ok());
    ASSERT_TRUE((*committed)->Append("kept").ok());
    ASSERT_TRUE((*committed)->Commit().ok());
  }
  // What a crash mid-upload leaves: a partial file in tmp/.
  std::ofstream(dir + "/tmp/0123.part") << "partial";
  std::ofstream(dir + "/tmp/4567.part") << "partial";
  int removed = -1;
  auto store = DiskBlobStore::Open(dir, &removed);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(removed, 2);
  EXPECT_TRUE(DirEntries(dir + "/tmp").empty());
  EXPECT_TRUE((*store)->Stat(kRoom, kAddress).ok());
}

TEST(DiskBlobStoreTest, RefusesNamesThatAreNotHex) {
  auto store = DiskBlobStore::Open(TempDir());
  ASSERT_TRUE(store.ok());
  const std::string traversal = "../../../../etc/passwd" + std::string(42, '0');
  EXPECT_TRUE(absl::IsInvalidArgument((*store)->Create(kRoom, traversal, "").status()));
  EXPECT_TRUE(absl::IsInvalidArgument((*store)->Open("../" + kRoom.substr(3), kAddress).status()));
  EXPECT_TRUE(absl::IsInvalidArgument((*store)->Stat(kRoom, std::string(64, 'C')).status()));
  EXPECT_TRUE(absl::IsInvalidArgument((*store)->DeleteRoom("..")));
}

TEST(DiskBlobStoreTest, DeleteRoomRemovesItsBlobsOnly) {
  auto store = DiskBlobStore::Open(TempDir());
  ASSERT_TRUE(store.ok());
  for (const std::string& room : {kRoom, kOtherRoom}) {
    auto writer = (*store)->Create(room, kAddress, "");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("x").ok());
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  ASSERT_TRUE((*store)->DeleteRoom(kRoom).ok());
  EXPECT_TRUE(absl::IsNotFound((*store)->Stat(kRoom, kAddress).status()));
  EXPECT_TRUE((*store)->Stat(kOtherRoom, kAddress).ok());
  EXPECT_TRUE((*store)->DeleteRoom(kRoom).ok());  // nothing left: still fine
}

TEST(DiskBlobStoreTest, OneStoreAtATimePerDirectory) {
  std::string dir = TempDir();
  {
    auto first = DiskBlobStore::Open(dir);
    ASSERT_TRUE(first.ok());
    auto upload = (*first)->Create(kRoom, kAddress, "");
    ASSERT_TRUE(upload.ok());
    ASSERT_TRUE((*upload)->Append("in flight").ok());
    // A second server on the same directory would take this upload for an orphan.
    auto second = DiskBlobStore::Open(dir);
    EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
    EXPECT_TRUE((*upload)->Commit().ok());
  }
  EXPECT_TRUE(DiskBlobStore::Open(dir).ok());  // free again once the first is gone
}

TEST(DiskBlobStoreTest, ConcurrentUploadsOfOneAddressKeepTheFirstBlob) {
  auto store = DiskBlobStore::Open(TempDir());
  ASSERT_TRUE(store.ok());
  auto a = (*store)->Create(kRoom, kAddress, "");
  auto b = (*store)->Create(kRoom, kAddress, "");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Append("same").ok());
  ASSERT_TRUE((*b)->Append("same").ok());
  absl::StatusOr<bool> first = (*a)->Commit();
  absl::StatusOr<bool> second = (*b)->Commit();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);  // not replaced: the stored blob and its creation time stay
}

}  // namespace
}  // namespace unibus::control::blob
