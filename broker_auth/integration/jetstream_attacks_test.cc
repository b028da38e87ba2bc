// A malicious member against JetStream (docs/security.md, "JetStream acts for members"): mallory
// holds a valid allowlisted nkey and speaks raw NATS (never libunibus). JetStream acts on a
// requester's behalf and nats-server does not check what it then publishes: a push consumer's
// deliver subject is not checked against its creator's permissions, and every JetStream request
// (API calls, and publishes to a stored subject, whose acknowledgement goes to the reply subject)
// is answered on whatever reply subject the requester names. Each test below tries one way to
// make JetStream deliver on her behalf outside her own inbox, or to keep a consumer past her
// membership, and FAILED against the code before the history-feed service (peers were granted
// $JS.API.CONSUMER.CREATE and DIRECT.GET on their rooms, and the stream acknowledged publishes).
//
// Absence is asserted after a marker: a message sent after the attack by an honest publisher on
// the same subject, then a further bounded wait for anything JetStream might still push.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "broker_auth/integration/peer_helpers.h"
#include "broker_auth/testing/stack.h"
#include "common/crypto/hex.h"
#include "common/nats/jetstream_api.h"
#include "common/nats/service_connection.h"
#include "common/nats/subjects.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::integration {
namespace {

using common::Identity;
using common::nats::FeedRequestSubject;
using common::nats::InboxPrefix;
using common::nats::RoomSubject;
using nlohmann::json;

constexpr absl::Duration kQuiet = absl::Milliseconds(1500);
constexpr int kFeedCap = 8;  // --history_feeds_per_identity of this stack

class JetStreamAttacksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = testing::Stack::Start(control::testing::NewTempDir("js_attacks"),
                                   {absl::StrCat("--history_feeds_per_identity=", kFeedCap)})
                 .value()
                 .release();
    auto& control = stack_->control();
    olivia_ = new Identity(Identity::Generate());
    mallory_ = new Identity(Identity::Generate());
    bob_ = new Identity(Identity::Generate());
    feeds_ = new Identity(
        Identity::Load(stack_->authd_state_dir() + "/feeds.id").value_or(Identity::Generate()));
    ASSERT_TRUE(control.AddUser(*olivia_, v1::ROLE_MEMBER, "olivia").ok());
    ASSERT_TRUE(control.AddUser(*mallory_, v1::ROLE_MEMBER, "mallory").ok());
    ASSERT_TRUE(control.AddUser(*bob_, v1::ROLE_MEMBER, "bob").ok());
    // A: history, mallory and bob. B: history, bob only. L: no history, bob only.
    room_a_ = new std::string(CreateCleartextRoom(control, *olivia_));
    room_b_ = new std::string(CreateCleartextRoom(control, *olivia_));
    room_l_ = new std::string(CreateCleartextRoom(control, *olivia_, /*history=*/false));
    ASSERT_TRUE(AddMember(control, *olivia_, *room_a_, *mallory_).ok());
    for (const std::string* room : {room_a_, room_b_, room_l_}) {
      ASSERT_TRUE(AddMember(control, *olivia_, *room, *bob_).ok());
    }
    ASSERT_TRUE(WaitForRoomAccess(*stack_, *bob_, {*room_a_, *room_b_, *room_l_}).ok());
    ASSERT_TRUE(WaitForRoomAccess(*stack_, *mallory_, {*room_a_}).ok());
  }
  static void TearDownTestSuite() {
    if (stack_ != nullptr && ::testing::UnitTest::GetInstance()->failed_test_count() > 0) {
      std::cerr << "---- authd.log ----\n" << FileTailFrom(stack_->dir() + "/authd.log", 0);
    }
    delete stack_;
    for (Identity* id : {olivia_, mallory_, bob_, feeds_}) delete id;
    for (std::string* room : {room_a_, room_b_, room_l_}) delete room;
  }

  static std::unique_ptr<Peer> Connect(const Identity& who) {
    absl::StatusOr<std::unique_ptr<Peer>> peer = Peer::Connect(*stack_, who);
    EXPECT_TRUE(peer.ok()) << peer.status();
    return peer.ok() ? *std::move(peer) : nullptr;
  }

  // A room of olivia's with history where `member` is a member (fresh, for tests that change
  // the membership).
  static std::string FreshHistoryRoom(const Identity& member) {
    std::string room = CreateCleartextRoom(stack_->control(), *olivia_);
    EXPECT_TRUE(AddMember(stack_->control(), *olivia_, room, member).ok());
    EXPECT_TRUE(WaitForRoomAccess(*stack_, member, {room}).ok());
    return room;
  }

  // The history consumers of `who` that exist now, as unibus-authd's feeds user sees them.
  static absl::StatusOr<int> ConsumersOf(const Identity& who) {
    common::nats::ServiceConnectionOptions options;
    options.urls = stack_->nats_url();
    options.inbox_prefix = std::string(common::nats::kFeedsUserInbox);
    options.retry_on_failed_connect = false;
    absl::StatusOr<common::nats::NatsConnectionPtr> nc =
        common::nats::ConnectService(options, *feeds_);
    if (!nc.ok()) return nc.status();
    absl::StatusOr<std::vector<std::string>> names =
        common::nats::JetStreamApi(nc->get(), absl::Seconds(2))
            .ConsumerNames(std::string(common::nats::kRoomStream));
    if (!names.ok()) return names.status();
    int n = 0;
    for (const std::string& name : *names) n += absl::StartsWith(name, who.sign_pub_hex());
    return n;
  }

  // Mallory's raw request for a history feed of `room`, answered on `reply`.
  static json FeedBody(const std::string& room, const std::string& nonce) {
    return json{{"room_id", room}, {"nonce", nonce}, {"all", true}};
  }
  // On the subject of `room` (by default the one the body names).
  static absl::StatusOr<json> RequestFeed(Peer& peer, const Identity& who, const json& body,
                                          std::string room = "") {
    if (room.empty()) room = body.value("room_id", "");
    natsMsg* raw = nullptr;
    std::string text = body.dump();
    std::string subject = FeedRequestSubject(who.sign_pub_hex(), room);
    natsStatus s = natsConnection_Request(&raw, peer.nc(), subject.c_str(), text.data(),
                                          static_cast<int>(text.size()), 5000);
    if (s != NATS_OK) return absl::UnavailableError(natsStatus_GetText(s));
    common::nats::NatsMsgPtr reply(raw);
    return json::parse(natsMsg_GetData(raw), natsMsg_GetData(raw) + natsMsg_GetDataLength(raw),
                       nullptr, false);
  }

  // Publishes `data` as `who` on `subject` with reply subject `reply`.
  static void PublishWithReply(Peer& peer, const std::string& subject, const std::string& reply,
                               const std::string& data) {
    ASSERT_EQ(natsConnection_PublishRequest(peer.nc(), subject.c_str(), reply.c_str(),
                                            data.data(), static_cast<int>(data.size())),
              NATS_OK);
    ASSERT_EQ(natsConnection_FlushTimeout(peer.nc(), 5000), NATS_OK);
  }

  // Tries, as `who`, the consumer create that members were once granted: a push consumer named
  // `name` on `room` delivering to `deliver`, new frames only.
  static void TryConsumer(Peer& peer, const Identity& who, const std::string& name,
                          const std::string& room, const std::string& deliver) {
    json config = {{"stream_name", "UB_ROOMS"},
                   {"config",
                    {{"name", name}, {"filter_subject", RoomSubject(room)},
                     {"deliver_subject", deliver}, {"deliver_policy", "new"},
                     {"ack_policy", "none"}}}};
    PublishWithReply(peer,
                     absl::StrCat("$JS.API.CONSUMER.CREATE.UB_ROOMS.", name, ".", RoomSubject(room)),
                     InboxPrefix(who.sign_pub_hex()) + ".r", config.dump());
  }

  // After `marker` arrived on `sub` (sent by an honest publisher after the attack), nothing else
  // does within kQuiet.
  static void ExpectOnlyMarker(natsSubscription* sub, const std::string& marker) {
    for (;;) {
      absl::StatusOr<std::string> got = NextMessage(sub);
      ASSERT_TRUE(got.ok()) << "the marker never arrived";
      if (*got == marker) break;
      ADD_FAILURE() << "delivered on mallory's behalf: " << *got;
    }
    absl::StatusOr<std::string> late = NextMessage(sub, kQuiet);
    EXPECT_FALSE(late.ok()) << "delivered on mallory's behalf: " << *late;
  }

  static testing::Stack* stack_;
  static Identity* olivia_;   // owns every room
  static Identity* mallory_;  // the attacker: member of A only
  static Identity* bob_;      // member of A, B and L
  static Identity* feeds_;    // unibus-authd's feeds user (to inspect consumers)
  static std::string* room_a_;
  static std::string* room_b_;
  static std::string* room_l_;
};

