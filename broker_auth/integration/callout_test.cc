// nats-server's side of the auth callout in config mode, mirroring upstream
// nats-server@v2.10.27 server/auth_callout_test.go (see shared/reference/auth_callout.md §6):
// unibus-authd is stopped and THIS test answers $SYS.REQ.USER.AUTH as the AUTH-account service
// user, with the project's own callout library (ParseAuthRequest, BuildUserJwt, BuildResponse)
// and deliberately broken variants. The nats-server config is the generated one (accounts AUTH /
// UNIBUS / SYS, xkey on, timeout 2).
//
// Each refusal asserts that our responder answered (so the refusal is not a timeout), that the
// client got an authorization failure, and the reason nats-server logged for it.
#include <nats/nats.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "broker_auth/callout/auth_request.h"
#include "broker_auth/callout/auth_response.h"
#include "broker_auth/callout/jwt.h"
#include "broker_auth/cli/keys.h"
#include "broker_auth/integration/peer_helpers.h"
#include "broker_auth/testing/stack.h"
#include "common/crypto/nkeys.h"
#include "common/nats/nkey_signer.h"
#include "common/nats/subjects.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::integration {
namespace {

using callout::AuthRequest;
using common::Identity;
using common::nkeys::KeyType;

// What the responder answers.
enum class Reply {
  kSealed,                // a good response, sealed to the server's xkey
  kPlain,                 // a good response, plain JWT, to a sealed request
  kError,                 // nats.error set
  kBadServerAudience,     // response aud = some other server's key
  kWrongUserInResponse,   // response (and user JWT) for another user_nkey
  kWrongUserInUserJwt,    // response for the right user_nkey, user JWT for another
  kExpiredUserJwt,        // user JWT exp in the past
  kExpiredResponse,       // response JWT exp in the past
  kWrongIssuer,           // user JWT signed by an account that is not the configured issuer
  kEmpty,                 // empty payload
  kEmptyAllowLists,       // a good response whose user JWT has empty pub/sub allow lists
};

// Answers auth callout requests as unibus-authd's service user would, in the chosen way.
class Responder {
 public:
  static absl::StatusOr<std::unique_ptr<Responder>> Start(const testing::Stack& stack) {
    absl::StatusOr<cli::AuthdKeys> keys = cli::LoadKeys(stack.authd_state_dir());
    if (!keys.ok()) return keys.status();
    std::unique_ptr<Responder> r(new Responder(*std::move(keys)));
    natsOptions* raw = nullptr;
    natsOptions_Create(&raw);
    common::nats::NatsOptionsPtr opts(raw);
    std::string pub = r->keys_.service.nkey_public();
    natsStatus s = natsOptions_SetURL(raw, stack.nats_url().c_str());
    if (s == NATS_OK) {
      s = common::nats::SetNKeySigner(raw, pub, r->keys_.service);
    }
    natsConnection* nc = nullptr;
    // A signing refused by the zero-byte workaround (common/nats/nkey_signer.h) fails this
    // attempt; each attempt signs a new nonce.
    for (int attempt = 1; s == NATS_OK && attempt <= 5; ++attempt) {
      s = natsConnection_Connect(&nc, raw);
      if (s == NATS_CONNECTION_AUTH_FAILED && attempt < 5) s = NATS_OK;
      if (nc != nullptr) break;
    }
    if (s != NATS_OK) return common::nats::FromNatsStatus(s, "responder connect");
    r->nc_.reset(nc);
    natsSubscription* sub = nullptr;
    s = natsConnection_QueueSubscribe(&sub, nc, std::string(common::nats::kAuthCalloutSubject).c_str(),
                                      "test-responder", &Responder::OnRequest, r.get());
    if (s == NATS_OK) r->sub_.reset(sub);
    if (s == NATS_OK) s = natsConnection_FlushTimeout(nc, 5000);
    if (s != NATS_OK) return common::nats::FromNatsStatus(s, "responder subscribe");
    return r;
  }

  ~Responder() {
    sub_.reset();  // unsubscribes; no callback runs after the connection is closed
    nc_.reset();
  }

  void set_reply(Reply reply) {
    absl::MutexLock lock(&mu_);
    reply_ = reply;
  }
  int answered() const {
    absl::MutexLock lock(&mu_);
    return answered_;
  }
  // What the last request looked like on the wire.
  bool last_had_xkey_header() const {
    absl::MutexLock lock(&mu_);
    return last_had_xkey_header_;
  }
  bool last_payload_was_plain_jwt() const {
    absl::MutexLock lock(&mu_);
    return last_payload_was_plain_jwt_;
  }
  std::string last_parse_error() const {
    absl::MutexLock lock(&mu_);
    return last_parse_error_;
  }

