#include "broker_auth/config/nats_config.h"

#include "absl/strings/match.h"
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
  p.feeds_user = EncodePublic(KeyType::kUser, std::string(32, '\6'));
  p.control_user = EncodePublic(KeyType::kUser, std::string(32, '\5'));
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

ClusterParams Cluster() {
  ClusterParams c;
  c.name = "unibus";
  c.port = 6222;
  c.routes = {"127.0.0.1:6223", "127.0.0.1:6224"};
  c.cert_file = "/s/route.pem";
  c.key_file = "/s/route.key";
  c.ca_file = "/s/ca.pem";
  c.route_secret = "0123456789abcdef0123456789abcdef";
  return c;
}

NatsConfigParams ClusterNode() {
  NatsConfigParams p = Params();
  EXPECT_TRUE(SetCluster(&p, Cluster()).ok());
  return p;
}

TEST(NatsConfigTest, SingleNodeHasNoClusterAndAControlAccount) {
  std::string text = RenderNatsConfig(Params());
  EXPECT_FALSE(absl::StrContains(text, "cluster"));
  EXPECT_FALSE(absl::StrContains(text, "tls"));
  EXPECT_TRUE(absl::StrContains(text, "  CONTROL {\n    jetstream: enabled\n    users: [ { nkey: \"" +
                                          Params().control_user + "\" } ]"))
      << text;
  // The control plane's user bypasses the callout like authd's own users.
  EXPECT_TRUE(absl::StrContains(text, "\"" + Params().control_user + "\" ]\n")) << text;
  NatsConfigParams p = Params();
  EXPECT_TRUE(SetCluster(&p, ClusterParams{}).ok());
  EXPECT_FALSE(p.clustered);
}

TEST(NatsConfigTest, ControlUserIsRequired) {
  NatsConfigParams p = Params();
  p.control_user.clear();
  EXPECT_EQ(ValidateParams(p).code(), absl::StatusCode::kInvalidArgument);
}

TEST(NatsConfigTest, GeneratedClusterConfigPassesTheChecks) {
  NatsConfigParams p = ClusterNode();
  p.server_name = "unibus-2";
  p.jetstream_max_memory = 256 << 20;
  ASSERT_TRUE(ValidateParams(p).ok()) << ValidateParams(p);
  std::string text = RenderNatsConfig(p);
  EXPECT_TRUE(CheckNatsConfig(text).ok()) << CheckNatsConfig(text) << "\n" << text;
  for (const char* want :
       {"server_name: \"unibus-2\"", "name: \"unibus\"", "listen: \"127.0.0.1:6222\"",
        "no_advertise: true", "verify: true", "ca_file: \"/s/ca.pem\"",
        "user: \"unibus-route\"", "password: \"0123456789abcdef0123456789abcdef\"",
        "\"nats-route://unibus-route:0123456789abcdef0123456789abcdef@127.0.0.1:6223\"",
        "\"nats-route://unibus-route:0123456789abcdef0123456789abcdef@127.0.0.1:6224\"",
        "max_memory_store: 268435456"}) {
    EXPECT_TRUE(absl::StrContains(text, want)) << want << "\n" << text;
  }
  EXPECT_FALSE(absl::StrContains(text, "debug"));
  EXPECT_FALSE(absl::StrContains(text, "trace"));
}

TEST(NatsConfigTest, PartialClusterSettingsAreRefusedNamingWhatIsMissing) {
  struct Case {
    void (*drop)(ClusterParams&);
    const char* missing;
  };
  const Case cases[] = {
      {[](ClusterParams& c) { c.port = 0; }, "cluster port"},
      {[](ClusterParams& c) { c.routes.clear(); }, "routes"},
      {[](ClusterParams& c) { c.cert_file.clear(); }, "route certificate"},
      {[](ClusterParams& c) { c.key_file.clear(); }, "route key"},
      {[](ClusterParams& c) { c.ca_file.clear(); }, "route CA"},
      {[](ClusterParams& c) { c.route_secret.clear(); }, "route secret"},
  };
  for (const Case& k : cases) {
    ClusterParams c = Cluster();
    k.drop(c);
    NatsConfigParams p = Params();
    absl::Status s = SetCluster(&p, c);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << k.missing;
    EXPECT_TRUE(absl::StrContains(s.message(), std::string("missing: ") + k.missing)) << s;
  }
  ClusterParams only_port;
  only_port.port = 6222;
  NatsConfigParams p = Params();
  absl::Status s = SetCluster(&p, only_port);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(
      s.message(), "missing: routes, route certificate, route key, route CA, route secret"))
      << s;
}

