#include "broker_auth/service/authorizer.h"

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "broker_auth/callout/base64url.h"
#include "broker_auth/callout/jwt.h"
#include "broker_auth/callout/xkey.h"
#include "broker_auth/grants/grants_cache.h"
#include "broker_auth/policy/permissions.h"
#include "common/crypto/identity.h"
#include "common/crypto/nkeys.h"
#include "common/time/clock.h"
#include "gtest/gtest.h"
#include "unibus/v1/broker.pb.h"

namespace unibus::broker_auth::service {
namespace {

using callout::Base64UrlEncode;
using callout::CurveKey;
using callout::EncodeJwt;
using callout::NkeyOf;
using callout::VerifyJwt;
using common::Identity;
using common::nkeys::KeyType;
using nlohmann::json;

constexpr char kNonce[] = "j7ZRJ-U2S0O6lV8";
constexpr uint64_t kClientId = 8;

class AuthorizerTest : public ::testing::Test {
 protected:
  AuthorizerTest() {
    cache_.ReplaceAll({GrantsFor(client_, /*active=*/true)});
    config_.issuer = &issuer_;
  }

  static v1::Grants GrantsFor(const Identity& id, bool active) {
    v1::Grants g;
    g.set_sign_pub(id.sign_pub_hex());
    g.set_active(active);
    v1::RoomGrant* room = g.add_rooms();
    room->set_room_id(std::string(32, '1'));
    room->set_history(true);
    v1::RoomGrant* live = g.add_rooms();
    live->set_room_id(std::string(32, '2'));
    return g;
  }

  // Claims as nats-server 2.10.27 sends them (shared/reference/auth_callout.md §2.3), from a
  // client that signed `nonce` with `signer` and presented `client`'s nkey.
  json RequestClaims(const Identity& client, const Identity& signer, const std::string& nonce,
                     bool sealed) {
    absl::Time now = clock_.Now();
    json server_id = {{"name", "n1"}, {"host", "127.0.0.1"}, {"id", server_id_}, {"version", "2.10.27"}};
    if (sealed) server_id["xkey"] = server_xkey_.PublicText();
    return json{
        {"aud", "nats-authorization-request"},
        {"exp", absl::ToUnixSeconds(now) + 2},
        {"iat", absl::ToUnixSeconds(now)},
        {"iss", server_id_},
        {"jti", "JTI"},
        {"sub", NkeyOf(issuer_, KeyType::kAccount)},
        {"nats",
         {{"server_id", server_id},
          {"user_nkey", user_nkey_},
          {"client_info",
           {{"host", "127.0.0.1"},
            {"id", kClientId},
            {"user", client.nkey_public()},
            {"kind", "Client"},
            {"type", "nats"},
            {"nonce", nonce}}},
          {"connect_opts",
           {{"nkey", client.nkey_public()},
            {"sig", Base64UrlEncode(signer.Sign(nonce))},
            {"protocol", 1}}},
          {"type", "authorization_request"},
          {"version", 2}}},
    };
  }
  std::string Request(const Identity& client) {
    return EncodeJwt(RequestClaims(client, client, kNonce, false), server_key_);
  }

  Authorizer Make() { return Authorizer(config_, cache_, clock_); }

  // The response claims of a plain reply (verified as nats-server would).
  json ResponseClaims(const std::optional<std::string>& reply) {
    EXPECT_TRUE(reply.has_value());
    if (!reply.has_value()) return json();
    absl::StatusOr<json> claims = VerifyJwt(*reply, KeyType::kAccount, clock_.Now());
    EXPECT_TRUE(claims.ok()) << claims.status();
    if (!claims.ok()) return json();
    EXPECT_EQ((*claims)["aud"], server_id_);
    EXPECT_EQ((*claims)["sub"], user_nkey_);
    EXPECT_EQ((*claims)["iss"], NkeyOf(issuer_, KeyType::kAccount));
    EXPECT_EQ((*claims)["nats"]["type"], "authorization_response");
    EXPECT_EQ((*claims)["nats"]["version"], 2);
    return *claims;
  }
  // Asserts `reply` is an error response and returns its error text.
  std::string ErrorOf(const std::optional<std::string>& reply) {
    json claims = ResponseClaims(reply);
    EXPECT_FALSE(claims["nats"].contains("jwt")) << claims.dump();
    EXPECT_TRUE(claims["nats"].contains("error")) << claims.dump();
    return claims["nats"].value("error", "");
  }

