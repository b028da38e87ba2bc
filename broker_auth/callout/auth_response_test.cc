#include "broker_auth/callout/auth_response.h"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
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

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class AuthResponseTest : public ::testing::Test {
 protected:
  AuthResponseTest() {
    request_.server_id = NkeyOf(server_key_, KeyType::kServer);
    request_.server_name = "n1";
    request_.user_nkey = Identity::Generate().nkey_public();
    request_.client_id = 7;
    request_.client_nkey = client_.nkey_public();
    request_.nonce = "gycM7pe93kO2i8g";
    permissions_.pub_allow = {"ub.room.r1", "ub.room.r1.>", "_INBOX_abc.>"};
    permissions_.sub_allow = {"ub.room.r1", "ub.room.r1.>", "_INBOX_abc.>"};
  }

  json VerifiedUserClaims(const std::string& user_jwt, absl::Time now = kNow) {
    absl::StatusOr<json> claims = VerifyJwt(user_jwt, KeyType::kAccount, now);
    EXPECT_TRUE(claims.ok()) << claims.status();
    return claims.ok() ? *claims : json();
  }
  json VerifiedResponseClaims(const std::string& token) {
    absl::StatusOr<json> claims = VerifyJwt(token, KeyType::kAccount, kNow);
    EXPECT_TRUE(claims.ok()) << claims.status();
    return claims.ok() ? *claims : json();
  }

  Identity issuer_ = Identity::Generate();
  Identity server_key_ = Identity::Generate();
  Identity client_ = Identity::Generate();
  AuthRequest request_;
  Permissions permissions_;
};

TEST_F(AuthResponseTest, UserJwtIsSignedByTheIssuerForTheRequestsUserNkey) {
  std::string user_jwt =
      BuildUserJwt(request_, permissions_, "UNIBUS", issuer_, kNow, absl::Hours(1));
  json claims = VerifiedUserClaims(user_jwt);
  EXPECT_EQ(claims["iss"], NkeyOf(issuer_, KeyType::kAccount));
  EXPECT_EQ(claims["sub"], request_.user_nkey);
  EXPECT_EQ(claims["aud"], "UNIBUS");
  EXPECT_EQ(claims["iat"], absl::ToUnixSeconds(kNow));
  EXPECT_EQ(claims["nats"]["type"], "user");
  EXPECT_EQ(claims["nats"]["version"], 2);
  EXPECT_FALSE(claims["nats"].contains("issuer_account")) << "forbidden in config mode";
  EXPECT_TRUE(claims.contains("jti"));
}

TEST_F(AuthResponseTest, UserJwtHasUnlimitedSubsDataPayload) {
  json nats = VerifiedUserClaims(
      BuildUserJwt(request_, permissions_, "UNIBUS", issuer_, kNow, absl::Hours(1)))["nats"];
  EXPECT_EQ(nats["subs"], -1);
  EXPECT_EQ(nats["data"], -1);
  EXPECT_EQ(nats["payload"], -1);
}

TEST_F(AuthResponseTest, UserJwtCarriesExactlyTheGivenAllowLists) {
  permissions_.pub_allow = {"ub.room.a", "$JS.FC.UB_ROOMS.>"};
  permissions_.sub_allow = {"ub.room.a.>", "_INBOX_x.>", "ub.room.b"};
  json nats = VerifiedUserClaims(
      BuildUserJwt(request_, permissions_, "UNIBUS", issuer_, kNow, absl::Hours(1)))["nats"];
  EXPECT_EQ(nats["pub"]["allow"].get<std::vector<std::string>>(), permissions_.pub_allow);
  EXPECT_EQ(nats["sub"]["allow"].get<std::vector<std::string>>(), permissions_.sub_allow);
  EXPECT_FALSE(nats["pub"].contains("deny"));
  EXPECT_FALSE(nats["sub"].contains("deny"));
}

