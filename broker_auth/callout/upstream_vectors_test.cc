// Interop with fixed keys and tokens from the upstream NATS projects. Only the test-vector
// strings are taken from upstream, each cited by file and line; the checks are our own.
#include <sodium.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "broker_auth/callout/auth_request.h"
#include "broker_auth/callout/auth_response.h"
#include "broker_auth/callout/base64url.h"
#include "broker_auth/callout/jwt.h"
#include "broker_auth/callout/xkey.h"
#include "common/crypto/identity.h"
#include "common/crypto/nkeys.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::callout {
namespace {

using common::Identity;
using common::nkeys::KeyType;
using nlohmann::json;

// nats-io/nats-server v2.10.27, server/auth_callout_test.go:46-49 (authCalloutPub,
// authCalloutSeed, authCalloutIssuer, authCalloutIssuerSeed).
constexpr char kUpstreamUserPublic[] = "UBO2MQV67TQTVIRV3XFTEZOACM4WLOCMCDMAWN5QVN5PI2N6JHTVDRON";
constexpr char kUpstreamUserSeed[] = "SUAP277QP7U4JMFFPVZHLJYEQJ2UHOTYVEIZJYAWRJXQLP4FRSEHYZJJOU";
constexpr char kUpstreamIssuerPublic[] = "ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA";
constexpr char kUpstreamIssuerSeed[] = "SAANDLKMXL6CUS3CP52WIXBEDN6YJ545GDKC65U5JZPPV6WH6ESWUA6YAI";

// nats-io/nats-server v2.10.27, server/auth_callout_test.go:883-884 (curveSeed, curvePublic).
constexpr char kUpstreamCurveSeed[] = "SXAAXMRAEP6JWWHNB6IKFL554IE6LZVT6EY5MBRICPILTLOPHAG73I3YX4";
constexpr char kUpstreamCurvePublic[] = "XAB3NANV3M6N7AHSQP2U5FRWKKUT7EG2ZXXABV4XVXYQRJGM4S2CZGHT";

// nats-io/nats-server v2.10.27, server/configs/one.creds:2 (a user JWT issued by account
// ABVRZKJ6…, no "exp") and :10 (the matching user seed).
constexpr char kCredsUserJwt[] =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ."
    "eyJqdGkiOiJHRUNQVEpISE1TM01DTUtMVFBHWUdBTzQ1R1E2TjZRUFlXUTRHUExBRUIzM1ZDUkpOUlZRIiwiaWF0Ijox"
    "NjE2MjQ3MjMyLCJpc3MiOiJBQlZSWktKNlo3TklNUElZSlJDSEVZRlJVTzdFTk42TldPS1FERkxGREZWUFNNMzZVUFgy"
    "VUNQUCIsIm5hbWUiOiJvbmUiLCJzdWIiOiJVRENJQkdHR0hDSkJRUE9PNFNDSkpCSFpEUjM3TlFHR0NJV01ORzJEREFL"
    "SjZXTUtCTUFLWElNTyIsIm5hdHMiOnsicHViIjp7fSwic3ViIjp7fSwic3VicyI6LTEsImRhdGEiOi0xLCJwYXlsb2Fk"
    "IjotMSwidHlwZSI6InVzZXIiLCJ2ZXJzaW9uIjoyfX0."
    "VLhSDtGZEF_jdvgmhgkdISXAt5wFMMZxxwm5w8UrsnlM1hkUvtxBlTe4IP0xJIf4xf8JOR2Bmf73xUGJKUZECQ";
constexpr char kCredsIssuer[] = "ABVRZKJ6Z7NIMPIYJRCHEYFRUO7ENN6NWOKQDFLFDFVPSM36UPX2UCPP";
constexpr char kCredsSubject[] = "UDCIBGGGHCJBQPOO4SCJJBHZDR37NQGGCIWMNG2DDAKJ6WMKBMAKXIMO";
constexpr char kCredsSeed[] = "SUAPCDMU5TSHHLWUUZSOUABJXP2GXRCZVEOVWPSVM5XRSXYGQMRRFDYNMY";

// nats-io/jwt v2.7.3, v2/decoder_test.go:395 (TestUsingURLDecoder): a legacy v1 activation
// token (header typ "jwt", alg "ed25519") issued by account ACSJZHNZ…, signed over the payload only.
constexpr char kV1ActivationJwt[] =
    "eyJ0eXAiOiJqd3QiLCJhbGciOiJlZDI1NTE5In0."
    "eyJqdGkiOiJGQ1lZRjJLR0EzQTZHTlZQR0pIVjNUSExYR1VZWkFUREZLV1JTT1czUUo1T0k3QlJST0ZRIiwiaWF0Ijox"
    "NTQzOTQzNjc1LCJpc3MiOiJBQ1NKWkhOWlI0QUFUVE1KNzdUV1JONUJHVUZFWFhUS0gzWEtGTldDRkFCVzJRWldOUTRD"
    "QkhRRSIsInN1YiI6IkFEVEFHWVZYRkpPRENRM0g0VUZQQU43R1dXWk1BVU9FTTJMMkRWQkFWVFdLM01TU0xUS1JUTzVG"
    "IiwidHlwZSI6ImFjdGl2YXRpb24iLCJuYXRzIjp7InN1YmplY3QiOiJmb28iLCJ0eXBlIjoic2VydmljZSJ9fQ."
    "HCZTCF-7wolS3Wjx3swQWMkoDhoo_4gp9EsuM5diJfZrH8s6NTpO0iT7_fKZm7dNDeEoqjwU--3ebp8j-Mm_Aw";
constexpr char kV1Issuer[] = "ACSJZHNZR4AATTMJ77TWRN5BGUFEXXTKH3XKFNWCFABW2QZWNQ4CBHQE";

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

// The Ed25519 public nkey of a seed, derived with libsodium directly (not through Identity).
std::string PublicOfEd25519Seed(KeyType type, const char* seed_text) {
  common::InitSodium();
  absl::StatusOr<common::SecretBytes> seed = common::nkeys::DecodeSeed(type, seed_text);
  EXPECT_TRUE(seed.ok()) << seed.status();
  if (!seed.ok()) return "";
  EXPECT_EQ(seed->size(), 32u);
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, seed->data());
  sodium_memzero(sk, sizeof sk);
  return common::nkeys::EncodePublic(type, std::string(reinterpret_cast<char*>(pk), sizeof pk));
}

