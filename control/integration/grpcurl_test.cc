// The control plane from a client in another language, with no .proto files: grpcurl (Go)
// discovers the API through server reflection and authenticates with an Ed25519 client
// certificate exported as PEM. Also reads the health posture the way a monitor would.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/cert.h"
#include "common/crypto/sha256.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::control {
namespace {

using common::Identity;

struct Result {
  int exit_code;
  std::string output;
};

std::string Quote(const std::string& s) { return absl::StrCat("'", s, "'"); }

class GrpcurlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* grpcurl = std::getenv("UNIBUS_GRPCURL");
    ASSERT_NE(grpcurl, nullptr) << "UNIBUS_GRPCURL is not set: run the tests with tools/dev test";
    grpcurl_ = grpcurl;
  }

  // Writes `identity`'s certificate and key for grpcurl; returns the flag string.
  std::string CertFlags(const testing::UnibusdProcess& server, const Identity& identity) {
    common::PemKeyPair pair = common::MakeClientCertificate(identity).value();
    std::string base = absl::StrCat(server.dir(), "/", identity.sign_pub_hex().substr(0, 8));
    std::ofstream(base + ".pem") << pair.cert_pem;
    std::ofstream(base + ".key") << pair.key_pem;
    return absl::StrCat("-cert ", base, ".pem -key ", base, ".key");
  }

  static Result Run(const std::string& command) {
    Result result{-1, ""};
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
    int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  std::string grpcurl_;
};

TEST_F(GrpcurlTest, ListsEveryServiceThroughReflection) {
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("grpcurl-list")).value();
  Result r = Run(absl::StrCat(grpcurl_, " -max-time 20 -cacert ", server->dir(), "/tls/ca.pem ",
                              CertFlags(*server, server->admin()), " ", server->target(),
                              " list 2>&1"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* service : {"unibus.v1.UserService", "unibus.v1.RoomService",
                              "unibus.v1.BrokerService", "unibus.v1.BlobService",
                              "grpc.health.v1.Health"}) {
    EXPECT_TRUE(absl::StrContains(r.output, service)) << service << " missing from:\n" << r.output;
  }
}

TEST_F(GrpcurlTest, AdminCallsWorkAndErrorsCarryTheirCodes) {
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("grpcurl-call")).value();
  std::string certs = CertFlags(*server, server->admin());
  auto call = [&](const std::string& data, const std::string& method) {
    return Run(absl::StrCat(grpcurl_, " -max-time 20 -cacert ", server->dir(), "/tls/ca.pem ",
                            certs, data.empty() ? "" : " -d " + Quote(data), " ",
                            server->target(), " ", method, " 2>&1"));
  };
  Result me = call("", "unibus.v1.UserService/WhoAmI");
  ASSERT_EQ(me.exit_code, 0) << me.output;
  EXPECT_TRUE(absl::StrContains(me.output, server->admin().sign_pub_hex())) << me.output;
  EXPECT_TRUE(absl::StrContains(me.output, "ROLE_ADMIN")) << me.output;

  Identity bob = Identity::Generate();
  std::string add = absl::StrCat(R"({"signPub":")", bob.sign_pub_hex(), R"(","kexPub":")",
                                 bob.kex_pub_hex(), R"(","handle":"bob","role":"ROLE_MEMBER"})");
  Result added = call(add, "unibus.v1.UserService/AddUser");
  ASSERT_EQ(added.exit_code, 0) << added.output;
  Result again = call(add, "unibus.v1.UserService/AddUser");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(again.output, "AlreadyExists")) << again.output;
  Result bad = call(R"({"signPub":"xyz","kexPub":"","handle":"x","role":"ROLE_MEMBER"})",
                    "unibus.v1.UserService/AddUser");
  EXPECT_TRUE(absl::StrContains(bad.output, "InvalidArgument")) << bad.output;
}

