#include "broker_auth/kick/connz.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace unibus::broker_auth::kick {
namespace {

// The shape nats-server 2.10 answers $SYS.REQ.SERVER.PING.CONNZ with (abridged).
constexpr char kAnswer[] = R"({"server":{"name":"n1","id":"NSERVER"},
  "data":{"server_id":"NSERVER","now":"2026-12-06T11:54:29.500000000Z","num_connections":2,
  "total":2,"offset":0,"limit":2,"connections":[
   {"cid":18,"kind":"Client","start":"2026-12-06T11:54:29.400000000Z","authorized_user":"UPEER"},
   {"cid":19,"kind":"Client","start":"2026-12-06T12:54:29.000000000+01:00"}]}})";

TEST(ConnzTest, ReadsEachConnectionsAgeOnTheServersOwnClock) {
  absl::StatusOr<ServerConnections> got = ParseConnz(kAnswer, 1024);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->server_id, "NSERVER");
  ASSERT_EQ(got->connections.size(), 2u);
  EXPECT_EQ(got->connections[0].cid, 18u);
  EXPECT_EQ(got->connections[0].age, absl::Milliseconds(100));
  EXPECT_EQ(got->connections[0].user, "UPEER");
  EXPECT_EQ(got->connections[1].user, "");
  EXPECT_EQ(got->connections[1].age, absl::Milliseconds(500));  // another zone, same instant
  EXPECT_FALSE(got->more);
  EXPECT_TRUE(ParseConnz(kAnswer, 2)->more);  // a full page: ask for the next one
  EXPECT_EQ(got->offset, 0u);
}

TEST(ConnzTest, RefusesWhatIsNotAConnzAnswer) {
  EXPECT_FALSE(ParseConnz("", 10).ok());
  EXPECT_FALSE(ParseConnz(R"({"error":{"code":403}})", 10).ok());
  EXPECT_FALSE(ParseConnz(R"({"data":{"server_id":"N"}})", 10).ok());  // no time
  EXPECT_FALSE(ParseConnz(
      R"({"data":{"server_id":"N","now":"2026-12-06T11:54:29Z","connections":[{"cid":1}]}})", 10)
                   .ok());
}

TEST(ConnzTest, RequestFiltersByUserOrAccount) {
  nlohmann::json user = nlohmann::json::parse(ConnzRequestJson("UABC", "", 0, 100));
  EXPECT_EQ(user["user"], "UABC");
  EXPECT_FALSE(user.contains("acc"));
  EXPECT_EQ(user["limit"], 100);
  EXPECT_EQ(user["auth"], true);
  nlohmann::json all = nlohmann::json::parse(ConnzRequestJson("", "UNIBUS", 200, 100));
  EXPECT_EQ(all["acc"], "UNIBUS");
  EXPECT_EQ(all["offset"], 200);
  EXPECT_FALSE(all.contains("user"));
}

}  // namespace
}  // namespace unibus::broker_auth::kick