 private:
  explicit Responder(cli::AuthdKeys keys) : keys_(std::move(keys)) {}

  static void OnRequest(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    common::nats::NatsMsgPtr owned(msg);
    static_cast<Responder*>(closure)->Answer(msg);
  }

  void Answer(natsMsg* msg) {
    const char* xkey = nullptr;
    if (natsMsgHeader_Get(msg, "Nats-Server-Xkey", &xkey) != NATS_OK) xkey = nullptr;
    absl::string_view payload(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    absl::StatusOr<AuthRequest> request = callout::ParseAuthRequest(
        payload, xkey == nullptr ? "" : xkey, &keys_.xkey, absl::Now());
    Reply reply;
    {
      absl::MutexLock lock(&mu_);
      reply = reply_;
      last_had_xkey_header_ = xkey != nullptr;
      last_payload_was_plain_jwt_ = absl::StartsWith(payload, "eyJ");
      last_parse_error_ = request.ok() ? "" : std::string(request.status().message());
    }
    if (!request.ok()) return;  // the test fails on last_parse_error()
    std::string answer = Build(reply, *request);
    {
      absl::MutexLock lock(&mu_);
      ++answered_;  // before publishing: the client may see the outcome at once
    }
    natsConnection_Publish(nc_.get(), natsMsg_GetReply(msg), answer.data(),
                           static_cast<int>(answer.size()));
    natsConnection_Flush(nc_.get());
  }

  std::string Build(Reply reply, const AuthRequest& request) const {
    absl::Time now = absl::Now();
    const Identity& issuer = keys_.issuer;
    std::string inbox = "_INBOX_*.>";
    absl::StatusOr<std::string> client = callout::VerifyClientProof(request);
    if (client.ok()) inbox = common::nats::InboxPrefix(*client) + ".>";
    callout::Permissions permissions{{"ub.callout.>", "$SYS.REQ.USER.INFO", inbox},
                                     {"ub.callout.>", inbox}};
    if (reply == Reply::kEmptyAllowLists) permissions = {};
    auto user_jwt = [&](const AuthRequest& for_request, const Identity& signer, absl::Time at) {
      return callout::BuildUserJwt(for_request, permissions, common::nats::kPeerAccount, signer,
                                   at, absl::Minutes(1));
    };
    auto respond = [&](const AuthRequest& for_request, const std::string& jwt,
                       const std::string& error) {
      absl::StatusOr<std::string> out = callout::BuildResponse(for_request, jwt, error, issuer,
                                                               &keys_.xkey, now);
      return out.ok() ? *out : std::string();
    };
    AuthRequest other = request;
    other.user_nkey = callout::NkeyOf(Identity::Generate(), KeyType::kUser);
    switch (reply) {
      case Reply::kSealed:
      case Reply::kEmptyAllowLists:
        return respond(request, user_jwt(request, issuer, now), "");
      case Reply::kPlain: {
        AuthRequest plain = request;
        plain.server_xkey.clear();  // BuildResponse then leaves the JWT unsealed
        return respond(plain, user_jwt(request, issuer, now), "");
      }
      case Reply::kError:
        return respond(request, "", "not today");
      case Reply::kBadServerAudience: {
        AuthRequest elsewhere = request;
        elsewhere.server_id = callout::NkeyOf(Identity::Generate(), KeyType::kServer);
        return respond(elsewhere, user_jwt(request, issuer, now), "");
      }
      case Reply::kWrongUserInResponse:
        return respond(other, user_jwt(other, issuer, now), "");
      case Reply::kWrongUserInUserJwt:
        return respond(request, user_jwt(other, issuer, now), "");
      case Reply::kExpiredUserJwt:
        return respond(request, user_jwt(request, issuer, now - absl::Hours(1)), "");
      case Reply::kExpiredResponse: {
        nlohmann::json claims = {
            {"aud", request.server_id},
            {"exp", absl::ToUnixSeconds(now - absl::Minutes(1))},
            {"iat", absl::ToUnixSeconds(now - absl::Minutes(2))},
            {"iss", callout::NkeyOf(issuer, KeyType::kAccount)},
            {"jti", "expired-response"},
            {"sub", request.user_nkey},
            {"nats",
             {{"jwt", user_jwt(request, issuer, now)},
              {"type", "authorization_response"},
              {"version", 2}}},
        };
        absl::StatusOr<std::string> sealed =
            keys_.xkey.Seal(callout::EncodeJwt(claims, issuer), request.server_xkey);
        return sealed.ok() ? *sealed : std::string();
      }
      case Reply::kWrongIssuer:
        return respond(request, user_jwt(request, Identity::Generate(), now), "");
      case Reply::kEmpty:
        return "";
    }
    return "";
  }

  const cli::AuthdKeys keys_;
  common::nats::NatsConnectionPtr nc_;
  common::nats::NatsSubscriptionPtr sub_;
  mutable absl::Mutex mu_;
  Reply reply_ ABSL_GUARDED_BY(mu_) = Reply::kSealed;
  int answered_ ABSL_GUARDED_BY(mu_) = 0;
  bool last_had_xkey_header_ ABSL_GUARDED_BY(mu_) = false;
  bool last_payload_was_plain_jwt_ ABSL_GUARDED_BY(mu_) = false;
  std::string last_parse_error_ ABSL_GUARDED_BY(mu_);
};

class CalloutTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = testing::Stack::Start(control::testing::NewTempDir("callout")).value().release();
    stack_->StopAuthd();
    responder_ = Responder::Start(*stack_).value().release();
  }
  static void TearDownTestSuite() {
    delete responder_;
    responder_ = nullptr;
    // Leave the stack as it was found: unibus-authd answering again.
    EXPECT_TRUE(stack_->StartAuthd().ok());
    delete stack_;
    stack_ = nullptr;
  }

