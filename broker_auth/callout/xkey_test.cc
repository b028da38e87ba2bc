#include "broker_auth/callout/xkey.h"

#include <sodium.h>

#include <string>

#include "absl/status/status.h"
#include "common/crypto/identity.h"
#include "common/crypto/nkeys.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::callout {
namespace {

using common::nkeys::KeyType;

constexpr size_t kHeader = 4 + crypto_box_NONCEBYTES;            // "xkv1" ‖ nonce
constexpr size_t kOverhead = kHeader + crypto_box_MACBYTES;       // 44 bytes

const unsigned char* U(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string RawPublic(const CurveKey& key) {
  return common::nkeys::DecodePublic(KeyType::kCurve, key.PublicText()).value();
}

TEST(XkeyTest, GeneratedKeyHasCurveTextFormsAndReloadsFromItsSeed) {
  CurveKey key = CurveKey::Generate();
  std::string pub = key.PublicText();
  EXPECT_EQ(pub.size(), 56u);
  EXPECT_EQ(pub[0], 'X');
  common::SecretBytes seed = key.SeedText();
  ASSERT_EQ(seed.size(), 58u);
  EXPECT_EQ(seed.view().substr(0, 2), "SX");
  absl::StatusOr<CurveKey> again = CurveKey::FromSeed(seed.view());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->PublicText(), pub);
  EXPECT_NE(CurveKey::Generate().PublicText(), pub);
}

TEST(XkeyTest, PublicKeyIsScalarmultBaseOfTheRawSeed) {
  common::InitSodium();
  std::string raw(32, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string expected(crypto_scalarmult_BYTES, '\0');
  ASSERT_EQ(crypto_scalarmult_base(reinterpret_cast<unsigned char*>(expected.data()), U(raw)), 0);
  absl::StatusOr<CurveKey> key = CurveKey::FromSeed(common::nkeys::EncodeSeed(KeyType::kCurve, raw));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->PublicText(), common::nkeys::EncodePublic(KeyType::kCurve, expected));
}

TEST(XkeyTest, FromSeedRejectsOtherSeedTypesAndGarbage) {
  common::Identity user = common::Identity::Generate();
  EXPECT_EQ(CurveKey::FromSeed(user.nkey_seed().view()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CurveKey::FromSeed("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CurveKey::FromSeed("SXnotaseed").status().code(), absl::StatusCode::kInvalidArgument);
  // A public key is not a seed.
  EXPECT_EQ(CurveKey::FromSeed(CurveKey::Generate().PublicText()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(XkeyTest, SealThenOpenRoundTripsBetweenTwoKeys) {
  CurveKey server = CurveKey::Generate();
  CurveKey service = CurveKey::Generate();
  std::string message = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.payload.sig";
  absl::StatusOr<std::string> sealed = server.Seal(message, service.PublicText());
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  absl::StatusOr<std::string> opened = service.Open(*sealed, server.PublicText());
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, message);
  // And the reply direction.
  absl::StatusOr<std::string> reply = service.Seal("reply", server.PublicText());
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(server.Open(*reply, service.PublicText()).value(), "reply");
}

TEST(XkeyTest, SealedLayoutIsVersionNonceBoxWith44BytesOverhead) {
  CurveKey a = CurveKey::Generate();
  CurveKey b = CurveKey::Generate();
  std::string message(1000, 'm');
  std::string sealed = a.Seal(message, b.PublicText()).value();
  EXPECT_EQ(sealed.size(), message.size() + kOverhead);
  EXPECT_EQ(sealed.substr(0, 4), "xkv1");
  EXPECT_EQ(sealed.find(message.substr(0, 16)), std::string::npos) << "plaintext leaked";
  // A fresh random nonce every time.
  std::string again = a.Seal(message, b.PublicText()).value();
  EXPECT_NE(sealed.substr(4, crypto_box_NONCEBYTES), again.substr(4, crypto_box_NONCEBYTES));
  EXPECT_NE(sealed, again);
}

TEST(XkeyTest, EmptyMessageRoundTrips) {
  CurveKey a = CurveKey::Generate();
  CurveKey b = CurveKey::Generate();
  std::string sealed = a.Seal("", b.PublicText()).value();
  EXPECT_EQ(sealed.size(), kOverhead);
  absl::StatusOr<std::string> opened = b.Open(sealed, a.PublicText());
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "");
}

TEST(XkeyTest, OpeningWithTheWrongRecipientKeyIsUnauthenticated) {
  CurveKey sender = CurveKey::Generate();
  CurveKey recipient = CurveKey::Generate();
  CurveKey eavesdropper = CurveKey::Generate();
  std::string sealed = sender.Seal("secret", recipient.PublicText()).value();
  EXPECT_EQ(eavesdropper.Open(sealed, sender.PublicText()).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(XkeyTest, OpeningWithTheWrongSenderIsUnauthenticated) {
  CurveKey sender = CurveKey::Generate();
  CurveKey recipient = CurveKey::Generate();
  CurveKey someone_else = CurveKey::Generate();
  std::string sealed = sender.Seal("secret", recipient.PublicText()).value();
  EXPECT_EQ(recipient.Open(sealed, someone_else.PublicText()).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(recipient.Open(sealed, recipient.PublicText()).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(XkeyTest, AnyFlippedByteAfterTheVersionIsUnauthenticated) {
  CurveKey sender = CurveKey::Generate();
  CurveKey recipient = CurveKey::Generate();
  std::string sealed = sender.Seal("a JWT would be here", recipient.PublicText()).value();
  for (size_t i = 4; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x80);
    EXPECT_EQ(recipient.Open(bad, sender.PublicText()).status().code(),
              absl::StatusCode::kUnauthenticated)
        << "byte " << i;
  }
}

TEST(XkeyTest, TruncatedOrExtendedBoxIsUnauthenticated) {
  CurveKey sender = CurveKey::Generate();
  CurveKey recipient = CurveKey::Generate();
  std::string sealed = sender.Seal("payload", recipient.PublicText()).value();
  EXPECT_EQ(recipient.Open(sealed.substr(0, sealed.size() - 1), sender.PublicText()).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(recipient.Open(sealed + "x", sender.PublicText()).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(XkeyTest, MissingVersionPrefixIsInvalidArgument) {
  CurveKey sender = CurveKey::Generate();
  CurveKey recipient = CurveKey::Generate();
  std::string sealed = sender.Seal("payload", recipient.PublicText()).value();
  std::string other_version = sealed;
  other_version[3] = '2';  // "xkv2"
  EXPECT_EQ(recipient.Open(other_version, sender.PublicText()).status().code(),
            absl::StatusCode::kInvalidArgument);
  // The box without its prefix.
  EXPECT_EQ(recipient.Open(sealed.substr(4), sender.PublicText()).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A plain JWT where a sealed message is expected.
  EXPECT_EQ(recipient.Open("eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.AAAA",
                           sender.PublicText())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(XkeyTest, TooShortIsInvalidArgument) {
  CurveKey sender = CurveKey::Generate();
  CurveKey recipient = CurveKey::Generate();
  for (size_t n : {size_t{0}, size_t{4}, size_t{28}, kOverhead - 1}) {
    std::string sealed = "xkv1" + std::string(n > 4 ? n - 4 : 0, '\0');
    sealed.resize(n);
    EXPECT_EQ(recipient.Open(sealed, sender.PublicText()).status().code(),
              absl::StatusCode::kInvalidArgument)
        << n << " bytes";
  }
}

TEST(XkeyTest, KeysThatAreNotCurveKeysAreInvalidArgument) {
  CurveKey key = CurveKey::Generate();
  std::string user = common::Identity::Generate().nkey_public();  // "U…"
  EXPECT_EQ(key.Seal("m", user).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(key.Seal("m", "").status().code(), absl::StatusCode::kInvalidArgument);
  std::string sealed = key.Seal("m", key.PublicText()).value();
  EXPECT_EQ(key.Open(sealed, user).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(key.Open(sealed, "X").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(XkeyTest, SealingToALowOrderPointIsRefused) {
  // The all-zero point gives an all-zero shared secret; libsodium refuses it.
  CurveKey key = CurveKey::Generate();
  std::string zero = common::nkeys::EncodePublic(KeyType::kCurve, std::string(32, '\0'));
  EXPECT_EQ(key.Seal("m", zero).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(XkeyTest, OpensAMessageSealedDirectlyWithLibsodiumCryptoBoxEasy) {
  // What nats-server (Go nkeys xkeys.go) produces: "xkv1" ‖ nonce ‖ box(m, nonce, their_pk, my_sk),
  // rebuilt here with raw libsodium calls.
  common::InitSodium();
  unsigned char peer_pk[crypto_box_PUBLICKEYBYTES], peer_sk[crypto_box_SECRETKEYBYTES];
  crypto_box_keypair(peer_pk, peer_sk);
  std::string peer_text = common::nkeys::EncodePublic(
      KeyType::kCurve, std::string(reinterpret_cast<char*>(peer_pk), sizeof peer_pk));
  CurveKey ours = CurveKey::Generate();
  std::string our_pk = RawPublic(ours);

  std::string message = R"({"hello":"from the server"})";
  std::string sealed = "xkv1";
  sealed.resize(kOverhead + message.size());
  unsigned char* nonce = reinterpret_cast<unsigned char*>(sealed.data()) + 4;
  randombytes_buf(nonce, crypto_box_NONCEBYTES);
  ASSERT_EQ(crypto_box_easy(nonce + crypto_box_NONCEBYTES, U(message), message.size(), nonce,
                            U(our_pk), peer_sk),
            0);
  absl::StatusOr<std::string> opened = ours.Open(sealed, peer_text);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, message);
}

TEST(XkeyTest, SealedMessageOpensWithLibsodiumCryptoBoxOpenEasyAtOffset28) {
  common::InitSodium();
  unsigned char peer_pk[crypto_box_PUBLICKEYBYTES], peer_sk[crypto_box_SECRETKEYBYTES];
  crypto_box_keypair(peer_pk, peer_sk);
  std::string peer_text = common::nkeys::EncodePublic(
      KeyType::kCurve, std::string(reinterpret_cast<char*>(peer_pk), sizeof peer_pk));
  CurveKey ours = CurveKey::Generate();
  std::string our_pk = RawPublic(ours);

  std::string message = "response JWT";
  std::string sealed = ours.Seal(message, peer_text).value();
  ASSERT_GE(sealed.size(), kOverhead);
  std::string opened(sealed.size() - kOverhead, '\0');
  ASSERT_EQ(crypto_box_open_easy(reinterpret_cast<unsigned char*>(opened.data()),
                                 U(sealed) + kHeader, sealed.size() - kHeader, U(sealed) + 4,
                                 U(our_pk), peer_sk),
            0);
  EXPECT_EQ(opened, message);
}

}  // namespace
}  // namespace unibus::broker_auth::callout