TEST(NatsConfigTest, ClusterValuesAreChecked) {
  NatsConfigParams p = Params();
  ClusterParams c = Cluster();
  c.routes = {"nats-route://x:y@127.0.0.1:6223"};  // credentials are ours to add
  EXPECT_EQ(SetCluster(&p, c).code(), absl::StatusCode::kInvalidArgument);
  c = Cluster();
  c.route_secret = "short";
  EXPECT_EQ(SetCluster(&p, c).code(), absl::StatusCode::kInvalidArgument);
  c.route_secret = "has@an/at-sign-and-slash";  // would break the route URLs
  EXPECT_EQ(SetCluster(&p, c).code(), absl::StatusCode::kInvalidArgument);
  c = Cluster();
  c.port = 70000;
  EXPECT_EQ(SetCluster(&p, c).code(), absl::StatusCode::kInvalidArgument);
}

TEST(NatsConfigTest, ClientListenerBeyondLoopbackNeedsTls) {
  NatsConfigParams p = ClusterNode();
  p.host = "0.0.0.0";
  EXPECT_EQ(ValidateParams(p).code(), absl::StatusCode::kInvalidArgument);
  p.tls_cert_file = "/s/server.pem";
  EXPECT_EQ(ValidateParams(p).code(), absl::StatusCode::kInvalidArgument);  // no key
  p.tls_key_file = "/s/server.key";
  ASSERT_TRUE(ValidateParams(p).ok());
  std::string text = RenderNatsConfig(p);
  EXPECT_TRUE(absl::StrContains(text, "tls {\n  cert_file: \"/s/server.pem\""));
  EXPECT_TRUE(CheckNatsConfig(text).ok()) << CheckNatsConfig(text);
}

// Security regression: a node whose cluster block lacks route TLS or the route secret must not
// be served by unibus-authd. Fails if CheckNatsConfig stops looking at the cluster block.
TEST(NatsConfigTest, RefusesAClusterWithoutMutualTlsOrSecret) {
  std::string text = RenderNatsConfig(ClusterNode());
  ASSERT_TRUE(CheckNatsConfig(text).ok());
  std::string no_verify = absl::StrReplaceAll(text, {{"verify: true", "verify: false"}});
  std::string no_ca = absl::StrReplaceAll(text, {{"ca_file:", "#ca_file:"}});
  std::string no_tls = absl::StrReplaceAll(text, {{"  tls {", "  xtls {"}});
  std::string no_secret = absl::StrReplaceAll(text, {{"password:", "#password:"}});
  std::string no_auth = absl::StrReplaceAll(text, {{"  authorization {\n    user", "  xauth {\n    user"}});
  std::string bare = RenderNatsConfig(Params()) + "cluster {\n  listen: 127.0.0.1:6222\n  routes: [ nats-route://127.0.0.1:6223 ]\n}\n";
  for (const std::string& bad : {no_verify, no_ca, no_tls, no_secret, no_auth, bare}) {
    absl::Status s = CheckNatsConfig(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << bad;
    EXPECT_TRUE(absl::StrContains(s.message(), "cluster routes need mutual TLS and a route secret"))
        << s;
  }
}

// nats-server reads keys case-insensitively, lets a later duplicate win and follows includes:
// each of these would run routes without TLS or secret while a naive check saw a compliant config.
TEST(NatsConfigTest, RefusesConfigsThatHideAnInsecureCluster) {
  std::string text = RenderNatsConfig(ClusterNode());
  ASSERT_TRUE(CheckNatsConfig(text).ok());
  const std::string plain_cluster =
      "cluster {\n  listen: 127.0.0.1:6222\n  routes: [ nats-route://127.0.0.1:6223 ]\n}\n";
  std::string capitalized = RenderNatsConfig(Params()) + "Cluster" + plain_cluster.substr(7);
  std::string second_block = text + plain_cluster;
  std::string verify_twice =
      absl::StrReplaceAll(text, {{"verify: true", "verify: true\n    verify: false"}});
  std::string included = text + "include \"more.conf\"\n";
  std::string upper_no_auth_user = text + "NO_AUTH_USER: x\n";
  for (const std::string& bad :
       {capitalized, second_block, verify_twice, included, upper_no_auth_user}) {
    EXPECT_EQ(CheckNatsConfig(bad).code(), absl::StatusCode::kFailedPrecondition) << bad;
  }
}

TEST(NatsConfigTest, CalloutTimeoutIsTheTopLevelOneNotTheClusters) {
  // The cluster's own timeouts (numbers) must not hide a callout timeout with a unit.
  std::string text = absl::StrReplaceAll(RenderNatsConfig(ClusterNode()),
                                         {{"authorization {\n  timeout: 2\n", "authorization {\n  timeout: \"2s\"\n"}});
  EXPECT_EQ(CheckNatsConfig(text).code(), absl::StatusCode::kFailedPrecondition) << text;
}

TEST(NatsConfigTest, RefusesDebugOrTraceLogging) {
  EXPECT_EQ(CheckNatsConfig(RenderNatsConfig(Params()) + "debug: true\n").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckNatsConfig(RenderNatsConfig(Params()) + "trace: true\n").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(NatsConfigTest, ParamsMustCarryRealKeys) {
  NatsConfigParams p = Params();
  p.issuer_account = p.authd_user;  // a user key where an account key belongs
  EXPECT_EQ(ValidateParams(p).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace unibus::broker_auth::config