TEST_F(AuthResponseTest, UserJwtExpiresAfterTheTtl) {
  std::string user_jwt =
      BuildUserJwt(request_, permissions_, "UNIBUS", issuer_, kNow, absl::Minutes(10));
  json claims = VerifiedUserClaims(user_jwt);
  EXPECT_EQ(claims["exp"], absl::ToUnixSeconds(kNow + absl::Minutes(10)));
  EXPECT_TRUE(VerifyJwt(user_jwt, KeyType::kAccount, kNow + absl::Minutes(10)).ok());
  EXPECT_EQ(VerifyJwt(user_jwt, KeyType::kAccount, kNow + absl::Minutes(10) + absl::Seconds(1))
                .status()
                .code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(AuthResponseTest, EveryUserJwtHasItsOwnJti) {
  json a = VerifiedUserClaims(
      BuildUserJwt(request_, permissions_, "UNIBUS", issuer_, kNow, absl::Hours(1)));
  json b = VerifiedUserClaims(
      BuildUserJwt(request_, permissions_, "UNIBUS", issuer_, kNow, absl::Hours(1)));
  ASSERT_TRUE(a["jti"].is_string());
  EXPECT_FALSE(a["jti"].get<std::string>().empty());
  EXPECT_NE(a["jti"], b["jti"]);
}

TEST_F(AuthResponseTest, AllowedResponseCarriesTheUserJwtForThisServerAndUser) {
  std::string user_jwt =
      BuildUserJwt(request_, permissions_, "UNIBUS", issuer_, kNow, absl::Hours(1));
  absl::StatusOr<std::string> reply =
      BuildResponse(request_, user_jwt, "", issuer_, nullptr, kNow);
  ASSERT_TRUE(reply.ok()) << reply.status();
  // nats-server takes a payload starting with "eyJ" as a plain JWT.
  EXPECT_TRUE(absl::StartsWith(*reply, "eyJ"));
  json claims = VerifiedResponseClaims(*reply);
  EXPECT_EQ(claims["iss"], NkeyOf(issuer_, KeyType::kAccount));
  EXPECT_EQ(claims["sub"], request_.user_nkey);
  EXPECT_EQ(claims["aud"], request_.server_id);
  EXPECT_EQ(claims["iat"], absl::ToUnixSeconds(kNow));
  EXPECT_EQ(claims["nats"]["type"], "authorization_response");
  EXPECT_EQ(claims["nats"]["version"], 2);
  EXPECT_EQ(claims["nats"]["jwt"], user_jwt);
  EXPECT_FALSE(claims["nats"].contains("error"));
  EXPECT_FALSE(claims["nats"].contains("issuer_account"));
}

TEST_F(AuthResponseTest, ErrorResponseCarriesTheErrorAndNoJwt) {
  absl::StatusOr<std::string> reply =
      BuildResponse(request_, "", "identity is not on the allowlist", issuer_, nullptr, kNow);
  ASSERT_TRUE(reply.ok()) << reply.status();
  json claims = VerifiedResponseClaims(*reply);
  EXPECT_EQ(claims["nats"]["error"], "identity is not on the allowlist");
  EXPECT_FALSE(claims["nats"].contains("jwt"));
  EXPECT_EQ(claims["sub"], request_.user_nkey);
  EXPECT_EQ(claims["aud"], request_.server_id);
  EXPECT_EQ(claims["nats"]["type"], "authorization_response");
  EXPECT_EQ(claims["nats"]["version"], 2);
}

TEST_F(AuthResponseTest, ResponseWithNeitherJwtNorErrorStillCarriesAnError) {
  // Exactly one of jwt/error must be set (jwt Validate); an empty error is never sent.
  json claims = VerifiedResponseClaims(BuildResponse(request_, "", "", issuer_, nullptr, kNow).value());
  ASSERT_TRUE(claims["nats"].contains("error"));
  EXPECT_FALSE(claims["nats"]["error"].get<std::string>().empty());
  EXPECT_FALSE(claims["nats"].contains("jwt"));
}

TEST_F(AuthResponseTest, ResponseToASealedRequestIsSealedToTheServerXkey) {
  CurveKey server_xkey = CurveKey::Generate();
  CurveKey service_xkey = CurveKey::Generate();
  request_.server_xkey = server_xkey.PublicText();
  std::string user_jwt =
      BuildUserJwt(request_, permissions_, "UNIBUS", issuer_, kNow, absl::Hours(1));
  absl::StatusOr<std::string> reply =
      BuildResponse(request_, user_jwt, "", issuer_, &service_xkey, kNow);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(absl::StartsWith(*reply, "xkv1"));
  // The server opens it with its own key, the sender being the configured service xkey.
  absl::StatusOr<std::string> token = server_xkey.Open(*reply, service_xkey.PublicText());
  ASSERT_TRUE(token.ok()) << token.status();
  json claims = VerifiedResponseClaims(*token);
  EXPECT_EQ(claims["nats"]["jwt"], user_jwt);
  EXPECT_EQ(claims["aud"], request_.server_id);
  // Nobody else can open it.
  EXPECT_FALSE(CurveKey::Generate().Open(*reply, service_xkey.PublicText()).ok());
}

TEST_F(AuthResponseTest, SealedErrorResponseIsSealedToo) {
  CurveKey server_xkey = CurveKey::Generate();
  CurveKey service_xkey = CurveKey::Generate();
  request_.server_xkey = server_xkey.PublicText();
  absl::StatusOr<std::string> reply =
      BuildResponse(request_, "", "revoked", issuer_, &service_xkey, kNow);
  ASSERT_TRUE(reply.ok()) << reply.status();
  json claims =
      VerifiedResponseClaims(server_xkey.Open(*reply, service_xkey.PublicText()).value());
  EXPECT_EQ(claims["nats"]["error"], "revoked");
}

TEST_F(AuthResponseTest, SealedRequestWithoutOurXkeyIsInvalidArgument) {
  request_.server_xkey = CurveKey::Generate().PublicText();
  EXPECT_EQ(BuildResponse(request_, "", "no", issuer_, nullptr, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthResponseTest, PlainRequestGetsAPlainResponseEvenWhenWeHaveAnXkey) {
  CurveKey service_xkey = CurveKey::Generate();
  absl::StatusOr<std::string> reply =
      BuildResponse(request_, "", "no", issuer_, &service_xkey, kNow);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(absl::StartsWith(*reply, "eyJ"));
  EXPECT_TRUE(VerifyJwt(*reply, KeyType::kAccount, kNow).ok());
}

}  // namespace
}  // namespace unibus::broker_auth::callout
