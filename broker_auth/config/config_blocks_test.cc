#include "broker_auth/config/config_blocks.h"

#include "gtest/gtest.h"

namespace unibus::broker_auth::config {
namespace {

constexpr char kText[] = R"(# a comment { not a block
port: 4222
cluster {
  name: "c1"   // trailing comment
  authorization { user: u, password: "p}w" , timeout: 0.5 }
  routes = [ "nats-route://a:b@h:1", "x" ]
}
authorization: {
  timeout: "2s"
}
)";

TEST(ConfigBlocksTest, FindsTopLevelBlocksAndOwnValuesOnly) {
  EXPECT_EQ(OwnValue(kText, "port"), "4222");
  std::optional<std::string> cluster = TopLevelBlock(kText, "cluster");
  ASSERT_TRUE(cluster.has_value());
  EXPECT_EQ(OwnValue(*cluster, "name"), "c1");
  std::optional<std::string> auth = OwnBlock(*cluster, "authorization");
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(OwnValue(*auth, "password"), "p}w");
  EXPECT_EQ(OwnValue(*auth, "timeout"), "0.5");
  // The top-level authorization block, not the cluster's.
  std::optional<std::string> top = TopLevelBlock(kText, "authorization");
  ASSERT_TRUE(top.has_value());
  std::optional<ConfEntry> timeout = OwnScalar(*top, "timeout");
  ASSERT_TRUE(timeout.has_value());
  EXPECT_EQ(timeout->value, "2s");
  EXPECT_TRUE(timeout->quoted);
  EXPECT_EQ(OwnValue(kText, "name"), "");  // nested, not top level
  EXPECT_FALSE(TopLevelBlock(kText, "tls").has_value());
}

TEST(ConfigBlocksTest, ToleratesUnbalancedText) {
  EXPECT_FALSE(TopLevelBlock("cluster { tls { ", "tls").has_value());
  EXPECT_TRUE(Entries("").empty());
  EXPECT_EQ(OwnValue("a: \"unterminated", "a"), "unterminated");
}

}  // namespace
}  // namespace unibus::broker_auth::config
