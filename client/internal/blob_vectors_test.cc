// Checks the blob cipher against the cross-language vectors in testdata/blob_v1.json
// (docs/frames.md §12): every ciphertext has the announced length and address and decrypts to
// its plaintext.
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "client/internal/blob_cipher.h"
#include "common/crypto/hex.h"
#include "common/crypto/identity.h"
#include "gtest/gtest.h"

namespace unibus::client::internal {
namespace {

using nlohmann::json;

// The parsed file, or a discarded value when it is missing or not JSON.
json ReadVectors() {
  std::ifstream in(std::string(std::getenv("TEST_SRCDIR")) + "/unibus/testdata/blob_v1.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

std::string Unhex(const json& hex) {
  std::optional<std::string> bytes = common::HexDecode(hex.get<std::string>());
  EXPECT_TRUE(bytes.has_value());
  return bytes.value_or("");
}

class BlobVectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    common::InitSodium();
    vectors_ = ReadVectors();
    ASSERT_FALSE(vectors_.is_discarded()) << "testdata/blob_v1.json is missing or not JSON";
  }
  json vectors_;
};

TEST_F(BlobVectorsTest, FileCoversEmptyOneAndSeveralRecords) {
  ASSERT_EQ(vectors_["version"], 1);
  ASSERT_EQ(vectors_["chunk_size"].get<size_t>(), kBlobChunkSize);
  ASSERT_EQ(vectors_["cases"].size(), 3u);
  EXPECT_EQ(vectors_["cases"][0]["size"], 0);
  EXPECT_EQ(vectors_["cases"][2]["records"], 2);
}

TEST_F(BlobVectorsTest, EveryCiphertextOpensToItsPlaintext) {
  for (const json& c : vectors_["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    std::string ciphertext = Unhex(c["ciphertext_hex"]);
    std::string plaintext = Unhex(c["plaintext_hex"]);
    v1::BlobRef ref;
    ref.set_address(c["address"].get<std::string>());
    ref.set_key(Unhex(c["key_hex"]));
    ref.set_size(c["size"].get<uint64_t>());
    ASSERT_EQ(plaintext.size(), ref.size());
    EXPECT_EQ(ciphertext.size(), CiphertextSize(ref.size()));
    EXPECT_EQ(BlobAddress(ciphertext), ref.address());
    EXPECT_EQ(ciphertext.size(),
              kBlobHeaderSize + ref.size() + kBlobRecordOverhead * c["records"].get<size_t>());
    absl::StatusOr<std::string> opened = OpenBlob(ciphertext, ref);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_TRUE(*opened == plaintext);
  }
}

TEST_F(BlobVectorsTest, AnotherKeyDoesNotOpenThem) {
  for (const json& c : vectors_["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    std::string key = Unhex(c["key_hex"]);
    key[0] = static_cast<char>(key[0] ^ 1);
    EXPECT_EQ(DecryptBlob(Unhex(c["ciphertext_hex"]), key).status().code(),
              absl::StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace unibus::client::internal