TEST_F(GrpcurlTest, BlobsStreamBothWaysFromAnotherLanguage) {
  // grpcurl (Go) as the client of both streaming calls: PutBlob reads a header and a chunk as a
  // stream of JSON messages, GetBlob prints the info and the chunk.
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("grpcurl-blob")).value();
  std::string certs = CertFlags(*server, server->admin());
  auto call = [&](const std::string& data, const std::string& method) {
    return Run(absl::StrCat(grpcurl_, " -max-time 20 -cacert ", server->dir(), "/tls/ca.pem ",
                            certs, " -d ", Quote(data), " ", server->target(), " ", method,
                            " 2>&1"));
  };
  Result room = call(R"({"name":"files","encrypted":false})", "unibus.v1.RoomService/CreateRoom");
  ASSERT_EQ(room.exit_code, 0) << room.output;
  size_t at = room.output.find("\"room_id\": \"");  // grpcurl prints the .proto's names
  ASSERT_NE(at, std::string::npos) << room.output;
  std::string room_id = room.output.substr(at + 12, 32);

  const std::string bytes = "ciphertext from another language";
  const std::string address = common::Sha256Hex(bytes);
  std::string put = absl::StrCat(R"({"header":{"roomId":")", room_id, R"(","address":")", address,
                                 R"(","size":")", bytes.size(), R"("}} {"chunk":")",
                                 absl::Base64Escape(bytes), R"("})");
  Result stored = call(put, "unibus.v1.BlobService/PutBlob");
  ASSERT_EQ(stored.exit_code, 0) << stored.output;
  EXPECT_TRUE(absl::StrContains(stored.output, "\"created\": true")) << stored.output;

  std::string ref = absl::StrCat(R"({"roomId":")", room_id, R"(","address":")", address, R"("})");
  Result got = call(ref, "unibus.v1.BlobService/GetBlob");
  ASSERT_EQ(got.exit_code, 0) << got.output;
  EXPECT_TRUE(absl::StrContains(got.output, absl::Base64Escape(bytes))) << got.output;
  Result stat = call(ref, "unibus.v1.BlobService/StatBlob");
  ASSERT_EQ(stat.exit_code, 0) << stat.output;
  EXPECT_TRUE(absl::StrContains(stat.output, absl::StrCat("\"size\": \"", bytes.size())))
      << stat.output;

  // A wrong address is refused with its code, and nothing is stored under it.
  std::string wrong = put;
  wrong.replace(wrong.find(address), 64, common::Sha256Hex("other bytes"));
  Result refused = call(wrong, "unibus.v1.BlobService/PutBlob");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(refused.output, "InvalidArgument")) << refused.output;
}

TEST_F(GrpcurlTest, UnknownIdentityIsUnauthenticated) {
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("grpcurl-unknown")).value();
  Result r = Run(absl::StrCat(grpcurl_, " -max-time 20 -cacert ", server->dir(), "/tls/ca.pem ",
                              CertFlags(*server, Identity::Generate()), " ", server->target(),
                              " unibus.v1.UserService/WhoAmI 2>&1"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.output, "Unauthenticated")) << r.output;
}

TEST_F(GrpcurlTest, NoClientCertificateIsRefused) {
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("grpcurl-nocert")).value();
  Result r = Run(absl::StrCat(grpcurl_, " -max-time 20 -cacert ", server->dir(), "/tls/ca.pem ",
                              server->target(), " list 2>&1"));
  EXPECT_NE(r.exit_code, 0) << r.output;
}

TEST_F(GrpcurlTest, HealthReportsASoundPostureOnLoopback) {
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("grpcurl-health")).value();
  std::string certs = CertFlags(*server, server->admin());
  auto check = [&](const std::string& service) {
    return Run(absl::StrCat(grpcurl_, " -max-time 20 -cacert ", server->dir(), "/tls/ca.pem ",
                            certs, " -d ", Quote(absl::StrCat(R"({"service":")", service, "\"}")),
                            " ", server->target(), " grpc.health.v1.Health/Check 2>&1"));
  };
  for (const char* name : {"", "unibus.posture", "unibus.posture.mtls_required",
                           "unibus.posture.loopback_only", "unibus.posture.store",
                           "unibus.store.sqlite"}) {
    Result r = check(name);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.output;
    EXPECT_TRUE(absl::StrContains(r.output, "\"SERVING\"")) << name << ": " << r.output;
  }
  // Cleartext rooms are allowed on a loopback listener (auto), and the posture says so.
  Result cleartext = check("unibus.posture.cleartext_rooms_denied");
  EXPECT_TRUE(absl::StrContains(cleartext.output, "NOT_SERVING")) << cleartext.output;
}

TEST_F(GrpcurlTest, HealthFlagsCleartextRoomsOnAPublicListener) {
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("grpcurl-posture"),
                                                {"--listen=0.0.0.0:0", "--cleartext_rooms=allow"})
                    .value();
  Result r = Run(absl::StrCat(grpcurl_, " -max-time 20 -cacert ", server->dir(), "/tls/ca.pem ",
                              CertFlags(*server, server->admin()),
                              R"( -d '{"service":"unibus.posture"}' )", server->target(),
                              " grpc.health.v1.Health/Check 2>&1"));
  EXPECT_TRUE(absl::StrContains(r.output, "NOT_SERVING")) << r.output;
}

}  // namespace
}  // namespace unibus::control
