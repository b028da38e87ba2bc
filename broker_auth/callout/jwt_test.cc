#include "broker_auth/callout/jwt.h"

#include <sodium.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "broker_auth/callout/base64url.h"
#include "common/crypto/identity.h"
#include "common/crypto/nkeys.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::callout {
namespace {

using common::Identity;
using common::nkeys::KeyType;
using nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

json AccountClaims(const Identity& issuer) {
  return json{
      {"aud", "UNIBUS"},
      {"iat", absl::ToUnixSeconds(kNow)},
      {"iss", NkeyOf(issuer, KeyType::kAccount)},
      {"jti", "test-jti"},
      {"sub", Identity::Generate().nkey_public()},
      {"nats", {{"type", "user"}, {"version", 2}}},
  };
}

std::vector<std::string> Parts(const std::string& token) {
  return absl::StrSplit(token, '.');
}

// A token with the given raw header JSON and claims, signed correctly over "h.p" by `signer`.
std::string SignedWithHeader(const std::string& header, const json& claims, const Identity& signer) {
  std::string input = absl::StrCat(Base64UrlEncode(header), ".", Base64UrlEncode(claims.dump()));
  return absl::StrCat(input, ".", Base64UrlEncode(signer.Sign(input)));
}

absl::StatusCode CodeOf(absl::string_view token, KeyType type = KeyType::kAccount,
                        absl::Time now = kNow) {
  return VerifyJwt(token, type, now).status().code();
}

TEST(JwtTest, RoundTripReturnsTheSignedClaims) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  absl::StatusOr<json> decoded = VerifyJwt(EncodeJwt(claims, issuer), KeyType::kAccount, kNow);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, claims);
}

TEST(JwtTest, TokenHasNatsHeaderAndUnpaddedUrlSafeParts) {
  Identity issuer = Identity::Generate();
  std::string token = EncodeJwt(AccountClaims(issuer), issuer);
  std::vector<std::string> parts = Parts(token);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(token.find_first_of("+/= \n"), std::string::npos) << token;
  std::optional<std::string> header = Base64Decode(parts[0]);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(json::parse(*header), json::parse(R"({"typ":"JWT","alg":"ed25519-nkey"})"));
  // Header bytes as nats-server and every NATS library emit them (base64 "eyJ0eXAiOiJKV1Qi…").
  EXPECT_EQ(parts[0], "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ");
}

TEST(JwtTest, SignatureIsDetachedEd25519OverHeaderDotPayload) {
  Identity issuer = Identity::Generate();
  std::string token = EncodeJwt(AccountClaims(issuer), issuer);
  std::vector<std::string> parts = Parts(token);
  ASSERT_EQ(parts.size(), 3u);
  std::optional<std::string> sig = Base64Decode(parts[2]);
  ASSERT_TRUE(sig.has_value());
  ASSERT_EQ(sig->size(), static_cast<size_t>(crypto_sign_BYTES));
  std::string input = absl::StrCat(parts[0], ".", parts[1]);
  EXPECT_EQ(crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig->data()),
                                        reinterpret_cast<const unsigned char*>(input.data()),
                                        input.size(),
                                        reinterpret_cast<const unsigned char*>(
                                            issuer.sign_pub().data())),
            0);
}

TEST(JwtTest, TamperedPayloadIsUnauthenticated) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  std::vector<std::string> parts = Parts(EncodeJwt(claims, issuer));
  claims["aud"] = "SOMEONE_ELSE";
  std::string forged =
      absl::StrCat(parts[0], ".", Base64UrlEncode(claims.dump()), ".", parts[2]);
  EXPECT_EQ(CodeOf(forged), absl::StatusCode::kUnauthenticated);
}

TEST(JwtTest, TamperedSignatureIsUnauthenticated) {
  Identity issuer = Identity::Generate();
  std::string token = EncodeJwt(AccountClaims(issuer), issuer);
  std::vector<std::string> parts = Parts(token);
  std::string sig = *Base64Decode(parts[2]);
  for (size_t i : {size_t{0}, size_t{31}, size_t{63}}) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    std::string forged = absl::StrCat(parts[0], ".", parts[1], ".", Base64UrlEncode(bad));
    EXPECT_EQ(CodeOf(forged), absl::StatusCode::kUnauthenticated) << "byte " << i;
  }
  // Truncated, empty and non-base64 signatures.
  EXPECT_EQ(CodeOf(absl::StrCat(parts[0], ".", parts[1], ".",
                                Base64UrlEncode(sig.substr(0, 63)))),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(absl::StrCat(parts[0], ".", parts[1], ".")),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(absl::StrCat(parts[0], ".", parts[1], ".!!!")),
            absl::StatusCode::kUnauthenticated);
}

TEST(JwtTest, SignatureByAnotherKeyThanIssIsUnauthenticated) {
  Identity issuer = Identity::Generate();
  Identity impostor = Identity::Generate();
  // Claims name `issuer`, signed by `impostor`.
  EXPECT_EQ(CodeOf(EncodeJwt(AccountClaims(issuer), impostor)),
            absl::StatusCode::kUnauthenticated);
}

