// Abuse limits of the real unibusd: message size, per-identity rate limit, keepalive
// enforcement. Exact codes asserted.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "common/crypto/cert.h"
#include "control/testing/rpc.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"
#include "unibus/v1/broker.grpc.pb.h"
#include "unibus/v1/users.grpc.pb.h"

namespace unibus::control {
namespace {

using common::Identity;
using testing::CodeOf;

TEST(LimitsTest, OversizedRequestIsResourceExhaustedAndStoresNothing) {
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("size")).value();
  auto admin = v1::UserService::NewStub(server->ChannelFor(server->admin()));
  Identity big = Identity::Generate();
  v1::AddUserRequest request;
  request.set_sign_pub(big.sign_pub_hex());
  request.set_kex_pub(big.kex_pub_hex());
  request.set_role(v1::ROLE_MEMBER);
  request.set_handle(std::string(2 << 20, 'a'));  // 2 MiB: over the 1 MiB limit
  EXPECT_EQ(CodeOf(*admin, &v1::UserService::Stub::AddUser, request),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  v1::GetUserRequest get;
  get.set_sign_pub(big.sign_pub_hex());
  EXPECT_EQ(CodeOf(*admin, &v1::UserService::Stub::GetUser, get), grpc::StatusCode::NOT_FOUND);
}

TEST(LimitsTest, OverTheRateLimitIsResourceExhaustedForThatIdentityOnly) {
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("rate"),
                                                {"--rate_limit=0.001", "--rate_burst=5"})
                    .value();
  Identity member = Identity::Generate();
  ASSERT_TRUE(server->AddUser(member, v1::ROLE_MEMBER, "chatty").ok());  // admin: call 1
  auto users = v1::UserService::NewStub(server->ChannelFor(member));
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
              grpc::StatusCode::OK)
        << i;
  }
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Another identity has its own budget.
  auto admin = v1::UserService::NewStub(server->ChannelFor(server->admin()));
  EXPECT_EQ(CodeOf(*admin, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::OK);
}

TEST(LimitsTest, UnknownKeysAreRateLimitedToo) {
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("rate-unknown"),
                                                {"--rate_limit=0.001", "--rate_burst=2"})
                    .value();
  auto users = v1::UserService::NewStub(server->ChannelFor(Identity::Generate()));
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(LimitsTest, ServiceIdentityIsNotThrottledByThePerIdentityLimitMembersStillAre) {
  // Attack (M4): a member makes many changes at once (DeleteRoom of a room with many members),
  // and unibus-authd, the service identity, follows each with a GetGrants call: more calls than
  // the per-identity burst allows. Its refused calls would lock the affected users out of NATS.
  // Failed before the fix (the service's sixth GetGrants was RESOURCE_EXHAUSTED).
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("rate-service"),
                                                {"--rate_limit=0.001", "--rate_burst=5"})
                    .value();
  Identity service = Identity::Generate();
  Identity member = Identity::Generate();
  ASSERT_TRUE(server->AddUser(service, v1::ROLE_SERVICE, "authd").ok());
  ASSERT_TRUE(server->AddUser(member, v1::ROLE_MEMBER, "chatty").ok());
  auto broker = v1::BrokerService::NewStub(server->ChannelFor(service));
  v1::GetGrantsRequest request;
  request.set_sign_pub(member.sign_pub_hex());
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(CodeOf(*broker, &v1::BrokerService::Stub::GetGrants, request),
              grpc::StatusCode::OK)
        << i;
  }
  // A member doing the same is still limited.
  auto users = v1::UserService::NewStub(server->ChannelFor(member));
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
              grpc::StatusCode::OK)
        << i;
  }
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(LimitsTest, ARevokedServiceIdentityIsRefusedWithoutTheExemption) {
  // Guard on the M4 exemption: a leaked service key that an admin revokes must not keep it. Its
  // next call is refused for the revocation and later ones by the limiter again. (Before the fix
  // this failed earlier, at the service's sixth call, like the test above.)
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("rate-revoked-service"),
                                                {"--rate_limit=0.001", "--rate_burst=5"})
                    .value();
  Identity service = Identity::Generate();
  ASSERT_TRUE(server->AddUser(service, v1::ROLE_SERVICE, "authd").ok());
  auto broker = v1::BrokerService::NewStub(server->ChannelFor(service));
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(CodeOf(*broker, &v1::BrokerService::Stub::ListGrants, v1::ListGrantsRequest()),
              grpc::StatusCode::OK)
        << i;
  }
  auto admin = v1::UserService::NewStub(server->ChannelFor(server->admin()));
  v1::RevokeUserRequest revoke;
  revoke.set_sign_pub(service.sign_pub_hex());
  ASSERT_EQ(CodeOf(*admin, &v1::UserService::Stub::RevokeUser, revoke), grpc::StatusCode::OK);
  // The first call after the revocation is refused for the revocation; later ones by the
  // limiter, which applies again to an identity that is not an active service.
  EXPECT_EQ(CodeOf(*broker, &v1::BrokerService::Stub::ListGrants, v1::ListGrantsRequest()),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CodeOf(*broker, &v1::BrokerService::Stub::ListGrants, v1::ListGrantsRequest()),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(LimitsTest, ClientPingingTooOftenIsDisconnected) {
  // A client flooding HTTP/2 pings on an idle stream: the server's keepalive policy (pings no
  // more often than every 10 s, two strikes) sends GOAWAY and the stream ends UNAVAILABLE.
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("ping")).value();
  Identity service = Identity::Generate();
  ASSERT_TRUE(server->AddUser(service, v1::ROLE_SERVICE, "pinger").ok());
  common::PemKeyPair cert = common::MakeClientCertificate(service).value();
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = server->ca_pem();
  tls.pem_private_key = cert.key_pem;
  tls.pem_cert_chain = cert.cert_pem;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 200);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  auto channel = grpc::CreateCustomChannel(server->target(), grpc::SslCredentials(tls), args);
  auto broker = v1::BrokerService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::WatchChangesRequest request;
  v1::ListGrantsResponse grants;
  ASSERT_TRUE(testing::Call(*broker, &v1::BrokerService::Stub::ListGrants,
                            v1::ListGrantsRequest(), &grants)
                  .ok());
  request.set_after_position(grants.position());
  auto stream = broker->WatchChanges(&context, request);
  v1::Change change;
  EXPECT_FALSE(stream->Read(&change));  // nothing changes; only the server can end this
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

}  // namespace
}  // namespace unibus::control
