#include "broker_auth/callout/auth_request.h"

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
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

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
// 15 characters of raw-url base64, like nats-server's INFO nonce.
constexpr char kNonce[] = "gycM7pe93kO2i8g";

// A nats-server as the callout sees it: a random server key ("N…", also server_id.id) and the
// per-process curve key.
struct FakeServer {
  Identity key = Identity::Generate();
  CurveKey xkey = CurveKey::Generate();
  std::string id() const { return NkeyOf(key, KeyType::kServer); }
};

// Request claims shaped like nats-server 2.10.27's (shared/reference/auth_callout.md §2.3), for
// a client that connected with its nkey and signed `nonce`.
json RequestClaims(const FakeServer& server, const Identity& client, const std::string& nonce,
                   const std::string& user_nkey, bool sealed) {
  json server_id = {{"name", "n1"},     {"host", "127.0.0.1"}, {"id", server.id()},
                    {"version", "2.10.27"}, {"cluster", ""}};
  if (sealed) server_id["xkey"] = server.xkey.PublicText();
  return json{
      {"aud", "nats-authorization-request"},
      {"exp", absl::ToUnixSeconds(kNow) + 2},
      {"iat", absl::ToUnixSeconds(kNow)},
      {"iss", server.id()},
      {"jti", "REQUESTJTI"},
      {"sub", NkeyOf(Identity::Generate(), KeyType::kAccount)},
      {"nats",
       {{"server_id", server_id},
        {"user_nkey", user_nkey},
        {"client_info",
         {{"host", "127.0.0.1"},
          {"id", 42},
          {"user", client.nkey_public()},
          {"kind", "Client"},
          {"type", "nats"},
          {"nonce", nonce}}},
        {"connect_opts",
         {{"nkey", client.nkey_public()},
          {"sig", Base64UrlEncode(client.Sign(nonce))},
          {"lang", "C"},
          {"version", "3.4.1"},
          {"protocol", 1}}},
        {"type", "authorization_request"},
        {"version", 2}}},
  };
}

class AuthRequestTest : public ::testing::Test {
 protected:
  json Claims(bool sealed = false) {
    return RequestClaims(server_, client_, kNonce, user_nkey_, sealed);
  }
  std::string Token(const json& claims) { return EncodeJwt(claims, server_.key); }
  // Sealed by the server for the service, as nats-server does when `xkey` is configured.
  std::string Sealed(const std::string& token) {
    return server_.xkey.Seal(token, service_xkey_.PublicText()).value();
  }
  absl::StatusCode Code(const std::string& payload, absl::string_view header = "",
                        const CurveKey* ours = nullptr, absl::Time now = kNow) {
    return ParseAuthRequest(payload, header, ours, now).status().code();
  }

  FakeServer server_;
  CurveKey service_xkey_ = CurveKey::Generate();
  Identity client_ = Identity::Generate();
  std::string user_nkey_ = Identity::Generate().nkey_public();
};

TEST_F(AuthRequestTest, AcceptsAPlainRequestAndExtractsItsFields) {
  json claims = Claims();
  absl::StatusOr<AuthRequest> request = ParseAuthRequest(Token(claims), "", nullptr, kNow);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->server_id, server_.id());
  EXPECT_EQ(request->server_name, "n1");
  EXPECT_EQ(request->server_xkey, "");
  EXPECT_EQ(request->user_nkey, user_nkey_);
  EXPECT_EQ(request->client_id, 42u);
  EXPECT_EQ(request->client_nkey, client_.nkey_public());
  EXPECT_EQ(request->nonce, kNonce);
  EXPECT_EQ(request->client_sig, claims["nats"]["connect_opts"]["sig"].get<std::string>());
}

TEST_F(AuthRequestTest, OpensASealedRequestAndRemembersTheServerXkey) {
  std::string payload = Sealed(Token(Claims(/*sealed=*/true)));
  ASSERT_EQ(payload.substr(0, 4), "xkv1");
  absl::StatusOr<AuthRequest> request =
      ParseAuthRequest(payload, server_.xkey.PublicText(), &service_xkey_, kNow);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->server_xkey, server_.xkey.PublicText());
  EXPECT_EQ(request->server_id, server_.id());
  EXPECT_EQ(request->user_nkey, user_nkey_);
  EXPECT_EQ(request->client_id, 42u);
}