testing::Stack* JetStreamAttacksTest::stack_ = nullptr;
Identity* JetStreamAttacksTest::olivia_ = nullptr;
Identity* JetStreamAttacksTest::mallory_ = nullptr;
Identity* JetStreamAttacksTest::bob_ = nullptr;
Identity* JetStreamAttacksTest::feeds_ = nullptr;
std::string* JetStreamAttacksTest::room_a_ = nullptr;
std::string* JetStreamAttacksTest::room_b_ = nullptr;
std::string* JetStreamAttacksTest::room_l_ = nullptr;

// Attack: any consumer of her own choosing (ephemeral or durable, push or pull), or a direct get,
// on her own room. Before the fix the filtered create and direct-get forms were granted.
TEST_F(JetStreamAttacksTest, MembersHoldNoJetStreamApiAtAll) {
  auto mallory = Connect(*mallory_);
  ASSERT_TRUE(mallory);
  std::string a = RoomSubject(*room_a_);
  std::string inbox = InboxPrefix(mallory_->sign_pub_hex());
  const std::vector<std::string> denied = {
      absl::StrCat("$JS.API.CONSUMER.CREATE.UB_ROOMS.loot.", a),
      "$JS.API.CONSUMER.DURABLE.CREATE.UB_ROOMS.loot",
      "$JS.API.CONSUMER.MSG.NEXT.UB_ROOMS.loot",
      absl::StrCat("$JS.API.DIRECT.GET.UB_ROOMS.", a),
      "$JS.API.CONSUMER.INFO.UB_ROOMS.loot",
      "$JS.API.CONSUMER.DELETE.UB_ROOMS.loot",
  };
  json durable = {{"stream_name", "UB_ROOMS"},
                  {"config",
                   {{"durable_name", "loot"}, {"filter_subject", a},
                    {"deliver_subject", inbox + ".loot"}, {"ack_policy", "none"}}}};
  for (const std::string& subject : denied) {
    PublishWithReply(*mallory, subject, inbox + ".r", durable.dump());
  }
  for (const std::string& subject : denied) {
    EXPECT_TRUE(mallory->WaitForPublishDenied(subject)) << subject;
  }
  EXPECT_EQ(ConsumersOf(*mallory_).value_or(-1), 0);
}