  common::FakeClock clock_;
  Identity issuer_ = Identity::Generate();
  Identity server_key_ = Identity::Generate();
  std::string server_id_ = NkeyOf(server_key_, KeyType::kServer);
  CurveKey server_xkey_ = CurveKey::Generate();
  std::string user_nkey_ = Identity::Generate().nkey_public();
  Identity client_ = Identity::Generate();
  grants::GrantsCache cache_;
  AuthorizerConfig config_;
};

TEST_F(AuthorizerTest, AllowedIdentityGetsAUserJwtWithItsRoomPermissions) {
  Authorizer authorizer = Make();
  std::optional<std::string> reply = authorizer.Handle(Request(client_), "");
  json claims = ResponseClaims(reply);
  ASSERT_TRUE(claims["nats"].contains("jwt")) << claims.dump();
  EXPECT_FALSE(claims["nats"].contains("error"));

  absl::StatusOr<json> user =
      VerifyJwt(claims["nats"]["jwt"].get<std::string>(), KeyType::kAccount, clock_.Now());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ((*user)["aud"], "UNIBUS");
  EXPECT_EQ((*user)["sub"], user_nkey_);
  EXPECT_EQ((*user)["iss"], NkeyOf(issuer_, KeyType::kAccount));
  EXPECT_EQ((*user)["exp"], absl::ToUnixSeconds(clock_.Now() + absl::Minutes(10)));
  callout::Permissions expected = policy::PermissionsFor(GrantsFor(client_, true));
  EXPECT_EQ((*user)["nats"]["pub"]["allow"].get<std::vector<std::string>>(), expected.pub_allow);
  EXPECT_EQ((*user)["nats"]["sub"]["allow"].get<std::vector<std::string>>(), expected.sub_allow);
}

TEST_F(AuthorizerTest, UserJwtLifetimeFollowsTheConfiguredTtl) {
  config_.user_ttl = absl::Minutes(5);
  config_.account = "ELSEWHERE";
  Authorizer authorizer = Make();
  json claims = ResponseClaims(authorizer.Handle(Request(client_), ""));
  absl::StatusOr<json> user =
      VerifyJwt(claims["nats"]["jwt"].get<std::string>(), KeyType::kAccount, clock_.Now());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ((*user)["exp"], absl::ToUnixSeconds(clock_.Now() + absl::Minutes(5)));
  EXPECT_EQ((*user)["aud"], "ELSEWHERE");
}

TEST_F(AuthorizerTest, UnknownIdentityGetsAnErrorReply) {
  Authorizer authorizer = Make();
  Identity stranger = Identity::Generate();
  EXPECT_FALSE(ErrorOf(authorizer.Handle(Request(stranger), "")).empty());
}

TEST_F(AuthorizerTest, RevokedIdentityGetsAnErrorReply) {
  cache_.Put(GrantsFor(client_, /*active=*/false));
  Authorizer authorizer = Make();
  EXPECT_FALSE(ErrorOf(authorizer.Handle(Request(client_), "")).empty());
}

TEST_F(AuthorizerTest, FeedNotLiveGetsAnErrorReplyEvenForAKnownIdentity) {
  cache_.SetLive(false);
  Authorizer authorizer = Make();
  EXPECT_FALSE(ErrorOf(authorizer.Handle(Request(client_), "")).empty());
  // Back live: allowed again.
  cache_.SetLive(true);
  json claims = ResponseClaims(authorizer.Handle(Request(client_), ""));
  EXPECT_TRUE(claims["nats"].contains("jwt"));
}

TEST_F(AuthorizerTest, CacheNeverLoadedGetsAnErrorReply) {
  grants::GrantsCache empty;
  empty.Put(GrantsFor(client_, true));  // known, but no full load yet: not live
  Authorizer authorizer(config_, empty, clock_);
  EXPECT_FALSE(ErrorOf(authorizer.Handle(Request(client_), "")).empty());
}

TEST_F(AuthorizerTest, SignatureByAnotherKeyGetsAnErrorReply) {
  // Presents client_'s nkey but cannot sign with it.
  Authorizer authorizer = Make();
  Identity impostor = Identity::Generate();
  std::string payload = EncodeJwt(RequestClaims(client_, impostor, kNonce, false), server_key_);
  EXPECT_FALSE(ErrorOf(authorizer.Handle(payload, "")).empty());
}

TEST_F(AuthorizerTest, MissingNonceGetsAnErrorReply) {
  Authorizer authorizer = Make();
  std::string payload = EncodeJwt(RequestClaims(client_, client_, "", false), server_key_);
  EXPECT_FALSE(ErrorOf(authorizer.Handle(payload, "")).empty());
}

TEST_F(AuthorizerTest, ClientWithoutAnNkeyGetsAnErrorReply) {
  // A user/password client: no connect_opts.nkey at all.
  Authorizer authorizer = Make();
  json claims = RequestClaims(client_, client_, kNonce, false);
  claims["nats"]["connect_opts"] = {{"user", "alice"}, {"pass", "secret"}, {"protocol", 1}};
  claims["nats"]["client_info"].erase("nonce");
  EXPECT_FALSE(ErrorOf(authorizer.Handle(EncodeJwt(claims, server_key_), "")).empty());
}

TEST_F(AuthorizerTest, MalformedRequestGetsNoReply) {
  Authorizer authorizer = Make();
  EXPECT_FALSE(authorizer.Handle("", "").has_value());
  EXPECT_FALSE(authorizer.Handle("not a jwt", "").has_value());
  // Wrong audience.
  json claims = RequestClaims(client_, client_, kNonce, false);
  claims["aud"] = "something-else";
  EXPECT_FALSE(authorizer.Handle(EncodeJwt(claims, server_key_), "").has_value());
}

TEST_F(AuthorizerTest, ExpiredRequestGetsNoReply) {
  Authorizer authorizer = Make();
  std::string payload = Request(client_);  // exp = now + 2 s
  clock_.Advance(absl::Seconds(3));
  EXPECT_FALSE(authorizer.Handle(payload, "").has_value());
}

TEST_F(AuthorizerTest, RequestNotSignedByTheServerGetsNoReply) {
  Authorizer authorizer = Make();
  std::string forged =
      EncodeJwt(RequestClaims(client_, client_, kNonce, false), Identity::Generate());
  EXPECT_FALSE(authorizer.Handle(forged, "").has_value());
}

TEST_F(AuthorizerTest, SealedRequestGetsASealedReplyTheServerCanOpen) {
  CurveKey service_xkey = CurveKey::Generate();
  config_.xkey = &service_xkey;
  Authorizer authorizer = Make();
  std::string token = EncodeJwt(RequestClaims(client_, client_, kNonce, true), server_key_);
  std::string payload = server_xkey_.Seal(token, service_xkey.PublicText()).value();
  std::optional<std::string> reply = authorizer.Handle(payload, server_xkey_.PublicText());
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(absl::StartsWith(*reply, "xkv1"));
  absl::StatusOr<std::string> opened = server_xkey_.Open(*reply, service_xkey.PublicText());
  ASSERT_TRUE(opened.ok()) << opened.status();
  json claims = ResponseClaims(*opened);
  EXPECT_TRUE(claims["nats"].contains("jwt"));
}

TEST_F(AuthorizerTest, SealedRefusalIsSealedToo) {
  CurveKey service_xkey = CurveKey::Generate();
  config_.xkey = &service_xkey;
  cache_.SetLive(false);
  Authorizer authorizer = Make();
  std::string token = EncodeJwt(RequestClaims(client_, client_, kNonce, true), server_key_);
  std::string payload = server_xkey_.Seal(token, service_xkey.PublicText()).value();
  std::optional<std::string> reply = authorizer.Handle(payload, server_xkey_.PublicText());
  ASSERT_TRUE(reply.has_value());
  EXPECT_FALSE(ErrorOf(server_xkey_.Open(*reply, service_xkey.PublicText()).value()).empty());
}

TEST_F(AuthorizerTest, UnsealedRequestWhenAnXkeyIsConfiguredGetsNoReply) {
  CurveKey service_xkey = CurveKey::Generate();
  config_.xkey = &service_xkey;
  Authorizer authorizer = Make();
  EXPECT_FALSE(authorizer.Handle(Request(client_), "").has_value());
}

TEST_F(AuthorizerTest, SealedRequestWithoutAConfiguredXkeyGetsNoReply) {
  Authorizer authorizer = Make();
  CurveKey service_xkey = CurveKey::Generate();
  std::string token = EncodeJwt(RequestClaims(client_, client_, kNonce, true), server_key_);
  std::string payload = server_xkey_.Seal(token, service_xkey.PublicText()).value();
  EXPECT_FALSE(authorizer.Handle(payload, server_xkey_.PublicText()).has_value());
}

TEST_F(AuthorizerTest, EveryAllowedConnectIsRecorded) {
  Authorizer authorizer = Make();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(authorizer.Handle(Request(client_), "").has_value());
}

}  // namespace
}  // namespace unibus::broker_auth::service