TEST_F(AuthRequestTest, SealedRequestWhenWeHaveNoXkeyIsInvalidArgument) {
  std::string payload = Sealed(Token(Claims(true)));
  EXPECT_EQ(Code(payload, server_.xkey.PublicText(), nullptr), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, UnsealedRequestWhenWeHaveAnXkeyIsInvalidArgument) {
  EXPECT_EQ(Code(Token(Claims()), "", &service_xkey_), absl::StatusCode::kInvalidArgument);
  // Even a sealed-looking claim set, if it arrives in the clear without the header.
  EXPECT_EQ(Code(Token(Claims(true)), "", &service_xkey_), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, HeaderXkeyDifferentFromTheSignedServerXkeyIsInvalidArgument) {
  // The box is sealed (and opened) with key A, but the server signed xkey B.
  CurveKey other = CurveKey::Generate();
  json claims = Claims(true);
  claims["nats"]["server_id"]["xkey"] = other.PublicText();
  std::string payload = Sealed(Token(claims));
  EXPECT_EQ(Code(payload, server_.xkey.PublicText(), &service_xkey_),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, HeaderXkeyWithoutASignedServerXkeyIsInvalidArgument) {
  std::string payload = Sealed(Token(Claims(/*sealed=*/false)));  // no server_id.xkey claim
  EXPECT_EQ(Code(payload, server_.xkey.PublicText(), &service_xkey_),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, BoxSealedForAnotherServiceIsUnauthenticated) {
  CurveKey not_us = CurveKey::Generate();
  std::string payload = server_.xkey.Seal(Token(Claims(true)), not_us.PublicText()).value();
  EXPECT_EQ(Code(payload, server_.xkey.PublicText(), &service_xkey_),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthRequestTest, HeaderNamingAnotherSenderThanTheSealerIsUnauthenticated) {
  CurveKey liar = CurveKey::Generate();
  std::string payload = Sealed(Token(Claims(true)));
  EXPECT_EQ(Code(payload, liar.PublicText(), &service_xkey_), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthRequestTest, HeaderThatIsNotACurveKeyIsInvalidArgument) {
  std::string payload = Sealed(Token(Claims(true)));
  EXPECT_EQ(Code(payload, server_.id(), &service_xkey_), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, IssuerThatIsNotTheNamedServerIsInvalidArgument) {
  // Validly signed by server A, but it names server B as server_id.id.
  FakeServer other;
  json claims = Claims();
  claims["nats"]["server_id"]["id"] = other.id();
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, MissingServerIdIsInvalidArgument) {
  json claims = Claims();
  claims["nats"]["server_id"].erase("id");
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
  claims["nats"].erase("server_id");
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, IssuerThatIsNotAServerKeyIsInvalidArgument) {
  // An account ("A…") pretending to be a server.
  json claims = Claims();
  std::string account = NkeyOf(server_.key, KeyType::kAccount);
  claims["iss"] = account;
  claims["nats"]["server_id"]["id"] = account;
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, WrongAudienceIsInvalidArgument) {
  json claims = Claims();
  claims["aud"] = "UNIBUS";
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
  claims.erase("aud");
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, WrongTypeIsInvalidArgument) {
  json claims = Claims();
  claims["nats"]["type"] = "authorization_response";
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
  claims["nats"]["type"] = "user";
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
  claims["nats"].erase("type");
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
}

// Security regression (review L5): exp has whole-second granularity and the server may stop
// waiting at exp itself, so a request is dropped from kAnswerMargin before exp on. Before the
// fix it was answered up to a second after exp (kNow + 2 s and kNow + 2.9 s passed).
TEST_F(AuthRequestTest, ExpiredRequestIsDeadlineExceeded) {
  std::string token = Token(Claims());  // exp = kNow + 2 s
  EXPECT_TRUE(ParseAuthRequest(token, "", nullptr, kNow + absl::Milliseconds(1700)).ok());
  EXPECT_EQ(Code(token, "", nullptr, kNow + absl::Milliseconds(1750)),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Code(token, "", nullptr, kNow + absl::Seconds(2)), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Code(token, "", nullptr, kNow + absl::Seconds(3)), absl::StatusCode::kDeadlineExceeded);
  std::string sealed = Sealed(Token(Claims(true)));
  EXPECT_EQ(Code(sealed, server_.xkey.PublicText(), &service_xkey_, kNow + absl::Minutes(1)),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(AuthRequestTest, BadServerSignatureIsUnauthenticated) {
  // Claims name this server, but another key signed them.
  Identity forger = Identity::Generate();
  EXPECT_EQ(Code(EncodeJwt(Claims(), forger)), absl::StatusCode::kUnauthenticated);
  // A genuine token whose signature was altered.
  std::string token = Token(Claims());
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Code(token), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthRequestTest, UserNkeyThatIsNotAUserKeyIsInvalidArgument) {
  json claims = Claims();
  claims["nats"]["user_nkey"] = NkeyOf(Identity::Generate(), KeyType::kAccount);
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
  claims["nats"].erase("user_nkey");
  EXPECT_EQ(Code(Token(claims)), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, PayloadThatIsNotAJwtIsInvalidArgument) {
  EXPECT_EQ(Code(""), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code("hello"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code("a.b.c"), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuthRequestTest, MissingClientIdIsZero) {
  json claims = Claims();
  claims["nats"]["client_info"].erase("id");
  absl::StatusOr<AuthRequest> request = ParseAuthRequest(Token(claims), "", nullptr, kNow);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->client_id, 0u);
}

// --- VerifyClientProof ---------------------------------------------------------------------

class ClientProofTest : public AuthRequestTest {
 protected:
  AuthRequest Parsed(const json& claims) {
    return ParseAuthRequest(Token(claims), "", nullptr, kNow).value();
  }
};

TEST_F(ClientProofTest, ValidProofReturnsTheClientsHexIdentity) {
  absl::StatusOr<std::string> id = VerifyClientProof(Parsed(Claims()));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, client_.sign_pub_hex());
  EXPECT_EQ(id->size(), 64u);
}

TEST_F(ClientProofTest, EmptyNonceIsInvalidArgumentEvenWithAValidSignatureOverIt) {
  // What a client signs when the server's INFO has no nonce: the empty string (replayable).
  json claims = RequestClaims(server_, client_, "", user_nkey_, false);
  AuthRequest request = Parsed(claims);
  ASSERT_TRUE(common::VerifySignature(client_.sign_pub(), "", *Base64Decode(request.client_sig)));
  EXPECT_EQ(VerifyClientProof(request).status().code(), absl::StatusCode::kInvalidArgument);
  claims["nats"]["client_info"].erase("nonce");
  EXPECT_EQ(VerifyClientProof(Parsed(claims)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientProofTest, MissingOrNonUserNkeyIsInvalidArgument) {
  AuthRequest request = Parsed(Claims());
  request.client_nkey = "";
  EXPECT_EQ(VerifyClientProof(request).status().code(), absl::StatusCode::kInvalidArgument);
  request.client_nkey = NkeyOf(client_, KeyType::kAccount);
  EXPECT_EQ(VerifyClientProof(request).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientProofTest, SignatureByAnotherKeyIsUnauthenticated) {
  AuthRequest request = Parsed(Claims());
  request.client_sig = Base64UrlEncode(Identity::Generate().Sign(kNonce));
  EXPECT_EQ(VerifyClientProof(request).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(ClientProofTest, SignatureOverADifferentNonceIsUnauthenticated) {
  // A replayed signature from an earlier connection (another nonce).
  AuthRequest request = Parsed(Claims());
  request.client_sig = Base64UrlEncode(client_.Sign("OLDNONCEOLDNONC"));
  EXPECT_EQ(VerifyClientProof(request).status().code(), absl::StatusCode::kUnauthenticated);
  // The nonce must be signed as the text sent in INFO, not its base64-decoded bytes.
  request.client_sig = Base64UrlEncode(client_.Sign(*Base64Decode(kNonce)));
  EXPECT_EQ(VerifyClientProof(request).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(ClientProofTest, SignatureInStandardBase64IsAccepted) {
  // nats-server falls back to StdEncoding for connect_opts.sig (auth.go); so do we.
  AuthRequest request = Parsed(Claims());
  std::string sig = client_.Sign(kNonce);
  std::string url = Base64UrlEncode(sig);
  std::string std_padded = url;
  for (char& c : std_padded) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  std_padded += "==";  // 64 bytes → 86 characters + 2 padding
  request.client_sig = std_padded;
  EXPECT_TRUE(VerifyClientProof(request).ok()) << std_padded;
  request.client_sig = std_padded.substr(0, std_padded.size() - 2);
  EXPECT_TRUE(VerifyClientProof(request).ok());
}

TEST_F(ClientProofTest, GarbageOrTruncatedSignatureIsUnauthenticated) {
  AuthRequest request = Parsed(Claims());
  for (std::string sig : {std::string(""), std::string("!!!"),
                          Base64UrlEncode(client_.Sign(kNonce).substr(0, 63)),
                          Base64UrlEncode(client_.Sign(kNonce) + "x")}) {
    request.client_sig = sig;
    EXPECT_EQ(VerifyClientProof(request).status().code(), absl::StatusCode::kUnauthenticated)
        << "sig \"" << sig << "\"";
  }
}

TEST_F(ClientProofTest, ProofFromASealedRequestVerifies) {
  std::string payload = Sealed(Token(Claims(true)));
  absl::StatusOr<AuthRequest> request =
      ParseAuthRequest(payload, server_.xkey.PublicText(), &service_xkey_, kNow);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(VerifyClientProof(*request).value(), client_.sign_pub_hex());
}

}  // namespace
}  // namespace unibus::broker_auth::callout
