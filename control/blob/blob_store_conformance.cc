#include "control/blob/blob_store_conformance.h"

#include "common/crypto/sha256.h"
#include "common/testing/test_bytes.h"

namespace unibus::control::blob {
namespace {

using common::Sha256Hex;
using common::testing::TestBytes;

const std::string kRoomA(32, 'a');
const std::string kRoomB(32, 'b');

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
                                                   const std::string& bytes) {
  absl::StatusOr<std::unique_ptr<BlobWriter>> writer = store_->Create(room, Sha256Hex(bytes));
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

}  // namespace unibus::control::blob