Identity IdentityOfSeed(KeyType type, const char* seed_text) {
  return Identity::FromSeed(common::nkeys::DecodeSeed(type, seed_text).value().view()).value();
}

TEST(UpstreamVectorsTest, UserSeedDerivesUpstreamUserPublicKey) {
  EXPECT_EQ(PublicOfEd25519Seed(KeyType::kUser, kUpstreamUserSeed), kUpstreamUserPublic);
  EXPECT_EQ(IdentityOfSeed(KeyType::kUser, kUpstreamUserSeed).nkey_public(), kUpstreamUserPublic);
}

TEST(UpstreamVectorsTest, AccountSeedDerivesUpstreamIssuerPublicKey) {
  EXPECT_EQ(PublicOfEd25519Seed(KeyType::kAccount, kUpstreamIssuerSeed), kUpstreamIssuerPublic);
  EXPECT_EQ(NkeyOf(IdentityOfSeed(KeyType::kAccount, kUpstreamIssuerSeed), KeyType::kAccount),
            kUpstreamIssuerPublic);
}

TEST(UpstreamVectorsTest, CurveSeedDerivesUpstreamCurvePublicKey) {
  absl::StatusOr<CurveKey> key = CurveKey::FromSeed(kUpstreamCurveSeed);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->PublicText(), kUpstreamCurvePublic);
  EXPECT_EQ(key->SeedText().view(), kUpstreamCurveSeed);
}