// Attack (H1): a consumer delivering into her own inbox, created while a member, read after her
// removal with inbox-only grants. Before the fix the frame sent after the removal arrived.
TEST_F(JetStreamAttacksTest, RemovedMemberReadsNothingThroughAConsumerSheMadeBefore) {
  std::string room = FreshHistoryRoom(*mallory_);
  std::string loot = InboxPrefix(mallory_->sign_pub_hex()) + ".loot1";
  {
    auto mallory = Connect(*mallory_);
    ASSERT_TRUE(mallory);
    TryConsumer(*mallory, *mallory_, "loot1", room, loot);
  }
  ASSERT_TRUE(RemoveMember(stack_->control(), *olivia_, room, *mallory_).ok());
  ASSERT_TRUE(WaitUntilConnectAccepted(*stack_, *mallory_).ok());
  auto mallory = Connect(*mallory_);
  auto olivia = Connect(*olivia_);
  ASSERT_TRUE(mallory && olivia);
  auto sub = mallory->Subscribe(loot);
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(olivia->Publish(RoomSubject(room), "sent after mallory's removal").ok());
  absl::StatusOr<std::string> got = NextMessage(sub->get(), kQuiet);
  EXPECT_FALSE(got.ok()) << "mallory still reads the room: " << *got;
}

