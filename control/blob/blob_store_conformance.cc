#include "control/blob/blob_store_conformance.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "common/crypto/sha256.h"
#include "common/testing/test_bytes.h"

namespace unibus::control::blob {
namespace {

using common::Sha256Hex;
using common::testing::TestBytes;

const std::string kRoomA(32, 'a');
const std::string kRoomB(32, 'b');
const std::string kAlice(64, '1');
const std::string kBob(64, '2');

using BlobTuple = std::tuple<std::string, std::string, uint64_t, std::string>;

// What ForEachBlob reports, sorted.
std::vector<BlobTuple> AllBlobs(BlobStore& store) {
  std::vector<BlobTuple> all;
  absl::Status s = store.ForEachBlob([&all](const StoredBlob& blob) {
    all.emplace_back(blob.room_id, blob.address, blob.size, blob.uploader);
  });
  EXPECT_TRUE(s.ok()) << s;
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace

std::string BlobStoreFactoryName(const ::testing::TestParamInfo<BlobStoreFactory>& info) {
  return info.param.name;
}

void PrintTo(const BlobStoreFactory& factory, std::ostream* os) { *os << factory.name; }

void BlobStoreConformanceTest::SetUp() {
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr);
}

absl::StatusOr<bool> BlobStoreConformanceTest::Put(const std::string& room,
                                                   const std::string& bytes,
                                                   const std::string& uploader) {
  absl::StatusOr<std::unique_ptr<BlobWriter>> writer =
      store_->Create(room, Sha256Hex(bytes), uploader);
  if (!writer.ok()) return writer.status();
  if (absl::Status s = (*writer)->Append(bytes); !s.ok()) return s;
  return (*writer)->Commit();
}

TEST_P(BlobStoreConformanceTest, DeleteRemovesOneBlobAndNothingElse) {
  const std::string one = TestBytes(1000, 1), two = TestBytes(2000, 2);
  ASSERT_TRUE(Put(kRoomA, one).ok());
  ASSERT_TRUE(Put(kRoomA, two).ok());
  ASSERT_TRUE(Put(kRoomB, one).ok());

  ASSERT_TRUE(store_->Delete(kRoomA, Sha256Hex(one)).ok());
  EXPECT_EQ(store_->Stat(kRoomA, Sha256Hex(one)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Open(kRoomA, Sha256Hex(one)).status().code(), absl::StatusCode::kNotFound);
  // The room's other blob, and the same bytes in another room, stay.
  EXPECT_TRUE(store_->Stat(kRoomA, Sha256Hex(two)).ok());
  EXPECT_TRUE(store_->Stat(kRoomB, Sha256Hex(one)).ok());
  // Absent already: fine.
  EXPECT_TRUE(store_->Delete(kRoomA, Sha256Hex(one)).ok());
  EXPECT_TRUE(store_->Delete(std::string(32, 'c'), Sha256Hex(one)).ok());
  // And the address can be stored again.
  absl::StatusOr<bool> again = Put(kRoomA, one);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(*again);
}

TEST_P(BlobStoreConformanceTest, DeleteRefusesMalformedNames) {
  EXPECT_EQ(store_->Delete("../" + kRoomA.substr(3), std::string(64, 'c')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Delete(kRoomA, std::string(64, 'C')).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(BlobStoreConformanceTest, ForEachBlobReportsCommittedBlobsWithSizeAndUploader) {
  EXPECT_TRUE(AllBlobs(*store_).empty());
  const std::string one = TestBytes(1000, 1), two = TestBytes(2000, 2), three = TestBytes(3, 3);
  ASSERT_TRUE(Put(kRoomA, one, kAlice).ok());
  ASSERT_TRUE(Put(kRoomA, two, kBob).ok());
  ASSERT_TRUE(Put(kRoomB, one, kBob).ok());
  ASSERT_TRUE(Put(kRoomB, three).ok());  // uploader unknown
  // The same bytes again by someone else: the blob keeps its first uploader.
  absl::StatusOr<bool> again = Put(kRoomA, one, kBob);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);
  // Neither an upload in progress nor a removed blob counts.
  absl::StatusOr<std::unique_ptr<BlobWriter>> open =
      store_->Create(kRoomB, Sha256Hex(TestBytes(500, 4)), kAlice);
  ASSERT_TRUE(open.ok());
  ASSERT_TRUE((*open)->Append(TestBytes(500, 4)).ok());
  ASSERT_TRUE(Put(kRoomA, TestBytes(10, 5), kAlice).ok());
  ASSERT_TRUE(store_->Delete(kRoomA, Sha256Hex(TestBytes(10, 5))).ok());

  std::vector<BlobTuple> expected = {
      {kRoomA, Sha256Hex(one), 1000, kAlice},
      {kRoomA, Sha256Hex(two), 2000, kBob},
      {kRoomB, Sha256Hex(one), 1000, kBob},
      {kRoomB, Sha256Hex(three), 3, ""},
  };
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(AllBlobs(*store_), expected);

  ASSERT_TRUE(store_->DeleteRoom(kRoomA).ok());
  expected.erase(expected.begin(), expected.begin() + 2);
  EXPECT_EQ(AllBlobs(*store_), expected);
}

TEST_P(BlobStoreConformanceTest, DeletedBlobStoredAgainTakesItsNewUploader) {
  const std::string one = TestBytes(100, 6);
  ASSERT_TRUE(Put(kRoomA, one, kAlice).ok());
  ASSERT_TRUE(store_->Delete(kRoomA, Sha256Hex(one)).ok());
  ASSERT_TRUE(Put(kRoomA, one, kBob).ok());
  EXPECT_EQ(AllBlobs(*store_), (std::vector<BlobTuple>{{kRoomA, Sha256Hex(one), 100, kBob}}));
}

TEST_P(BlobStoreConformanceTest, CreateRefusesAMalformedUploader) {
  for (const std::string& uploader : {std::string("abc"), std::string(64, 'A'),
                                      std::string("../") + std::string(61, 'a')}) {
    EXPECT_EQ(store_->Create(kRoomA, std::string(64, 'c'), uploader).status().code(),
              absl::StatusCode::kInvalidArgument)
        << uploader;
  }
}

}  // namespace unibus::control::blob
