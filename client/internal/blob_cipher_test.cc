#include "client/internal/blob_cipher.h"

#include <sodium.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/identity.h"
#include "common/crypto/sha256.h"
#include "gtest/gtest.h"
#include "common/testing/test_bytes.h"

namespace unibus::client::internal {
namespace {

using common::testing::TestBytes;

constexpr unsigned char kMessage = crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
constexpr unsigned char kPush = crypto_secretstream_xchacha20poly1305_TAG_PUSH;
constexpr unsigned char kFinal = crypto_secretstream_xchacha20poly1305_TAG_FINAL;

// Record i of a well-formed ciphertext (the last one may be shorter).
absl::string_view Record(const std::string& ciphertext, size_t i) {
  return absl::string_view(ciphertext).substr(kBlobHeaderSize + i * kBlobRecordSize,
                                              kBlobRecordSize);
}

absl::string_view Header(const std::string& ciphertext) {
  return absl::string_view(ciphertext).substr(0, kBlobHeaderSize);
}

// A stream built with libsodium directly, one record per entry of `chunks` with its tag.
std::string RawStream(const std::string& key,
                      const std::vector<std::pair<std::string, unsigned char>>& chunks) {
  std::string out(kBlobHeaderSize, '\0');
  crypto_secretstream_xchacha20poly1305_state state;
  crypto_secretstream_xchacha20poly1305_init_push(
      &state, reinterpret_cast<unsigned char*>(out.data()),
      reinterpret_cast<const unsigned char*>(key.data()));
  for (const auto& [chunk, tag] : chunks) {
    std::string record(chunk.size() + kBlobRecordOverhead, '\0');
    crypto_secretstream_xchacha20poly1305_push(
        &state, reinterpret_cast<unsigned char*>(record.data()), nullptr,
        reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size(), nullptr, 0, tag);
    out += record;
  }
  return out;
}

void ExpectDataLoss(const absl::StatusOr<std::string>& got, absl::string_view message) {
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << got.status();
  EXPECT_TRUE(absl::StrContains(got.status().message(), message)) << got.status();
}

class BlobCipherTest : public ::testing::Test {
 protected:
  void SetUp() override { common::InitSodium(); }
};

TEST_F(BlobCipherTest, CiphertextSizeCountsHeaderAndOneTagPerChunk) {
  EXPECT_EQ(CiphertextSize(0), 24u + 17u);  // one empty FINAL record
  EXPECT_EQ(CiphertextSize(1), 24u + 1u + 17u);
  EXPECT_EQ(CiphertextSize(65535), 24u + 65535u + 17u);
  EXPECT_EQ(CiphertextSize(65536), 24u + 65536u + 17u);
  EXPECT_EQ(CiphertextSize(65537), 24u + 65537u + 2 * 17u);
  EXPECT_EQ(CiphertextSize(16u << 20), 24u + (16u << 20) + 256 * 17u);
  EXPECT_EQ(CiphertextSize((16u << 20) + 1), 24u + (16u << 20) + 1 + 257 * 17u);
  EXPECT_EQ(CiphertextSize(std::numeric_limits<uint64_t>::max()),
            std::numeric_limits<uint64_t>::max());
}

TEST_F(BlobCipherTest, RoundTripsEverySizeAroundChunkBoundaries) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{65535}, size_t{65536}, size_t{65537},
                   size_t{70000}, size_t{3 * 65536}}) {
    SCOPED_TRACE(n);
    std::string plain = TestBytes(n, 0);
    SealedBlob blob = SealBlob(plain);
    EXPECT_EQ(blob.key.size(), kBlobKeySize);
    EXPECT_EQ(blob.ciphertext.size(), CiphertextSize(n));
    EXPECT_EQ(blob.address, common::Sha256Hex(blob.ciphertext));
    absl::StatusOr<std::string> opened = OpenBlob(blob.ciphertext, BlobRefOf(blob));
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(*opened, plain);
  }
}

TEST_F(BlobCipherTest, RoundTripsSixteenMebibytes) {
  std::string plain = TestBytes(16 << 20, 0);
  SealedBlob blob = SealBlob(plain);
  ASSERT_EQ(blob.ciphertext.size(), CiphertextSize(plain.size()));
  absl::StatusOr<std::string> opened = OpenBlob(blob.ciphertext, BlobRefOf(blob));
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_TRUE(*opened == plain);  // not EXPECT_EQ: a failure would print 32 MiB
}

TEST_F(BlobCipherTest, EveryBlobGetsAFreshKeyAndAddress) {
  SealedBlob a = SealBlob("same bytes");
  SealedBlob b = SealBlob("same bytes");
  EXPECT_NE(a.key.view(), b.key.view());
  EXPECT_NE(a.address, b.address);
  // Even under one key the random stream header makes the ciphertexts differ.
  SealedBlob c = SealBlobWithKey("same bytes", a.key.view());
  EXPECT_NE(a.address, c.address);
}