// Attack (H1, revoked user with an accomplice): a consumer delivering into the inbox of nora, an
// identity she also controls, then mallory's revocation; nora reads on. Before the fix the frame
// sent after the revocation reached nora.
TEST_F(JetStreamAttacksTest, RevokedUsersAccomplicesInboxReceivesNothing) {
  Identity mal2 = Identity::Generate();
  Identity nora = Identity::Generate();
  ASSERT_TRUE(stack_->control().AddUser(mal2, v1::ROLE_MEMBER, "mal2").ok());
  ASSERT_TRUE(stack_->control().AddUser(nora, v1::ROLE_MEMBER, "nora").ok());
  std::string room = FreshHistoryRoom(mal2);
  std::string loot = InboxPrefix(nora.sign_pub_hex()) + ".loot";
  {
    auto peer = Connect(mal2);
    ASSERT_TRUE(peer);
    TryConsumer(*peer, mal2, "loot2", room, loot);
  }
  ASSERT_TRUE(RevokeUser(stack_->control(), mal2).ok());
  ASSERT_TRUE(WaitUntilConnectRefused(*stack_, mal2).ok());
  auto accomplice = Connect(nora);
  auto olivia = Connect(*olivia_);
  ASSERT_TRUE(accomplice && olivia);
  auto sub = accomplice->Subscribe(loot);
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(olivia->Publish(RoomSubject(room), "sent after the revocation").ok());
  absl::StatusOr<std::string> got = NextMessage(sub->get(), kQuiet);
  EXPECT_FALSE(got.ok()) << "the accomplice reads the room: " << *got;
}

// Attack (M2): a consumer on her own room delivering into room L's live subject and into bob's
// inbox, then a publish to her own room. Before the fix bob received her bytes in L.
TEST_F(JetStreamAttacksTest, DeliverSubjectsCannotInjectIntoOtherRoomsOrInboxes) {
  auto mallory = Connect(*mallory_);
  auto bob = Connect(*bob_);
  auto olivia = Connect(*olivia_);
  ASSERT_TRUE(mallory && bob && olivia);
  std::string live = common::nats::FrameSubject(*room_l_, false);
  std::string bob_inbox = InboxPrefix(bob_->sign_pub_hex()) + ".x";
  auto in_live = bob->Subscribe(live);
  auto in_inbox = bob->Subscribe(bob_inbox);
  ASSERT_TRUE(in_live.ok() && in_inbox.ok());
  TryConsumer(*mallory, *mallory_, "inject0", *room_a_, live);
  TryConsumer(*mallory, *mallory_, "inject1", *room_a_, bob_inbox);
  ASSERT_TRUE(mallory->Publish(RoomSubject(*room_a_), "INJECTED").ok());
  ASSERT_TRUE(olivia->Publish(live, "marker").ok());
  ExpectOnlyMarker(in_live->get(), "marker");
  EXPECT_FALSE(NextMessage(in_inbox->get(), absl::Milliseconds(100)).ok());
}

// Attack (M2, no consumer): requests JetStream answers on the reply subject she names: a direct
// get of her room, a publish to her stored room subject (its acknowledgement), a flow-control
// reply. Targets: room L's live subject and room B's stored subject (where an acknowledgement
// would be stored in B's history). Before the fix bob received the direct get's answer and the
// acknowledgements, and B's history held them.
TEST_F(JetStreamAttacksTest, RepliesOfJetStreamNeverLeaveHerInbox) {
  auto mallory = Connect(*mallory_);
  auto bob = Connect(*bob_);
  auto olivia = Connect(*olivia_);
  ASSERT_TRUE(mallory && bob && olivia);
  std::string live = common::nats::FrameSubject(*room_l_, false);
  std::string stored_b = RoomSubject(*room_b_);
  auto in_live = bob->Subscribe(live);
  auto in_b = bob->Subscribe(stored_b);
  ASSERT_TRUE(in_live.ok() && in_b.ok());
  for (const std::string& target : {live, stored_b}) {
    PublishWithReply(*mallory, absl::StrCat("$JS.API.DIRECT.GET.UB_ROOMS.", RoomSubject(*room_a_)),
                     target, "");
    PublishWithReply(*mallory, RoomSubject(*room_a_), target, "a frame of A");
    PublishWithReply(*mallory, "$JS.FC.UB_ROOMS.x.y", target, "");
  }
  ASSERT_TRUE(olivia->Publish(live, "marker").ok());
  ASSERT_TRUE(olivia->Publish(stored_b, "marker").ok());
  ExpectOnlyMarker(in_live->get(), "marker");
  ExpectOnlyMarker(in_b->get(), "marker");
}

