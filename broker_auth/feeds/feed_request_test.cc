#include "broker_auth/feeds/feed_request.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace unibus::broker_auth::feeds {
namespace {

using nlohmann::json;

const std::string kKey(64, 'a');
const std::string kRoom = "0123456789abcdef0123456789abcdef";
const std::string kNonce = "00112233445566778899aabb";

json Base() { return json{{"room_id", kRoom}, {"nonce", kNonce}}; }

TEST(FeedRequestTest, ParsesEachStartAndRoundTrips) {
  json after = Base();
  after["after_seq"] = 41;
  absl::StatusOr<FeedRequest> r = ParseFeedRequest(after.dump());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->start, FeedRequest::Start::kAfterSeq);
  EXPECT_EQ(r->after_seq, 41u);
  absl::StatusOr<FeedRequest> again = ParseFeedRequest(FeedRequestJson(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->after_seq, 41u);

  json all = Base();
  all["all"] = true;
  EXPECT_EQ(ParseFeedRequest(all.dump())->start, FeedRequest::Start::kAll);

  json since = Base();
  since["since_ns"] = int64_t{1767225600000000000};
  r = ParseFeedRequest(since.dump());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(absl::ToUnixNanos(r->since), int64_t{1767225600000000000});
}

TEST(FeedRequestTest, RefusesWhatCouldInjectIntoSubjectsOrNames) {
  for (const char* bad_room : {"ub.room.x", "*", ">", "0123456789ABCDEF0123456789ABCDEF", ""}) {
    json j = Base();
    j["room_id"] = bad_room;
    j["all"] = true;
    EXPECT_EQ(ParseFeedRequest(j.dump()).status().code(), absl::StatusCode::kInvalidArgument)
        << bad_room;
  }
  for (const char* bad_nonce : {"x.y", "00112233445566778899aabb.>", "_", ""}) {
    json j = Base();
    j["nonce"] = bad_nonce;
    j["all"] = true;
    EXPECT_EQ(ParseFeedRequest(j.dump()).status().code(), absl::StatusCode::kInvalidArgument)
        << bad_nonce;
  }
  EXPECT_FALSE(ParseFeedRequest(Base().dump()).ok());  // no start
  EXPECT_FALSE(ParseFeedRequest("not json").ok());
  json zero = Base();
  zero["after_seq"] = 0;
  EXPECT_FALSE(ParseFeedRequest(zero.dump()).ok());
}

TEST(FeedRequestTest, HeartbeatIsClamped) {
  json j = Base();
  j["all"] = true;
  j["heartbeat_ms"] = 1;
  EXPECT_EQ(ParseFeedRequest(j.dump())->heartbeat, absl::Seconds(1));
  j["heartbeat_ms"] = 3600000;
  EXPECT_EQ(ParseFeedRequest(j.dump())->heartbeat, absl::Seconds(30));
}

TEST(FeedRequestTest, ConsumerDeliversOnlyIntoTheOwnersInboxAndNamesItsOwner) {
  json j = Base();
  j["all"] = true;
  FeedRequest r = *ParseFeedRequest(j.dump());
  json body = json::parse(ConsumerCreateBody(kKey, r, absl::Seconds(30)));
  const json& config = body["config"];
  EXPECT_EQ(config["deliver_subject"], "_INBOX_" + kKey + ".feed." + kNonce);
  EXPECT_EQ(config["filter_subject"], "ub.room." + kRoom);
  EXPECT_EQ(config["ack_policy"], "none");
  EXPECT_EQ(config["deliver_policy"], "all");
  EXPECT_FALSE(config.contains("durable_name"));
  std::optional<ConsumerOwner> owner = OwnerOfConsumer(config["name"].get<std::string>());
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->sign_pub, kKey);
  EXPECT_EQ(owner->room_id, kRoom);
  EXPECT_EQ(ConsumerCreateSubject(kKey, r),
            "$JS.API.CONSUMER.CREATE.UB_ROOMS." + config["name"].get<std::string>() +
                ".ub.room." + kRoom);
}

TEST(FeedRequestTest, NamesOfAnyOtherFormHaveNoOwner) {
  EXPECT_FALSE(OwnerOfConsumer("evil").has_value());
  EXPECT_FALSE(OwnerOfConsumer(kKey + "_" + kRoom).has_value());
  EXPECT_FALSE(OwnerOfConsumer(kKey + "_" + kRoom + "_" + kNonce + "_x").has_value());
}

}  // namespace
}  // namespace unibus::broker_auth::feeds
