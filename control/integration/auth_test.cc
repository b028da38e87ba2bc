// Attacks on the control plane's authentication and role checks, against the real unibusd
// binary over real mutual TLS with a real SQLite file. Every test asserts the exact code.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <google/protobuf/descriptor.h>

#include <map>

#include "absl/strings/str_cat.h"

#include "common/crypto/cert.h"
#include "control/testing/rpc.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"
#include "unibus/v1/blobs.grpc.pb.h"
#include "unibus/v1/broker.grpc.pb.h"
#include "unibus/v1/rooms.grpc.pb.h"
#include "unibus/v1/users.grpc.pb.h"

namespace unibus::control {
namespace {

using common::Identity;
using testing::Call;
using testing::CodeOf;

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = testing::UnibusdProcess::Start(testing::NewTempDir("auth")).value().release();
  }
  static void TearDownTestSuite() { delete server_; }

  // Calls every method of every unibus.v1 service with an empty request and returns, per
  // method, the status code. Streaming methods are called as streams.
  static std::map<std::string, grpc::StatusCode> CallEveryMethod(
      std::shared_ptr<grpc::Channel> channel) {
    std::map<std::string, grpc::StatusCode> codes;
    const auto* pool = google::protobuf::DescriptorPool::generated_pool();
    grpc::GenericStub generic(channel);
    grpc::CompletionQueue cq;
    for (const char* name : {"unibus.v1.UserService", "unibus.v1.RoomService",
                             "unibus.v1.BrokerService", "unibus.v1.BlobService"}) {
      const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
      for (int i = 0; i < service->method_count(); ++i) {
        const google::protobuf::MethodDescriptor* m = service->method(i);
        std::string path = absl::StrCat("/", name, "/", m->name());
        codes[path] = CallOne(generic, cq, path, m->client_streaming() || m->server_streaming());
      }
    }
    cq.Shutdown();
    void* tag;
    bool ok;
    while (cq.Next(&tag, &ok)) {
    }
    return codes;
  }

  static grpc::StatusCode CallOne(grpc::GenericStub& stub, grpc::CompletionQueue& cq,
                                  const std::string& path, bool streaming) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    grpc::ByteBuffer empty_request(nullptr, 0);
    grpc::Status status;
    void* tag;
    bool ok;
    if (!streaming) {
      auto call = stub.PrepareUnaryCall(&context, path, empty_request, &cq);
      call->StartCall();
      grpc::ByteBuffer response;
      call->Finish(&response, &status, reinterpret_cast<void*>(1));
      cq.Next(&tag, &ok);
      return status.error_code();
    }
    auto call = stub.PrepareCall(&context, path, &cq);
    call->StartCall(reinterpret_cast<void*>(1));
    cq.Next(&tag, &ok);
    call->WriteLast(empty_request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    cq.Next(&tag, &ok);
    grpc::ByteBuffer response;
    call->Read(&response, reinterpret_cast<void*>(3));
    cq.Next(&tag, &ok);
    call->Finish(&status, reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
    return status.error_code();
  }

  static testing::UnibusdProcess* server_;
};

testing::UnibusdProcess* AuthTest::server_ = nullptr;

TEST_F(AuthTest, AdminWhoAmIWorks) {
  auto users = v1::UserService::NewStub(server_->ChannelFor(server_->admin()));
  v1::WhoAmIResponse me;
  ASSERT_TRUE(Call(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest(), &me).ok());
  EXPECT_EQ(me.user().sign_pub(), server_->admin().sign_pub_hex());
  EXPECT_EQ(me.user().role(), v1::ROLE_ADMIN);
}

TEST_F(AuthTest, NoClientCertificateFailsTheHandshake) {
  auto users = v1::UserService::NewStub(server_->ChannelWithoutCertificate());
  // No RPC status from the server at all: the TLS handshake is refused.
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(AuthTest, UnknownKeyIsUnauthenticatedOnEveryMethod) {
  std::map<std::string, grpc::StatusCode> codes =
      CallEveryMethod(server_->ChannelFor(Identity::Generate()));
  EXPECT_EQ(codes.size(), 21u);  // every method of the four services
  for (const auto& [method, code] : codes) {
    EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED) << method;
  }
}

TEST_F(AuthTest, NonEd25519CertificateIsUnauthenticated) {
  // A perfectly valid ECDSA certificate: the allowlist only knows Ed25519 keys.
  common::PemKeyPair ca = common::MakeCertificateAuthority("someone").value();
  common::PemKeyPair ecdsa = common::IssueServerCertificate(ca, {"client"}).value();
  auto users = v1::UserService::NewStub(server_->ChannelWithCertificate(ecdsa));
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AuthTest, RevokedKeyIsRefusedOnItsVeryNextCallOnTheSameChannel) {
  Identity member = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(member, v1::ROLE_MEMBER, "soon-revoked").ok());
  auto channel = server_->ChannelFor(member);
  auto users = v1::UserService::NewStub(channel);
  ASSERT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::OK);

  auto admin = v1::UserService::NewStub(server_->ChannelFor(server_->admin()));
  v1::RevokeUserRequest revoke;
  revoke.set_sign_pub(member.sign_pub_hex());
  ASSERT_EQ(CodeOf(*admin, &v1::UserService::Stub::RevokeUser, revoke), grpc::StatusCode::OK);

  // Same channel, same TLS session, no restart: refused at once, on every method.
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::PERMISSION_DENIED);
  for (const auto& [method, code] : CallEveryMethod(channel)) {
    EXPECT_EQ(code, grpc::StatusCode::PERMISSION_DENIED) << method;
  }
}