// Attack: the feed service itself as a reflector: a valid request whose reply subject is bob's
// inbox, a request in bob's name, a request for a room she is not in (on its subject, refused by
// nats-server; named in the body of a request on her own room's subject, refused by authd).
TEST_F(JetStreamAttacksTest, FeedServiceAnswersOnlyTheRequestersOwnInbox) {
  auto mallory = Connect(*mallory_);
  auto bob = Connect(*bob_);
  ASSERT_TRUE(mallory && bob);
  std::string bob_inbox = InboxPrefix(bob_->sign_pub_hex()) + ".y";
  auto in_inbox = bob->Subscribe(bob_inbox);
  ASSERT_TRUE(in_inbox.ok());
  std::string request = FeedBody(*room_a_, "00000000000000000000000a").dump();
  const std::string own_subject = FeedRequestSubject(mallory_->sign_pub_hex(), *room_a_);
  const std::string bobs_subject = FeedRequestSubject(bob_->sign_pub_hex(), *room_a_);
  const std::string other_room = FeedRequestSubject(mallory_->sign_pub_hex(), *room_b_);
  PublishWithReply(*mallory, own_subject, bob_inbox, request);
  PublishWithReply(*mallory, bobs_subject, InboxPrefix(mallory_->sign_pub_hex()) + ".r", request);
  PublishWithReply(*mallory, other_room, InboxPrefix(mallory_->sign_pub_hex()) + ".r",
                   FeedBody(*room_b_, "00000000000000000000000d").dump());
  EXPECT_TRUE(mallory->WaitForPublishDenied(bobs_subject));
  EXPECT_TRUE(mallory->WaitForPublishDenied(other_room));
  EXPECT_FALSE(NextMessage(in_inbox->get(), kQuiet).ok());

  absl::StatusOr<json> other = RequestFeed(*mallory, *mallory_,
                                           FeedBody(*room_b_, "00000000000000000000000b"), *room_a_);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ((*other)["error"]["code"], 400) << other->dump();
  absl::StatusOr<json> own = RequestFeed(*mallory, *mallory_, FeedBody(*room_a_, "00000000000000000000000c"));
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ((*own)["deliver_subject"],
            InboxPrefix(mallory_->sign_pub_hex()) + ".feed.00000000000000000000000c");
}

// Attack: a flood of feed requests. Each identity's are rate limited before they are queued
// (bad bodies too: they cost a worker all the same), so one member cannot starve the others.
TEST_F(JetStreamAttacksTest, FeedRequestsAreRateLimited) {
  auto mallory = Connect(*mallory_);
  ASSERT_TRUE(mallory);
  int limited = 0;
  for (int i = 0; i < 400 && limited == 0; ++i) {
    absl::StatusOr<json> r = RequestFeed(*mallory, *mallory_, json{{"room_id", "x"}}, *room_a_);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->contains("error")) << r->dump();
    if ((*r)["error"]["code"] == 429) ++limited;
  }
  EXPECT_EQ(limited, 1);
}

// Attack: many feeds at once, each kept alive by one wildcard subscription on her inbox, to use
// up the stream's consumers. Refused at creation beyond the per-identity cap.
TEST_F(JetStreamAttacksTest, FeedsPerIdentityAreCapped) {
  Identity greedy = Identity::Generate();
  ASSERT_TRUE(stack_->control().AddUser(greedy, v1::ROLE_MEMBER, "greedy").ok());
  std::string room = FreshHistoryRoom(greedy);
  auto peer = Connect(greedy);
  ASSERT_TRUE(peer);
  auto interest = peer->Subscribe(InboxPrefix(greedy.sign_pub_hex()) + ".feed.>");
  ASSERT_TRUE(interest.ok());
  for (int i = 0; i <= kFeedCap; ++i) {
    char nonce[25];
    snprintf(nonce, sizeof(nonce), "%024x", 0x2000 + i);
    absl::StatusOr<json> r = RequestFeed(*peer, greedy, FeedBody(room, nonce));
    ASSERT_TRUE(r.ok()) << r.status();
    if (i < kFeedCap) {
      EXPECT_TRUE(r->contains("consumer")) << i << ": " << r->dump();
    } else {
      EXPECT_EQ((*r)["error"]["code"], 429) << r->dump();
    }
  }
  EXPECT_EQ(ConsumersOf(greedy).value_or(-1), kFeedCap);
}

