#include "broker_auth/config/nats_config.h"

#include "absl/strings/str_replace.h"
#include "common/crypto/nkeys.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::config {
namespace {

using common::nkeys::EncodePublic;
using common::nkeys::KeyType;

NatsConfigParams Params() {
  NatsConfigParams p;
  p.jetstream_dir = "/tmp/js";
  p.authd_user = EncodePublic(KeyType::kUser, std::string(32, '\1'));
  p.system_user = EncodePublic(KeyType::kUser, std::string(32, '\2'));
  p.stream_user = EncodePublic(KeyType::kUser, std::string(32, '\3'));
  p.issuer_account = EncodePublic(KeyType::kAccount, std::string(32, '\3'));
  p.xkey = EncodePublic(KeyType::kCurve, std::string(32, '\4'));
  p.monitor_port = 8222;
  return p;
}

TEST(NatsConfigTest, GeneratedConfigPassesTheHygieneChecks) {
  ASSERT_TRUE(ValidateParams(Params()).ok());
  std::string text = RenderNatsConfig(Params());
  EXPECT_TRUE(CheckNatsConfig(text).ok()) << CheckNatsConfig(text) << "\n" << text;
  EXPECT_NE(text.find("http: \"127.0.0.1:8222\""), std::string::npos);
}

TEST(NatsConfigTest, RefusesNoAuthUser) {
  std::string text = RenderNatsConfig(Params()) + "no_auth_user: somebody\n";
  EXPECT_EQ(CheckNatsConfig(text).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(NatsConfigTest, RefusesATimeoutWithAUnit) {
  std::string text = absl::StrReplaceAll(RenderNatsConfig(Params()), {{"timeout: 2", "timeout: \"2s\""}});
  EXPECT_EQ(CheckNatsConfig(text).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(NatsConfigTest, RefusesAConfigWithoutNkeyUsersOrSystemAccount) {
  std::string text = absl::StrReplaceAll(RenderNatsConfig(Params()), {{"nkey:", "user:"}});
  EXPECT_EQ(CheckNatsConfig(text).code(), absl::StatusCode::kFailedPrecondition);
  text = absl::StrReplaceAll(RenderNatsConfig(Params()), {{"system_account: SYS\n", ""}});
  EXPECT_EQ(CheckNatsConfig(text).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(NatsConfigTest, RefusesAPublicMonitoringEndpoint) {
  std::string text = absl::StrReplaceAll(RenderNatsConfig(Params()),
                                         {{"http: \"127.0.0.1:8222\"", "http: \"0.0.0.0:8222\""}});
  EXPECT_EQ(CheckNatsConfig(text).code(), absl::StatusCode::kFailedPrecondition);
  text = RenderNatsConfig(Params()) + "http_port: 8222\n";
  EXPECT_EQ(CheckNatsConfig(text).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(NatsConfigTest, ParamsMustCarryRealKeys) {
  NatsConfigParams p = Params();
  p.issuer_account = p.authd_user;  // a user key where an account key belongs
  EXPECT_EQ(ValidateParams(p).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace unibus::broker_auth::config