TEST_F(AuthTest, MemberIsDeniedEveryAdminMethod) {
  Identity member = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(member, v1::ROLE_MEMBER, "plain-member").ok());
  auto users = v1::UserService::NewStub(server_->ChannelFor(member));
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::ListUsers, v1::ListUsersRequest()),
            grpc::StatusCode::PERMISSION_DENIED);
  Identity other = Identity::Generate();
  v1::AddUserRequest add;
  add.set_sign_pub(other.sign_pub_hex());
  add.set_kex_pub(other.kex_pub_hex());
  add.set_handle("sneaky");
  add.set_role(v1::ROLE_ADMIN);
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::AddUser, add),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::RevokeUserRequest revoke;
  revoke.set_sign_pub(server_->admin().sign_pub_hex());
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::RevokeUser, revoke),
            grpc::StatusCode::PERMISSION_DENIED);
  // Nothing happened: the admin is still active and `other` is unknown.
  v1::GetUserRequest get;
  get.set_sign_pub(other.sign_pub_hex());
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::GetUser, get), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuthTest, MemberIsDeniedTheBrokerService) {
  Identity member = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(member, v1::ROLE_MEMBER, "not-a-broker").ok());
  auto broker = v1::BrokerService::NewStub(server_->ChannelFor(member));
  v1::GetGrantsRequest get;
  get.set_sign_pub(server_->admin().sign_pub_hex());
  EXPECT_EQ(CodeOf(*broker, &v1::BrokerService::Stub::GetGrants, get),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CodeOf(*broker, &v1::BrokerService::Stub::ListGrants, v1::ListGrantsRequest()),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = broker->WatchChanges(&context, v1::WatchChangesRequest());
  v1::Change change;
  EXPECT_FALSE(stream->Read(&change));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthTest, ServiceIdentityIsDeniedRoomsAndUserAdministration) {
  Identity service = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(service, v1::ROLE_SERVICE, "authd").ok());
  auto channel = server_->ChannelFor(service);
  auto rooms = v1::RoomService::NewStub(channel);
  EXPECT_EQ(CodeOf(*rooms, &v1::RoomService::Stub::ListMyRooms, v1::ListMyRoomsRequest()),
            grpc::StatusCode::PERMISSION_DENIED);
  auto users = v1::UserService::NewStub(channel);
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::ListUsers, v1::ListUsersRequest()),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CodeOf(*users, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::OK);
  auto broker = v1::BrokerService::NewStub(channel);
  EXPECT_EQ(CodeOf(*broker, &v1::BrokerService::Stub::ListGrants, v1::ListGrantsRequest()),
            grpc::StatusCode::OK);
}

}  // namespace
}  // namespace unibus::control