TEST_F(BlobCipherTest, OpenChecksLengthAndAddressBeforeDecrypting) {
  std::string plain = TestBytes(70000, 0);
  SealedBlob blob = SealBlob(plain);
  v1::BlobRef ref = BlobRefOf(blob);

  v1::BlobRef wrong_size = ref;
  wrong_size.set_size(plain.size() - 1);
  ExpectDataLoss(OpenBlob(blob.ciphertext, wrong_size), "reference announces");

  v1::BlobRef wrong_address = ref;
  wrong_address.set_address(std::string(64, '0'));
  ExpectDataLoss(OpenBlob(blob.ciphertext, wrong_address), "sha256");
  ExpectDataLoss(OpenHashedBlob(blob.ciphertext, blob.address, wrong_address), "sha256");

  // Another blob of the same length under the same key: length fits, address does not.
  SealedBlob other = SealBlobWithKey(TestBytes(70000, 0), blob.key.view());
  ExpectDataLoss(OpenBlob(other.ciphertext, ref), "sha256");

  v1::BlobRef short_key = ref;
  short_key.set_key(std::string(31, 'k'));
  EXPECT_EQ(OpenBlob(blob.ciphertext, short_key).status().code(),
            absl::StatusCode::kInvalidArgument);

  absl::StatusOr<std::string> opened = OpenHashedBlob(blob.ciphertext, blob.address, ref);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, plain);
}

// The tamper tests below go through DecryptBlob, without the length and address checks: they
// show the secretstream layer refuses each change on its own, so a member holding the key who
// uploads a doctored (correctly hashed) ciphertext still cannot make a receiver accept it.
class BlobTamperTest : public BlobCipherTest {
 protected:
  void SetUp() override {
    BlobCipherTest::SetUp();
    plain_ = TestBytes(2 * kBlobChunkSize + 100, 0);  // records 0, 1 full; record 2 FINAL, short
    blob_ = SealBlob(plain_);
    key_ = std::string(blob_.key.view());
    ASSERT_EQ(blob_.ciphertext.size(), kBlobHeaderSize + 2 * kBlobRecordSize + 117);
  }
  std::string plain_;
  SealedBlob blob_;
  std::string key_;
};

TEST_F(BlobTamperTest, UntouchedStreamDecrypts) {
  absl::StatusOr<std::string> got = DecryptBlob(blob_.ciphertext, key_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, plain_);
}

TEST_F(BlobTamperTest, TruncationAtARecordBoundaryIsRejected) {
  const std::string& c = blob_.ciphertext;
  ExpectDataLoss(DecryptBlob(absl::StrCat(Header(c), Record(c, 0), Record(c, 1)), key_),
                 "ends before its final chunk");
  ExpectDataLoss(DecryptBlob(absl::StrCat(Header(c), Record(c, 0)), key_),
                 "ends before its final chunk");
  ExpectDataLoss(DecryptBlob(Header(c), key_), "ends before its final chunk");
  ExpectDataLoss(DecryptBlob(c.substr(0, kBlobHeaderSize - 1), key_), "shorter than its header");
}

TEST_F(BlobTamperTest, ReorderedRecordsAreRejected) {
  const std::string& c = blob_.ciphertext;
  ExpectDataLoss(DecryptBlob(absl::StrCat(Header(c), Record(c, 1), Record(c, 0), Record(c, 2)),
                             key_),
                 "blob chunk 0 failed authentication");
  ExpectDataLoss(DecryptBlob(absl::StrCat(Header(c), Record(c, 0), Record(c, 2)), key_),
                 "blob chunk 1 failed authentication");
}

TEST_F(BlobTamperTest, DuplicatedRecordsAreRejected) {
  const std::string& c = blob_.ciphertext;
  ExpectDataLoss(DecryptBlob(absl::StrCat(Header(c), Record(c, 0), Record(c, 0), Record(c, 1),
                                          Record(c, 2)),
                             key_),
                 "blob chunk 1 failed authentication");
  ExpectDataLoss(DecryptBlob(absl::StrCat(Header(c), Record(c, 0), Record(c, 1), Record(c, 1),
                                          Record(c, 2)),
                             key_),
                 "blob chunk 2 failed authentication");
}

TEST_F(BlobTamperTest, BytesAfterTheFinalRecordAreRejected) {
  // A full-size FINAL record: whatever follows is a record boundary's worth of extra bytes.
  SealedBlob full = SealBlobWithKey(TestBytes(kBlobChunkSize, 0), key_);
  ExpectDataLoss(DecryptBlob(full.ciphertext + "x", key_), "bytes after its final chunk");
  ExpectDataLoss(DecryptBlob(full.ciphertext + std::string(Record(blob_.ciphertext, 0)), key_),
                 "bytes after its final chunk");
  // After a short FINAL record the extra bytes become part of it and break its tag.
  ExpectDataLoss(DecryptBlob(blob_.ciphertext + "x", key_), "blob chunk 2 failed authentication");
  // A stream whose first record already says FINAL.
  ExpectDataLoss(
      DecryptBlob(RawStream(key_, {{TestBytes(kBlobChunkSize, 0), kFinal}, {"more", kFinal}}), key_),
      "bytes after its final chunk");
}