TEST(JwtTest, HeaderAlgNoneIsRejectedEvenWithoutSignature) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  std::string header = Base64UrlEncode(R"({"typ":"JWT","alg":"none"})");
  std::string payload = Base64UrlEncode(claims.dump());
  EXPECT_EQ(CodeOf(absl::StrCat(header, ".", payload, ".")), absl::StatusCode::kInvalidArgument);
  // Even when the Ed25519 signature over the new header is valid, "none" is refused.
  EXPECT_EQ(CodeOf(SignedWithHeader(R"({"typ":"JWT","alg":"none"})", claims, issuer)),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtTest, HeaderAlgHs256IsRejected) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  EXPECT_EQ(CodeOf(SignedWithHeader(R"({"typ":"JWT","alg":"HS256"})", claims, issuer)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(SignedWithHeader(R"({"typ":"JWT","alg":"EdDSA"})", claims, issuer)),
            absl::StatusCode::kInvalidArgument);
  // Swapping the header of a genuine token for an HS256 one.
  std::vector<std::string> parts = Parts(EncodeJwt(claims, issuer));
  EXPECT_EQ(CodeOf(absl::StrCat(Base64UrlEncode(R"({"typ":"JWT","alg":"HS256"})"), ".", parts[1],
                                ".", parts[2])),
            absl::StatusCode::kInvalidArgument);
}

TEST(JwtTest, HeaderWithoutJwtTypeOrAlgIsRejected) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  for (const char* header : {R"({"alg":"ed25519-nkey"})", R"({"typ":"JWT"})",
                             R"({"typ":"JWS","alg":"ed25519-nkey"})",
                             R"({"typ":1,"alg":"ed25519-nkey"})", R"([])", "not json"}) {
    EXPECT_EQ(CodeOf(SignedWithHeader(header, claims, issuer)),
              absl::StatusCode::kInvalidArgument)
        << header;
  }
}

TEST(JwtTest, LegacyAlgAndLowercaseTypAndSpacedHeaderAreAccepted) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  for (const char* header : {R"({"typ":"jwt","alg":"ed25519"})",
                             R"({"typ":"JWT", "alg":"ed25519-nkey"})"}) {
    absl::StatusOr<json> decoded =
        VerifyJwt(SignedWithHeader(header, claims, issuer), KeyType::kAccount, kNow);
    EXPECT_TRUE(decoded.ok()) << header << ": " << decoded.status();
  }
}

TEST(JwtTest, TamperedHeaderThatStillParsesIsUnauthenticated) {
  Identity issuer = Identity::Generate();
  std::vector<std::string> parts = Parts(EncodeJwt(AccountClaims(issuer), issuer));
  // A still-acceptable header, but not the one that was signed.
  std::string other = Base64UrlEncode(R"({"typ":"jwt","alg":"ed25519-nkey"})");
  EXPECT_EQ(CodeOf(absl::StrCat(other, ".", parts[1], ".", parts[2])),
            absl::StatusCode::kUnauthenticated);
}

TEST(JwtTest, IssuerOfTheWrongKeyTypeIsInvalidArgument) {
  Identity issuer = Identity::Generate();
  std::string token = EncodeJwt(AccountClaims(issuer), issuer);  // iss "A…"
  EXPECT_EQ(CodeOf(token, KeyType::kServer), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(token, KeyType::kUser), absl::StatusCode::kInvalidArgument);
  // And the other way around: a user key where an account is expected.
  json claims = AccountClaims(issuer);
  claims["iss"] = issuer.nkey_public();  // "U…"
  EXPECT_EQ(CodeOf(EncodeJwt(claims, issuer), KeyType::kAccount),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(VerifyJwt(EncodeJwt(claims, issuer), KeyType::kUser, kNow).ok());
}

TEST(JwtTest, MissingOrMalformedIssuerIsInvalidArgument) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  claims.erase("iss");
  EXPECT_EQ(CodeOf(EncodeJwt(claims, issuer)), absl::StatusCode::kInvalidArgument);
  claims["iss"] = 42;
  EXPECT_EQ(CodeOf(EncodeJwt(claims, issuer)), absl::StatusCode::kInvalidArgument);
  claims["iss"] = "ANOTANNKEY";
  EXPECT_EQ(CodeOf(EncodeJwt(claims, issuer)), absl::StatusCode::kInvalidArgument);
  // A valid account key with one character changed fails its checksum.
  std::string iss = NkeyOf(issuer, KeyType::kAccount);
  iss[10] = iss[10] == 'A' ? 'B' : 'A';
  claims["iss"] = iss;
  EXPECT_EQ(CodeOf(EncodeJwt(claims, issuer)), absl::StatusCode::kInvalidArgument);
}

TEST(JwtTest, ExpiredTokenIsDeadlineExceeded) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  claims["exp"] = absl::ToUnixSeconds(kNow) - 1;
  EXPECT_EQ(CodeOf(EncodeJwt(claims, issuer)), absl::StatusCode::kDeadlineExceeded);
}

