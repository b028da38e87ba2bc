// BlobQuota on a real DiskBlobStore in a temp dir (its usage is counted from the store).
#include "control/blob/blob_quota.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/time/clock.h"
#include "control/blob/disk_blob_store.h"
#include "gtest/gtest.h"

namespace unibus::control::blob {
namespace {

const std::string kRoomA(32, 'a');
const std::string kRoomB(32, 'b');
const std::string kAlice(64, '1');
const std::string kBob(64, '2');

std::string TempDir() {
  static int n = 0;
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/quota-", getpid(), "-", ++n);
}

class BlobQuotaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    store_ = DiskBlobStore::Open(dir_).value();
  }

  std::unique_ptr<BlobQuota> NewQuota(uint64_t per_room, uint64_t per_identity) {
    BlobQuota::Limits limits;
    limits.per_room = per_room;
    limits.per_identity = per_identity;
    return std::make_unique<BlobQuota>(*store_, limits, clock_);
  }

  // Stores `size` bytes (distinct for each `seed`) directly in the store, as `uploader`.
  std::string Store(const std::string& room, uint64_t size, int seed,
                    const std::string& uploader) {
    std::string bytes(size, static_cast<char>('a' + seed));
    std::string address = common::Sha256Hex(bytes);
    auto writer = store_->Create(room, address, uploader).value();
    EXPECT_TRUE(writer->Append(bytes).ok());
    EXPECT_TRUE(writer->Commit().ok());
    return address;
  }

  std::string dir_;
  common::FakeClock clock_;
  std::unique_ptr<DiskBlobStore> store_;
};

TEST_F(BlobQuotaTest, ConcurrentReservationsCannotOvershootEitherQuota) {
  auto quota = NewQuota(/*per_room=*/100, /*per_identity=*/60);
  auto first = quota->Reserve(kRoomA, kAlice, 50);
  ASSERT_TRUE(first.ok()) << first.status();
  // Alice's 50 in flight: 11 more would be over her 60.
  auto second = quota->Reserve(kRoomB, kAlice, 11);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(second.status().message(), "your blob storage quota"))
      << second.status();
  // Bob fits in the room, up to its 100.
  auto bobs = quota->Reserve(kRoomA, kBob, 50);
  ASSERT_TRUE(bobs.ok());
  auto over = quota->Reserve(kRoomA, kBob, 1);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(over.status().message(), "the room's blob storage quota"))
      << over.status();
  EXPECT_EQ(quota->RoomBytes(kRoomA), 100u);
}

TEST_F(BlobQuotaTest, CreatedBytesStayAndReleasedReservationsReturn) {
  auto quota = NewQuota(100, 100);
  {
    auto kept = quota->Reserve(kRoomA, kAlice, 30);
    ASSERT_TRUE(kept.ok());
    kept->Created();
    auto dropped = quota->Reserve(kRoomA, kAlice, 40);  // an upload that failed or was a copy
    ASSERT_TRUE(dropped.ok());
  }
  EXPECT_EQ(quota->RoomBytes(kRoomA), 30u);
  EXPECT_EQ(quota->IdentityBytes(kAlice), 30u);
  EXPECT_TRUE(quota->Reserve(kRoomA, kAlice, 70).ok());
}

TEST_F(BlobQuotaTest, UsageIsCountedFromTheStoreAsARestartWouldSeeIt) {
  Store(kRoomA, 40, 1, kAlice);
  Store(kRoomB, 30, 2, kAlice);
  Store(kRoomB, 20, 3, kBob);
  Store(kRoomB, 5, 4, "");  // uploader unknown: the room's bytes only
  auto quota = NewQuota(100, 100);
  ASSERT_TRUE(quota->Recount().ok());
  EXPECT_EQ(quota->IdentityBytes(kAlice), 70u);
  EXPECT_EQ(quota->IdentityBytes(kBob), 20u);
  EXPECT_EQ(quota->RoomBytes(kRoomA), 40u);
  EXPECT_EQ(quota->RoomBytes(kRoomB), 55u);
  EXPECT_EQ(quota->Reserve(kRoomA, kAlice, 31).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(quota->Reserve(kRoomA, kAlice, 30).ok());
}

TEST_F(BlobQuotaTest, NeverCountedCountsOnFirstReserve) {
  Store(kRoomA, 90, 1, kAlice);
  auto quota = NewQuota(100, 1000);
  EXPECT_EQ(quota->Reserve(kRoomA, kBob, 11).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(BlobQuotaTest, RemovalsFreeTheirBytes) {
  auto quota = NewQuota(100, 100);
  ASSERT_TRUE(quota->Recount().ok());
  for (const std::string& room : {kRoomA, kRoomB}) {
    auto r = quota->Reserve(room, kAlice, 40);
    ASSERT_TRUE(r.ok());
    r->Created();
  }
  quota->Removed(kRoomA, kAlice, 40);
  EXPECT_EQ(quota->IdentityBytes(kAlice), 40u);
  EXPECT_EQ(quota->RoomBytes(kRoomA), 0u);
  quota->RoomRemoved(kRoomB);
  EXPECT_EQ(quota->IdentityBytes(kAlice), 0u);
  EXPECT_EQ(quota->RoomBytes(kRoomB), 0u);
}

TEST_F(BlobQuotaTest, ARefusalOnAStaleCountRecountsFromTheStore) {
  // As after a room deleted through another cluster node: the store changed behind this count.
  std::string address = Store(kRoomA, 90, 1, kAlice);
  auto quota = NewQuota(100, 100);
  ASSERT_TRUE(quota->Recount().ok());
  ASSERT_TRUE(store_->Delete(kRoomA, address).ok());
  // A fresh count is trusted...
  EXPECT_EQ(quota->Reserve(kRoomA, kAlice, 20).status().code(),
            absl::StatusCode::kResourceExhausted);
  // ... an old one is checked against the store before refusing.
  clock_.Advance(absl::Minutes(1));
  auto reserved = quota->Reserve(kRoomA, kAlice, 20);
  EXPECT_TRUE(reserved.ok()) << reserved.status();
  EXPECT_EQ(quota->IdentityBytes(kAlice), 20u);
}

}  // namespace
}  // namespace unibus::control::blob