TEST_F(BlobTamperTest, StreamWithoutFinalTagOrWithOtherTagsIsRejected) {
  ExpectDataLoss(DecryptBlob(RawStream(key_, {{TestBytes(kBlobChunkSize, 0), kMessage},
                                              {"tail", kMessage}}),
                             key_),
                 "ends before its final chunk");
  ExpectDataLoss(DecryptBlob(RawStream(key_, {{TestBytes(kBlobChunkSize, 0), kPush},
                                              {"tail", kFinal}}),
                             key_),
                 "blob chunk 0 has the unexpected tag 1");
  // The same chunks with the right tags do decrypt: the tags are what was refused above.
  absl::StatusOr<std::string> fine = DecryptBlob(
      RawStream(key_, {{TestBytes(kBlobChunkSize, 0), kMessage}, {"tail", kFinal}}), key_);
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ(*fine, TestBytes(kBlobChunkSize, 0) + "tail");
}

TEST_F(BlobTamperTest, WrongKeyIsRejected) {
  std::string other(kBlobKeySize, '\0');
  crypto_secretstream_xchacha20poly1305_keygen(reinterpret_cast<unsigned char*>(other.data()));
  ExpectDataLoss(DecryptBlob(blob_.ciphertext, other), "blob chunk 0 failed authentication");
  EXPECT_EQ(DecryptBlob(blob_.ciphertext, key_.substr(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BlobTamperTest, EveryFlippedBitOfASmallBlobIsRejected) {
  SealedBlob small = SealBlobWithKey("a short blob in one record", key_);
  for (size_t bit = 0; bit < small.ciphertext.size() * 8; ++bit) {
    std::string c = small.ciphertext;
    c[bit / 8] = static_cast<char>(c[bit / 8] ^ (1 << (bit % 8)));
    absl::StatusOr<std::string> got = DecryptBlob(c, key_);
    ASSERT_FALSE(got.ok()) << "bit " << bit;
    ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << "bit " << bit;
  }
}

TEST_F(BlobTamperTest, FlippedBitsAnywhereInAMultiRecordBlobAreRejected) {
  // Every bit of the header, and of the first, middle and last bytes of every record (tag byte,
  // body, MAC): flipping all 1.1 million bits would take minutes for no extra coverage.
  std::vector<size_t> bytes;
  for (size_t i = 0; i < kBlobHeaderSize; ++i) bytes.push_back(i);
  for (size_t r = 0; r < 3; ++r) {
    size_t start = kBlobHeaderSize + r * kBlobRecordSize;
    size_t end = std::min(start + kBlobRecordSize, blob_.ciphertext.size());
    for (size_t i : {start, start + 1, (start + end) / 2, end - 17, end - 1}) bytes.push_back(i);
  }
  for (size_t byte : bytes) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string c = blob_.ciphertext;
      c[byte] = static_cast<char>(c[byte] ^ (1 << bit));
      absl::StatusOr<std::string> got = DecryptBlob(c, key_);
      ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << byte << ":" << bit;
    }
  }
}

TEST(BlobAddressTest, IsTheSha256OfTheCiphertextOnEitherSideOfTheHashThread) {
  // Blobs of 1 MiB and more are hashed on a second thread while they are encrypted.
  for (size_t n : {size_t{(1 << 20) - 1}, size_t{1 << 20}, size_t{(1 << 20) + 1},
                   size_t{3 * (1 << 20) + 100}, size_t{17 * kBlobRecordSize}}) {
    SealedBlob blob = SealBlob(TestBytes(n, 7));
    EXPECT_EQ(blob.address, common::Sha256Hex(blob.ciphertext)) << n;
  }
}

TEST(BlobLimitsTest, LargestPlaintextIsExactlyTheLargestThatFits) {
  EXPECT_EQ(LargestBlobPlaintext(16u << 20), 16'772'840u);
  EXPECT_EQ(BlobCiphertextSize(16'772'840u), 16u << 20);
  EXPECT_EQ(LargestBlobPlaintext(40), 0u);  // not even an empty blob (41 bytes)
  for (uint64_t max : {41ull, 42ull, 65'576ull, 65'577ull, 65'578ull, 131'129ull, 131'130ull,
                       131'131ull, 1'000'000ull, 3ull << 20, 16ull << 20}) {
    uint64_t largest = LargestBlobPlaintext(max);
    EXPECT_LE(BlobCiphertextSize(largest), max) << max;
    EXPECT_GT(BlobCiphertextSize(largest + 1), max) << max;
  }
}

}  // namespace
}  // namespace unibus::client::internal