  // A connect answered with `reply` is refused, and nats-server logged `reason`.
  static void ExpectRefused(Reply reply, const std::string& reason) {
    responder_->set_reply(reply);
    std::string log = stack_->dir() + "/nats.log";
    size_t log_offset = FileSize(log);
    int answered = responder_->answered();
    absl::StatusOr<std::unique_ptr<Peer>> peer = Peer::Connect(*stack_, Identity::Generate());
    EXPECT_FALSE(peer.ok());
    EXPECT_TRUE(absl::IsPermissionDenied(peer.status())) << peer.status();
    EXPECT_EQ(responder_->answered(), answered + 1);
    EXPECT_EQ(responder_->last_parse_error(), "");
    EXPECT_TRUE(WaitForFileContains(log, log_offset, reason))
        << "nats-server did not log \"" << reason << "\":\n" << FileTailFrom(log, log_offset);
  }

  static testing::Stack* stack_;
  static Responder* responder_;
};

testing::Stack* CalloutTest::stack_ = nullptr;
Responder* CalloutTest::responder_ = nullptr;

// Upstream TestAuthCalloutBasics / MultiAccounts: a good (sealed) response admits the client,
// placed in the account named by the user JWT's aud, with exactly the permissions it carries.
TEST_F(CalloutTest, GoodResponsePlacesClientInUnibusAccountWithItsPermissions) {
  responder_->set_reply(Reply::kSealed);
  Identity alice = Identity::Generate();
  auto peer = Peer::Connect(*stack_, alice);
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ(responder_->last_parse_error(), "");

  natsMsg* reply = nullptr;
  ASSERT_EQ(natsConnection_RequestString(&reply, (*peer)->nc(), "$SYS.REQ.USER.INFO", "", 5000),
            NATS_OK);
  common::nats::NatsMsgPtr owned(reply);
  nlohmann::json info = nlohmann::json::parse(
      std::string(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply))));
  const nlohmann::json& data = info["data"];
  EXPECT_EQ(data.value("account", ""), "UNIBUS") << info.dump();
  EXPECT_EQ(data.value("user", ""), alice.nkey_public()) << info.dump();  // the JWT's name
  EXPECT_GT(data.value("expires", int64_t{0}), 0) << info.dump();  // the user JWT's exp
  nlohmann::json pub_allow = data["permissions"]["publish"]["allow"];
  EXPECT_NE(std::find(pub_allow.begin(), pub_allow.end(), "ub.callout.>"), pub_allow.end())
      << info.dump();

  // The server enforces those permissions: granted subjects work, others are refused.
  auto sub = (*peer)->Subscribe("ub.callout.x");
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE((*peer)->Publish("ub.callout.x", "granted").ok());
  EXPECT_EQ(NextMessage(sub->get()).value_or("<none>"), "granted");
  ASSERT_TRUE((*peer)->Publish("ub.other", "not granted").ok());
  EXPECT_TRUE((*peer)->WaitForPublishDenied("ub.other"));
}