TEST(JwtTest, ValidThroughItsExpirySecond) {
  // As the Go jwt library: expired only once now > exp.
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  claims["exp"] = absl::ToUnixSeconds(kNow) + 60;
  std::string token = EncodeJwt(claims, issuer);
  EXPECT_TRUE(VerifyJwt(token, KeyType::kAccount, kNow).ok());
  EXPECT_TRUE(VerifyJwt(token, KeyType::kAccount, kNow + absl::Seconds(60)).ok());
  EXPECT_EQ(CodeOf(token, KeyType::kAccount, kNow + absl::Seconds(61)),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(JwtTest, ZeroExpiryMeansNoExpiry) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  claims["exp"] = 0;
  EXPECT_TRUE(VerifyJwt(EncodeJwt(claims, issuer), KeyType::kAccount, kNow + absl::Hours(1e6)).ok());
}

TEST(JwtTest, ForgedExpiredTokenReportsTheSignatureNotTheExpiry) {
  // The signature is checked before the times, so a forgery never looks like a mere expiry.
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  claims["exp"] = absl::ToUnixSeconds(kNow) - 100;
  EXPECT_EQ(CodeOf(EncodeJwt(claims, Identity::Generate())), absl::StatusCode::kUnauthenticated);
}

TEST(JwtTest, NotBeforeInTheFutureIsRejected) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  claims["nbf"] = absl::ToUnixSeconds(kNow) + 1;
  absl::StatusOr<json> decoded = VerifyJwt(EncodeJwt(claims, issuer), KeyType::kAccount, kNow);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << decoded.status();
}

TEST(JwtTest, NotBeforeNowOrInThePastIsAccepted) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  claims["nbf"] = absl::ToUnixSeconds(kNow);
  EXPECT_TRUE(VerifyJwt(EncodeJwt(claims, issuer), KeyType::kAccount, kNow).ok());
  claims["nbf"] = absl::ToUnixSeconds(kNow) - 3600;
  EXPECT_TRUE(VerifyJwt(EncodeJwt(claims, issuer), KeyType::kAccount, kNow).ok());
}

// Regression: CheckTimes once read "exp"/"nbf" only when they were JSON numbers, so a signed
// token with "exp":"1700000000" (a string, long past) never expired: the check failed open.
// nats-io/jwt stores both as int64; anything else is now refused.
TEST(JwtTest, NonNumericExpOrNbfIsRejected) {
  Identity issuer = Identity::Generate();
  json claims = AccountClaims(issuer);
  claims["exp"] = std::to_string(absl::ToUnixSeconds(kNow) - 3600);
  EXPECT_FALSE(VerifyJwt(EncodeJwt(claims, issuer), KeyType::kAccount, kNow).ok())
      << "a string exp in the past was accepted";
  claims.erase("exp");
  claims["nbf"] = std::to_string(absl::ToUnixSeconds(kNow) + 3600);
  EXPECT_FALSE(VerifyJwt(EncodeJwt(claims, issuer), KeyType::kAccount, kNow).ok())
      << "a string nbf in the future was accepted";
}

TEST(JwtTest, WrongNumberOfPartsIsInvalidArgument) {
  Identity issuer = Identity::Generate();
  std::string token = EncodeJwt(AccountClaims(issuer), issuer);
  std::vector<std::string> parts = Parts(token);
  EXPECT_EQ(CodeOf(absl::StrCat(parts[0], ".", parts[1])), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(absl::StrCat(token, ".", parts[2])), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(absl::StrCat(token, ".")), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(parts[1]), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(".."), absl::StatusCode::kInvalidArgument);
}

TEST(JwtTest, ClaimsThatAreNotAJsonObjectAreInvalidArgument) {
  Identity issuer = Identity::Generate();
  std::string header = Base64UrlEncode(R"({"typ":"JWT","alg":"ed25519-nkey"})");
  for (const char* body : {"not json", "[1,2,3]", "\"a string\"", "{\"iss\":"}) {
    std::string input = absl::StrCat(header, ".", Base64UrlEncode(body));
    std::string token = absl::StrCat(input, ".", Base64UrlEncode(issuer.Sign(input)));
    EXPECT_EQ(CodeOf(token), absl::StatusCode::kInvalidArgument) << body;
  }
  // A payload that is not base64 at all.
  EXPECT_EQ(CodeOf(absl::StrCat(header, ".***.AAAA")), absl::StatusCode::kInvalidArgument);
}

TEST(JwtTest, NkeyOfEncodesTheSigningKeyWithTheRequestedPrefix) {
  Identity id = Identity::Generate();
  EXPECT_EQ(NkeyOf(id, KeyType::kAccount)[0], 'A');
  EXPECT_EQ(NkeyOf(id, KeyType::kServer)[0], 'N');
  EXPECT_EQ(NkeyOf(id, KeyType::kUser), id.nkey_public());
  for (KeyType type : {KeyType::kAccount, KeyType::kServer, KeyType::kUser}) {
    std::string text = NkeyOf(id, type);
    EXPECT_EQ(text.size(), 56u);
    EXPECT_EQ(common::nkeys::DecodePublic(type, text).value(), id.sign_pub());
  }
}

}  // namespace
}  // namespace unibus::broker_auth::callout