// Attack (H1 through the service): the feed she was given as a member, after RemoveMember and
// after RevokeUser. Its consumer is deleted within a second of the change being acknowledged.
TEST_F(JetStreamAttacksTest, FeedConsumersEndWithTheMembership) {
  Identity eve = Identity::Generate();
  ASSERT_TRUE(stack_->control().AddUser(eve, v1::ROLE_MEMBER, "eve").ok());
  std::string room = FreshHistoryRoom(eve);
  std::string other = FreshHistoryRoom(eve);
  {
    auto peer = Connect(eve);
    ASSERT_TRUE(peer);
    for (const char* nonce : {"0000000000000000000000e1", "0000000000000000000000e2"}) {
      absl::StatusOr<json> r = RequestFeed(*peer, eve, FeedBody(room, nonce));
      ASSERT_TRUE(r.ok() && r->contains("consumer")) << (r.ok() ? r->dump() : "no answer");
    }
    absl::StatusOr<json> r = RequestFeed(*peer, eve, FeedBody(other, "0000000000000000000000e3"));
    ASSERT_TRUE(r.ok() && r->contains("consumer"));
  }
  ASSERT_EQ(ConsumersOf(eve).value_or(-1), 3);
  auto gone_within = [&](int left) {
    absl::Time start = absl::Now();
    while (ConsumersOf(eve).value_or(-1) != left && absl::Now() - start < kEventDeadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    return absl::Now() - start;
  };
  ASSERT_TRUE(RemoveMember(stack_->control(), *olivia_, room, eve).ok());
  absl::Duration removal = gone_within(1);
  EXPECT_LE(removal, absl::Seconds(1));
  ASSERT_TRUE(RevokeUser(stack_->control(), eve).ok());
  absl::Duration revocation = gone_within(0);
  EXPECT_LE(revocation, absl::Seconds(1));
  std::cerr << "consumers gone after removal in " << removal << ", after revocation in "
            << revocation << "\n";
}

// Attack (least privilege, review L7): whoever holds the stream user's key (it may update the
// stream, to upgrade its limits) adds a republish of every room to a subject of its own. authd
// re-imposes the whole stream config when it starts. Failed before the fix: only the limits authd
// sets were compared, so the republish stayed.
TEST_F(JetStreamAttacksTest, TamperedStreamConfigIsRepairedWhenAuthdStarts) {
  absl::StatusOr<Identity> stream_user =
      Identity::Load(stack_->authd_state_dir() + "/stream.id");
  ASSERT_TRUE(stream_user.ok());
  common::nats::ServiceConnectionOptions options;
  options.urls = stack_->nats_url();
  options.inbox_prefix = std::string(common::nats::kStreamUserInbox);
  options.retry_on_failed_connect = false;
  auto nc = common::nats::ConnectService(options, *stream_user);
  ASSERT_TRUE(nc.ok()) << nc.status();
  common::nats::JetStreamApi api(nc->get(), absl::Seconds(2));
  auto config = [&]() -> json {
    absl::StatusOr<json> info = api.Call("$JS.API.STREAM.INFO.UB_ROOMS", "");
    return info.ok() && info->contains("config") ? (*info)["config"] : json();
  };
  json tampered = config();
  ASSERT_TRUE(tampered.is_object());
  tampered["republish"] = {{"src", ">"}, {"dest", "_UB_PROVISION.copy.>"}};
  absl::StatusOr<json> updated = api.Call("$JS.API.STREAM.UPDATE.UB_ROOMS", tampered.dump());
  ASSERT_TRUE(updated.ok() && !updated->contains("error")) << (updated.ok() ? updated->dump() : "");
  ASSERT_TRUE(config().contains("republish"));

  stack_->StopAuthd();
  ASSERT_TRUE(stack_->StartAuthd().ok());
  EXPECT_FALSE(config().contains("republish")) << config().dump();
}

}  // namespace
}  // namespace unibus::broker_auth::integration
