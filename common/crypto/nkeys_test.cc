#include "common/crypto/nkeys.h"

#include <sodium.h>

#include "gtest/gtest.h"

namespace unibus::common::nkeys {
namespace {

// The user key pair used in the NATS documentation (docs.nats.io, "NKeys" authentication).
constexpr char kDocSeed[] = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
constexpr char kDocPublic[] = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4";

TEST(NkeysTest, Crc16MatchesXmodemCheckValue) {
  // The standard CRC-16/XMODEM check value for "123456789".
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
}

TEST(NkeysTest, DocumentedSeedDerivesDocumentedPublicKey) {
  ASSERT_GE(sodium_init(), 0);
  absl::StatusOr<SecretBytes> seed = DecodeSeed(KeyType::kUser, kDocSeed);
  ASSERT_TRUE(seed.ok()) << seed.status();
  unsigned char pk[32], sk[64];
  crypto_sign_seed_keypair(pk, sk, seed->data());
  EXPECT_EQ(EncodePublic(KeyType::kUser, std::string(reinterpret_cast<char*>(pk), 32)), kDocPublic);
  EXPECT_EQ(EncodeSeed(KeyType::kUser, seed->view()), kDocSeed);
}

TEST(NkeysTest, PublicKeyRoundTrips) {
  std::string key(32, '\x42');
  std::string text = EncodePublic(KeyType::kUser, key);
  EXPECT_EQ(text[0], 'U');
  EXPECT_EQ(DecodePublic(KeyType::kUser, text).value(), key);
  EXPECT_EQ(EncodePublic(KeyType::kAccount, key)[0], 'A');
  EXPECT_EQ(EncodePublic(KeyType::kServer, key)[0], 'N');
  EXPECT_EQ(EncodePublic(KeyType::kCurve, key)[0], 'X');
}

TEST(NkeysTest, RejectsFlippedCharacterWrongTypeAndGarbage) {
  std::string bad = kDocPublic;
  bad[10] = bad[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(DecodePublic(KeyType::kUser, bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePublic(KeyType::kAccount, kDocPublic).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeSeed(KeyType::kAccount, kDocSeed).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(DecodeSeed(KeyType::kUser, "SU1!").ok());
  EXPECT_FALSE(DecodeSeed(KeyType::kUser, kDocPublic).ok());
}

}  // namespace
}  // namespace unibus::common::nkeys