// Upstream TestAuthCalloutServerConfigEncryption: with xkey configured the request is sealed
// (header Nats-Server-Xkey, not a JWT) and both a sealed and a plain response are accepted.
TEST_F(CalloutTest, SealedRequestAcceptsSealedAndPlainResponses) {
  for (Reply reply : {Reply::kSealed, Reply::kPlain}) {
    SCOPED_TRACE(reply == Reply::kSealed ? "sealed response" : "plain response");
    responder_->set_reply(reply);
    int answered = responder_->answered();
    auto peer = Peer::Connect(*stack_, Identity::Generate());
    EXPECT_TRUE(peer.ok()) << peer.status();
    EXPECT_EQ(responder_->answered(), answered + 1);
    EXPECT_TRUE(responder_->last_had_xkey_header());
    EXPECT_FALSE(responder_->last_payload_was_plain_jwt());
    EXPECT_EQ(responder_->last_parse_error(), "");
  }
}

// Why unibus-authd must verify the client's nonce signature itself: nats-server does not check it
// for nkeys it does not know, so a responder that skips the check admits a forged proof
// (attacks_test ForgedNonceSignatureIsRefused shows unibus-authd refusing the same CONNECT).
TEST_F(CalloutTest, ServerLeavesTheClientSignatureToTheService) {
  responder_->set_reply(Reply::kSealed);
  Identity victim = Identity::Generate();
  Identity forger = Identity::Generate();
  testing::PeerOptions forged;
  forged.sign_with = &forger;
  auto peer = Peer::Connect(*stack_, victim, forged);
  EXPECT_TRUE(peer.ok()) << peer.status();
}

// Why permissions.cc never mints an empty allow list: nats-server reads it as "no restriction"
// (attacks_test MemberWithNoRoomsCannotPublishOrSubscribeArbitrarySubjects is the regression).
TEST_F(CalloutTest, EmptyAllowListsLeaveTheClientUnrestricted) {
  responder_->set_reply(Reply::kEmptyAllowLists);
  auto peer = Peer::Connect(*stack_, Identity::Generate());
  ASSERT_TRUE(peer.ok()) << peer.status();
  auto sub = (*peer)->Subscribe("foo");
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE((*peer)->Publish("foo", "anything goes").ok());
  EXPECT_EQ(NextMessage(sub->get()).value_or("<none>"), "anything goes");
  EXPECT_EQ((*peer)->events().errors(), std::vector<std::string>{});
}

// Upstream TestAuthCalloutErrorResponse / ClientAuthErrorConf.
TEST_F(CalloutTest, ErrorResponseIsRefused) {
  ExpectRefused(Reply::kError, "auth callout service returned an error: not today");
}

// Upstream TestAuthCalloutBadServer.
TEST_F(CalloutTest, ResponseForAnotherServerIsRefused) {
  ExpectRefused(Reply::kBadServerAudience, "response is not for server");
}

// Upstream TestAuthCalloutBadUser.
TEST_F(CalloutTest, ResponseForAnotherUserNkeyIsRefused) {
  ExpectRefused(Reply::kWrongUserInResponse, "response is not for expected user");
}

// The user JWT's sub must be the request's user_nkey too ("Expected authorized user of …").
TEST_F(CalloutTest, UserJwtForAnotherUserNkeyIsRefused) {
  ExpectRefused(Reply::kWrongUserInUserJwt, "expected authorized user of");
}

// Upstream TestAuthCalloutExpiredUser.
TEST_F(CalloutTest, ExpiredUserJwtIsRefused) {
  ExpectRefused(Reply::kExpiredUserJwt, "claim is expired");
}

// Upstream TestAuthCalloutExpiredResponse.
TEST_F(CalloutTest, ExpiredResponseJwtIsRefused) {
  ExpectRefused(Reply::kExpiredResponse, "claim is expired");
}

// Config mode: the user JWT must be issued by the configured issuer account.
TEST_F(CalloutTest, UserJwtFromAnotherIssuerIsRefused) {
  ExpectRefused(Reply::kWrongIssuer, "wrong issuer");
}

// Upstream ClientAuthErrorConf (nil response): an empty reply means "not authorized".
TEST_F(CalloutTest, EmptyReplyIsRefused) {
  ExpectRefused(Reply::kEmpty, "no reason supplied");
}

}  // namespace
}  // namespace unibus::broker_auth::integration