TEST(UpstreamVectorsTest, SeedsAreTypedByTheirSecondCharacter) {
  // SU… is a user seed, SA… an account seed, SX… a curve seed; no other reading is accepted.
  EXPECT_FALSE(common::nkeys::DecodeSeed(KeyType::kAccount, kUpstreamUserSeed).ok());
  EXPECT_FALSE(common::nkeys::DecodeSeed(KeyType::kUser, kUpstreamIssuerSeed).ok());
  EXPECT_FALSE(common::nkeys::DecodeSeed(KeyType::kUser, kUpstreamCurveSeed).ok());
  EXPECT_EQ(CurveKey::FromSeed(kUpstreamUserSeed).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UpstreamVectorsTest, CredsSeedDerivesTheSubjectOfItsJwt) {
  EXPECT_EQ(PublicOfEd25519Seed(KeyType::kUser, kCredsSeed), kCredsSubject);
}

TEST(UpstreamVectorsTest, RealUserJwtFromUpstreamVerifies) {
  absl::StatusOr<json> claims = VerifyJwt(kCredsUserJwt, KeyType::kAccount, kNow);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ((*claims)["iss"], kCredsIssuer);
  EXPECT_EQ((*claims)["sub"], kCredsSubject);
  EXPECT_EQ((*claims)["name"], "one");
  EXPECT_EQ((*claims)["iat"], 1616247232);
  EXPECT_EQ((*claims)["nats"]["type"], "user");
  EXPECT_EQ((*claims)["nats"]["version"], 2);
  EXPECT_EQ((*claims)["nats"]["subs"], -1);
  EXPECT_FALSE(claims->contains("exp"));
  // No "exp": valid at any time.
  EXPECT_TRUE(VerifyJwt(kCredsUserJwt, KeyType::kAccount, absl::FromUnixSeconds(4'000'000'000)).ok());
}

TEST(UpstreamVectorsTest, RealUserJwtWithAnyByteOfItsSignatureChangedIsUnauthenticated) {
  std::vector<std::string> parts = absl::StrSplit(kCredsUserJwt, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string sig = *Base64Decode(parts[2]);
  for (size_t i = 0; i < sig.size(); i += 9) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    EXPECT_EQ(VerifyJwt(absl::StrCat(parts[0], ".", parts[1], ".", Base64UrlEncode(bad)),
                        KeyType::kAccount, kNow)
                  .status()
                  .code(),
              absl::StatusCode::kUnauthenticated)
        << "byte " << i;
  }
}

TEST(UpstreamVectorsTest, RealUserJwtWithEditedClaimsIsUnauthenticated) {
  std::vector<std::string> parts = absl::StrSplit(kCredsUserJwt, '.');
  json claims = json::parse(*Base64Decode(parts[1]));
  claims["nats"]["pub"]["allow"] = {">"};  // privilege escalation attempt
  std::string forged =
      absl::StrCat(parts[0], ".", Base64UrlEncode(claims.dump()), ".", parts[2]);
  EXPECT_EQ(VerifyJwt(forged, KeyType::kAccount, kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(UpstreamVectorsTest, RealUserJwtIsNotAcceptedAsServerIssued) {
  // An account-issued token where a server ("N…") issuer is required, as for callout requests.
  EXPECT_EQ(VerifyJwt(kCredsUserJwt, KeyType::kServer, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseAuthRequest(kCredsUserJwt, "", nullptr, kNow).ok());
}

TEST(UpstreamVectorsTest, LegacyV1TokenSignedOverPayloadOnlyIsNotAccepted) {
  // Characterisation, not a bug: jwt v1 signed only the payload (jwt v2 decoder.go treats
  // version <= 1 that way). nats-server 2.10 only ever sends v2 tokens (signed over
  // "header.payload"), which is all VerifyJwt supports; a v1 token fails its signature check.
  std::vector<std::string> parts = absl::StrSplit(kV1ActivationJwt, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string issuer = common::nkeys::DecodePublic(KeyType::kAccount, kV1Issuer).value();
  std::string sig = *Base64Decode(parts[2]);
  // The vector really is a valid v1 signature over the payload part alone...
  EXPECT_TRUE(common::VerifySignature(issuer, parts[1], sig));
  // ...and not over "header.payload".
  EXPECT_FALSE(common::VerifySignature(issuer, absl::StrCat(parts[0], ".", parts[1]), sig));
  EXPECT_EQ(VerifyJwt(kV1ActivationJwt, KeyType::kAccount, kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(UpstreamVectorsTest, ResponsesSignedWithTheUpstreamIssuerSeedNameItsPublicKey) {
  Identity issuer = IdentityOfSeed(KeyType::kAccount, kUpstreamIssuerSeed);
  AuthRequest request;
  request.server_id = NkeyOf(Identity::Generate(), KeyType::kServer);
  request.user_nkey = kUpstreamUserPublic;
  request.client_nkey = Identity::Generate().nkey_public();
  std::string user_jwt = BuildUserJwt(request, Permissions{{"a"}, {"b"}}, "UNIBUS", issuer, kNow,
                                      absl::Minutes(5));
  absl::StatusOr<json> user = VerifyJwt(user_jwt, KeyType::kAccount, kNow);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ((*user)["iss"], kUpstreamIssuerPublic);
  EXPECT_EQ((*user)["sub"], kUpstreamUserPublic);
  absl::StatusOr<std::string> reply = BuildResponse(request, user_jwt, "", issuer, nullptr, kNow);
  ASSERT_TRUE(reply.ok()) << reply.status();
  absl::StatusOr<json> response = VerifyJwt(*reply, KeyType::kAccount, kNow);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ((*response)["iss"], kUpstreamIssuerPublic);
}

TEST(UpstreamVectorsTest, UpstreamCurveKeyInteroperatesWithRawLibsodium) {
  // A message sealed with the upstream SX seed opens with libsodium using the decoded XAB3… key
  // as the sender's public key, and vice versa.
  common::InitSodium();
  CurveKey upstream = CurveKey::FromSeed(kUpstreamCurveSeed).value();
  std::string upstream_pk = common::nkeys::DecodePublic(KeyType::kCurve, kUpstreamCurvePublic).value();
  unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
  crypto_box_keypair(pk, sk);
  std::string peer =
      common::nkeys::EncodePublic(KeyType::kCurve, std::string(reinterpret_cast<char*>(pk), 32));

  std::string sealed = upstream.Seal("to the peer", peer).value();
  std::string opened(sealed.size() - 44, '\0');
  ASSERT_EQ(crypto_box_open_easy(reinterpret_cast<unsigned char*>(opened.data()),
                                 reinterpret_cast<const unsigned char*>(sealed.data()) + 28,
                                 sealed.size() - 28,
                                 reinterpret_cast<const unsigned char*>(sealed.data()) + 4,
                                 reinterpret_cast<const unsigned char*>(upstream_pk.data()), sk),
            0);
  EXPECT_EQ(opened, "to the peer");

  std::string message = "to upstream";
  std::string back = "xkv1" + std::string(24 + 16 + message.size(), '\0');
  unsigned char* nonce = reinterpret_cast<unsigned char*>(back.data()) + 4;
  randombytes_buf(nonce, 24);
  ASSERT_EQ(crypto_box_easy(nonce + 24, reinterpret_cast<const unsigned char*>(message.data()),
                            message.size(), nonce,
                            reinterpret_cast<const unsigned char*>(upstream_pk.data()), sk),
            0);
  EXPECT_EQ(upstream.Open(back, peer).value(), message);
}

}  // namespace
}  // namespace unibus::broker_auth::callout
