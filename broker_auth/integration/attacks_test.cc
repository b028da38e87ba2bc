// Attacks by a raw NATS client that holds a VALID allowlisted nkey (mallory: member of room A,
// not of room B) against the real nats-server + unibus-authd + unibusd, and connects by keys that
// must not get in at all.
//
// How denial is asserted: the server's own "Permissions Violation for <Publish|Subscription> to
// "<subject>"" error naming the exact subject, and, where a message could leak, a marker sent
// after the secret by the same publisher: NATS keeps one publisher's order per subscriber, so
// once the marker arrived a leaked secret would already be queued (Pending() would count it).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker_auth/integration/peer_helpers.h"
#include "broker_auth/testing/stack.h"
#include "common/nats/subjects.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::integration {
namespace {

using common::Identity;
using common::nats::InboxPrefix;
using common::nats::RoomSubject;

class AttacksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = testing::Stack::Start(control::testing::NewTempDir("attacks")).value().release();
    auto& control = stack_->control();
    olivia_ = new Identity(Identity::Generate());
    mallory_ = new Identity(Identity::Generate());
    bob_ = new Identity(Identity::Generate());
    nora_ = new Identity(Identity::Generate());
    ASSERT_TRUE(control.AddUser(*olivia_, v1::ROLE_MEMBER, "olivia").ok());
    ASSERT_TRUE(control.AddUser(*mallory_, v1::ROLE_MEMBER, "mallory").ok());
    ASSERT_TRUE(control.AddUser(*bob_, v1::ROLE_MEMBER, "bob").ok());
    ASSERT_TRUE(control.AddUser(*nora_, v1::ROLE_MEMBER, "nora").ok());
    room_a_ = new std::string(CreateCleartextRoom(control, *olivia_));
    room_b_ = new std::string(CreateCleartextRoom(control, *olivia_));
    room_live_ = new std::string(CreateCleartextRoom(control, *olivia_, /*history=*/false));
    ASSERT_TRUE(AddMember(control, *olivia_, *room_live_, *mallory_).ok());
    ASSERT_TRUE(AddMember(control, *olivia_, *room_a_, *mallory_).ok());
    ASSERT_TRUE(AddMember(control, *olivia_, *room_b_, *bob_).ok());
    // unibus-authd has applied every change (they arrive in order; bob's is the last).
    ASSERT_TRUE(WaitForRoomAccess(*stack_, *bob_, {*room_b_}).ok());
    ASSERT_TRUE(WaitForRoomAccess(*stack_, *olivia_, {*room_a_, *room_b_}).ok());
    ASSERT_TRUE(WaitForRoomAccess(*stack_, *mallory_, {*room_a_, *room_live_}).ok());
    ASSERT_TRUE(WaitUntilConnectAccepted(*stack_, *nora_).ok());
  }
  static void TearDownTestSuite() {
    delete stack_;
    for (Identity* id : {olivia_, mallory_, bob_, nora_}) delete id;
    delete room_a_;
    delete room_b_;
    delete room_live_;
  }

  static std::unique_ptr<Peer> Connect(const Identity& who) {
    absl::StatusOr<std::unique_ptr<Peer>> peer = Peer::Connect(*stack_, who);
    EXPECT_TRUE(peer.ok()) << peer.status();
    return peer.ok() ? *std::move(peer) : nullptr;
  }

  // A fresh connection's refusal, and the reason unibus-authd logged for it.
  static void ExpectRefused(const Identity& who, testing::PeerOptions options,
                            const std::string& authd_reason) {
    size_t log_offset = FileSize(AuthdLog());
    absl::StatusOr<std::unique_ptr<Peer>> peer = Peer::Connect(*stack_, who, options);
    ASSERT_FALSE(peer.ok());
    EXPECT_TRUE(absl::IsPermissionDenied(peer.status())) << peer.status();
    EXPECT_TRUE(WaitForFileContains(AuthdLog(), log_offset, authd_reason))
        << "unibus-authd did not log: " << authd_reason;
  }

  static std::string AuthdLog() { return stack_->dir() + "/authd.log"; }
  static std::string A() { return RoomSubject(*room_a_); }
  static std::string B() { return RoomSubject(*room_b_); }

  static testing::Stack* stack_;
  static Identity* olivia_;   // owns rooms A and B
  static Identity* mallory_;  // the attacker: member of A only
  static Identity* bob_;      // member of B only
  static Identity* nora_;     // member of no room
  static std::string* room_a_;
  static std::string* room_b_;
  static std::string* room_live_;  // no history; mallory is a member
};

testing::Stack* AttacksTest::stack_ = nullptr;
Identity* AttacksTest::olivia_ = nullptr;
Identity* AttacksTest::mallory_ = nullptr;
Identity* AttacksTest::bob_ = nullptr;
Identity* AttacksTest::nora_ = nullptr;
std::string* AttacksTest::room_a_ = nullptr;
std::string* AttacksTest::room_b_ = nullptr;
std::string* AttacksTest::room_live_ = nullptr;

// Attack: a wildcard subscription to snoop on every subject of the account. Without the
// "never >" rule (sub allow lists only the member's rooms and inbox) it would receive room B.
TEST_F(AttacksTest, SubscribingToEverythingIsDenied) {
  auto mallory = Connect(*mallory_);
  auto olivia = Connect(*olivia_);
  ASSERT_TRUE(mallory && olivia);
  auto everything = mallory->Subscribe(">");
  auto own_room = mallory->Subscribe(A());
  ASSERT_TRUE(everything.ok() && own_room.ok());
  EXPECT_TRUE(mallory->WaitForSubscribeDenied(">"));

  ASSERT_TRUE(olivia->Publish(B(), "secret of B").ok());
  ASSERT_TRUE(olivia->Publish(A(), "marker").ok());
  EXPECT_EQ(NextMessage(own_room->get()).value_or("<none>"), "marker");
  EXPECT_EQ(Pending(everything->get()), 0);
}

// Attack: subscribing to another room's subject (and everything below it). Without per-room
// sub grants, mallory would read room B.
TEST_F(AttacksTest, OtherRoomSubscribeIsDenied) {
  auto mallory = Connect(*mallory_);
  auto olivia = Connect(*olivia_);
  ASSERT_TRUE(mallory && olivia);
  auto b = mallory->Subscribe(B());
  auto b_below = mallory->Subscribe(B() + ".>");
  auto own_room = mallory->Subscribe(A());
  ASSERT_TRUE(b.ok() && b_below.ok() && own_room.ok());
  EXPECT_TRUE(mallory->WaitForSubscribeDenied(B()));
  EXPECT_TRUE(mallory->WaitForSubscribeDenied(B() + ".>"));

  ASSERT_TRUE(olivia->Publish(B(), "secret of B").ok());
  ASSERT_TRUE(olivia->Publish(B() + ".typing", "secret below B").ok());
  ASSERT_TRUE(olivia->Publish(A(), "marker").ok());
  EXPECT_EQ(NextMessage(own_room->get()).value_or("<none>"), "marker");
  EXPECT_EQ(Pending(b->get()), 0);
  EXPECT_EQ(Pending(b_below->get()), 0);
}

// Attack: injecting messages into a room mallory is not in. Without per-room pub grants, bob (a
// member of B) would receive the forgery.
TEST_F(AttacksTest, OtherRoomPublishIsDeniedAndNeverReachesItsMembers) {
  auto mallory = Connect(*mallory_);
  auto bob = Connect(*bob_);
  auto olivia = Connect(*olivia_);
  ASSERT_TRUE(mallory && bob && olivia);
  auto bob_room = bob->Subscribe(B());
  ASSERT_TRUE(bob_room.ok());

  ASSERT_TRUE(mallory->Publish(B(), "forged").ok());
  ASSERT_TRUE(mallory->Publish(B() + ".x", "forged below").ok());
  EXPECT_TRUE(mallory->WaitForPublishDenied(B()));
  EXPECT_TRUE(mallory->WaitForPublishDenied(B() + ".x"));
  // The server refused mallory's publish before saying so; anything it had delivered to bob
  // would precede this marker.
  ASSERT_TRUE(olivia->Publish(B(), "marker").ok());
  EXPECT_EQ(NextMessage(bob_room->get()).value_or("<none>"), "marker");
}

// Attack: the JetStream API. Stream listing/info reveal every room; an unfiltered (or other-room)
// consumer create, a direct/msg get by sequence or by another room's subject all read other
// rooms' history out of the shared UB_ROOMS stream; and even the filtered forms for her own room
// let JetStream deliver or answer where she names (jetstream_attacks_test). Without the "no
// JetStream API for members" rule each of these requests would get a JetStream reply.
TEST_F(AttacksTest, JetStreamApiIsDenied) {
  auto mallory = Connect(*mallory_);
  ASSERT_TRUE(mallory);
  const std::vector<std::string> denied = {
      "$JS.API.INFO",
      "$JS.API.STREAM.NAMES",
      "$JS.API.STREAM.LIST",
      "$JS.API.STREAM.INFO.UB_ROOMS",
      "$JS.API.STREAM.MSG.GET.UB_ROOMS",
      "$JS.API.STREAM.PURGE.UB_ROOMS",
      "$JS.API.STREAM.DELETE.UB_ROOMS",
      "$JS.API.STREAM.CREATE.MINE",
      "$JS.API.CONSUMER.CREATE.UB_ROOMS",
      "$JS.API.CONSUMER.CREATE.UB_ROOMS.x",
      "$JS.API.CONSUMER.DURABLE.CREATE.UB_ROOMS.x",
      "$JS.API.CONSUMER.CREATE.UB_ROOMS.x." + B(),
      "$JS.API.CONSUMER.CREATE.UB_ROOMS.x." + A(),
      "$JS.API.CONSUMER.LIST.UB_ROOMS",
      "$JS.API.DIRECT.GET.UB_ROOMS",
      "$JS.API.DIRECT.GET.UB_ROOMS." + B(),
      "$JS.API.DIRECT.GET.UB_ROOMS." + A(),
  };
  std::string inbox = InboxPrefix(mallory_->sign_pub_hex());
  auto replies = mallory->Subscribe(inbox + ".>");
  ASSERT_TRUE(replies.ok());
  for (size_t i = 0; i < denied.size(); ++i) {
    std::string reply = absl::StrCat(inbox, ".attack.", i);
    ASSERT_EQ(natsConnection_PublishRequestString(mallory->nc(), denied[i].c_str(),
                                                  reply.c_str(), "{}"),
              NATS_OK);
  }
  ASSERT_EQ(natsConnection_FlushTimeout(mallory->nc(), 5000), NATS_OK);
  for (const std::string& subject : denied) {
    EXPECT_TRUE(mallory->WaitForPublishDenied(subject)) << subject;
  }
  // Control: her history-feed request for her own room is answered (by unibus-authd).
  std::string own = common::nats::FeedRequestSubject(mallory_->sign_pub_hex(), *room_a_);
  std::string body = absl::StrCat(R"({"room_id":")", *room_a_,
                                  R"(","nonce":"0123456789abcdef01234567","all":true})");
  std::string control_reply = inbox + ".control";
  ASSERT_EQ(natsConnection_PublishRequest(mallory->nc(), own.c_str(), control_reply.c_str(),
                                          body.data(), static_cast<int>(body.size())),
            NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, replies->get(), 10000), NATS_OK);
  common::nats::NatsMsgPtr owned(msg);
  EXPECT_EQ(std::string(natsMsg_GetSubject(msg)), control_reply)
      << "a denied request got a reply: " << std::string(natsMsg_GetData(msg));
  for (const std::string& e : mallory->events().errors()) {
    EXPECT_EQ(e.find(own), std::string::npos) << e;
  }
}

// Attack: filling the history stream from a room that keeps none. The stream stores every
// "ub.room.<id>" subject, so only members of history rooms may publish there; without that rule
// (pub allowed on the room subject for every room) mallory's frame would be stored. The live
// subject below the room stays open to her (control).
TEST_F(AttacksTest, RoomWithoutHistoryCannotPublishOnTheStoredSubject) {
  auto mallory = Connect(*mallory_);
  ASSERT_TRUE(mallory);
  std::string stored = RoomSubject(*room_live_);
  ASSERT_TRUE(mallory->Publish(stored, "fill the stream").ok());
  EXPECT_TRUE(mallory->WaitForPublishDenied(stored));
  std::string live = common::nats::FrameSubject(*room_live_, false);
  auto sub = mallory->Subscribe(live);
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(mallory->Publish(live, "hello").ok());
  EXPECT_TRUE(NextMessage(sub->get()).ok());
  // Nor may she read it through JetStream.
  std::string consumer =
      absl::StrCat("$JS.API.CONSUMER.CREATE.UB_ROOMS.c2.", stored);
  ASSERT_TRUE(mallory->Publish(consumer, "{}").ok());
  EXPECT_TRUE(mallory->WaitForPublishDenied(consumer));
}

// Attack: stealing unibus-authd's stream-provisioning user. Its static permissions reach only
// the room stream's info/create/update API and its own inbox: no deletes, no purges, no room
// traffic. (Without the permissions block in the generated config it could do anything in the
// peer account.)
TEST_F(AttacksTest, StreamProvisioningUserIsConfinedToTheStreamApi) {
  absl::StatusOr<Identity> stream_user =
      Identity::Load(stack_->authd_state_dir() + "/stream.id");
  ASSERT_TRUE(stream_user.ok()) << stream_user.status();
  testing::PeerOptions options;
  options.private_inbox = false;
  auto peer = Peer::Connect(*stack_, *stream_user, options);
  ASSERT_TRUE(peer.ok()) << peer.status();
  for (const std::string& subject :
       {std::string("$JS.API.STREAM.DELETE.UB_ROOMS"), std::string("$JS.API.STREAM.PURGE.UB_ROOMS"),
        std::string("$JS.API.STREAM.CREATE.OTHER"), A()}) {
    ASSERT_TRUE((*peer)->Publish(subject, "{}").ok());
    EXPECT_TRUE((*peer)->WaitForPublishDenied(subject)) << subject;
  }
  auto snoop = (*peer)->Subscribe("ub.room.>");
  ASSERT_TRUE(snoop.ok());
  EXPECT_TRUE((*peer)->WaitForSubscribeDenied("ub.room.>"));
}

// Attack: reading other peers' request replies. The shared "_INBOX.>" and another identity's
// private inbox are both snooping points; without the per-identity inbox rule they would be
// granted. Mallory's own private inbox works (control).
TEST_F(AttacksTest, SharedAndOtherIdentitysInboxesAreDenied) {
  auto mallory = Connect(*mallory_);
  ASSERT_TRUE(mallory);
  std::string bobs = InboxPrefix(bob_->sign_pub_hex());
  auto shared = mallory->Subscribe("_INBOX.>");
  auto other = mallory->Subscribe(bobs + ".>");
  ASSERT_TRUE(shared.ok() && other.ok());
  ASSERT_TRUE(mallory->Publish(bobs + ".reply", "spoofed reply").ok());
  EXPECT_TRUE(mallory->WaitForSubscribeDenied("_INBOX.>"));
  EXPECT_TRUE(mallory->WaitForSubscribeDenied(bobs + ".>"));
  EXPECT_TRUE(mallory->WaitForPublishDenied(bobs + ".reply"));

  std::string own = InboxPrefix(mallory_->sign_pub_hex()) + ".mine";
  auto mine = mallory->Subscribe(own);
  ASSERT_TRUE(mine.ok());
  ASSERT_TRUE(mallory->Publish(own, "hello me").ok());
  EXPECT_EQ(NextMessage(mine->get()).value_or("<none>"), "hello me");
}

// Attack: the control plane's KV/object buckets in the same NATS deployment (user lists, keys).
// Without "nothing of the control plane" in the grants, a peer could read or overwrite them.
TEST_F(AttacksTest, ControlPlaneBucketsAreDenied) {
  auto mallory = Connect(*mallory_);
  ASSERT_TRUE(mallory);
  auto kv = mallory->Subscribe("$KV.>");
  auto objects = mallory->Subscribe("$O.>");
  ASSERT_TRUE(kv.ok() && objects.ok());
  ASSERT_TRUE(mallory->Publish("$KV.unibus_users.x", "overwrite").ok());
  std::string reply = InboxPrefix(mallory_->sign_pub_hex()) + ".kv";
  for (const char* subject : {"$JS.API.STREAM.INFO.KV_unibus_users",
                              "$JS.API.DIRECT.GET.KV_unibus_users.$KV.unibus_users.x"}) {
    ASSERT_EQ(natsConnection_PublishRequestString(mallory->nc(), subject, reply.c_str(), ""),
              NATS_OK);
  }
  ASSERT_EQ(natsConnection_FlushTimeout(mallory->nc(), 5000), NATS_OK);
  EXPECT_TRUE(mallory->WaitForSubscribeDenied("$KV.>"));
  EXPECT_TRUE(mallory->WaitForSubscribeDenied("$O.>"));
  EXPECT_TRUE(mallory->WaitForPublishDenied("$KV.unibus_users.x"));
  EXPECT_TRUE(mallory->WaitForPublishDenied("$JS.API.STREAM.INFO.KV_unibus_users"));
  EXPECT_TRUE(
      mallory->WaitForPublishDenied("$JS.API.DIRECT.GET.KV_unibus_users.$KV.unibus_users.x"));
}

// Regression for the empty-allow-list rule: nats-server reads an EMPTY allow list as "no
// restriction", so a member with no rooms must still get a non-empty list (its inbox). Without
// the rule nora could publish and subscribe anywhere.
TEST_F(AttacksTest, MemberWithNoRoomsCannotPublishOrSubscribeArbitrarySubjects) {
  auto nora = Connect(*nora_);
  ASSERT_TRUE(nora);
  auto foo = nora->Subscribe("foo");
  ASSERT_TRUE(foo.ok());
  ASSERT_TRUE(nora->Publish("foo", "anything").ok());
  ASSERT_TRUE(nora->Publish(A(), "into a room").ok());
  EXPECT_TRUE(nora->WaitForSubscribeDenied("foo"));
  EXPECT_TRUE(nora->WaitForPublishDenied("foo"));
  EXPECT_TRUE(nora->WaitForPublishDenied(A()));
  EXPECT_EQ(Pending(foo->get()), 0);
}

// Attack: impersonation with a stolen public key. mallory presents bob's nkey but can only sign
// the nonce with her own key; nats-server does not check signatures of nkeys it does not know,
// so without unibus-authd's proof check she would be admitted as bob.
TEST_F(AttacksTest, ForgedNonceSignatureIsRefused) {
  testing::PeerOptions forged;
  forged.sign_with = mallory_;
  ExpectRefused(*bob_, forged, "client nonce signature does not verify");
}

// Attack: a replayable proof. A CONNECT whose sig is empty gets no nonce in the request; one
// whose sig is a real signature over the EMPTY string (what nats.c sends when INFO has no nonce)
// could be replayed forever. Without the non-empty-nonce rule and the verification over the
// nonce as sent, both would be admitted. The control CONNECT (signature over the server's nonce,
// by hand) gets PONG, so the refusals are about the signature alone.
TEST_F(AttacksTest, EmptyNonceSignatureAndSignatureOverEmptyStringAreRefused) {
  auto connect_with = [&](const std::string& sig) {
    nlohmann::json connect = {{"verbose", false}, {"pedantic", false},
                              {"nkey", mallory_->nkey_public()}, {"sig", sig},
                              {"protocol", 1}};
    return connect;
  };
  {
    auto raw = RawNatsSocket::Open(stack_->nats_port());
    ASSERT_TRUE(raw.ok()) << raw.status();
    std::string nonce = (*raw)->info().value("nonce", "");
    ASSERT_FALSE(nonce.empty()) << "the server must send a nonce: " << (*raw)->info().dump();
    EXPECT_EQ((*raw)->ConnectAndPing(connect_with(SignatureText(*mallory_, nonce)))
                  .value_or("<error>"),
              "PONG");
  }
  {
    size_t log_offset = FileSize(AuthdLog());
    auto raw = RawNatsSocket::Open(stack_->nats_port());
    ASSERT_TRUE(raw.ok()) << raw.status();
    EXPECT_EQ((*raw)->ConnectAndPing(connect_with("")).value_or("<error>"),
              "-ERR 'Authorization Violation'");
    EXPECT_TRUE(WaitForFileContains(AuthdLog(), log_offset, "no nonce"));
  }
  {
    size_t log_offset = FileSize(AuthdLog());
    auto raw = RawNatsSocket::Open(stack_->nats_port());
    ASSERT_TRUE(raw.ok()) << raw.status();
    EXPECT_EQ((*raw)->ConnectAndPing(connect_with(SignatureText(*mallory_, ""))).value_or("<error>"),
              "-ERR 'Authorization Violation'");
    EXPECT_TRUE(WaitForFileContains(AuthdLog(), log_offset, "signature does not verify"));
  }
}

// Attack: a key that was never put on the allowlist. Without the allowlist lookup any valid
// self-made nkey would get in.
TEST_F(AttacksTest, UnknownKeyIsRefused) {
  Identity stranger = Identity::Generate();
  ExpectRefused(stranger, {}, "not on the allowlist");
}

// Attack: a revoked key keeps connecting. Without the "revoked → refused" rule (grants with
// active=false) it would be admitted with an empty (= unrestricted) allow list.
TEST_F(AttacksTest, RevokedKeyIsRefused) {
  Identity zed = Identity::Generate();
  ASSERT_TRUE(stack_->control().AddUser(zed, v1::ROLE_MEMBER, "zed").ok());
  ASSERT_TRUE(WaitUntilConnectAccepted(*stack_, zed).ok());
  ASSERT_TRUE(RevokeUser(stack_->control(), zed).ok());
  ASSERT_TRUE(WaitUntilConnectRefused(*stack_, zed).ok());
  ExpectRefused(zed, {}, "has been revoked");
}

}  // namespace
}  // namespace unibus::broker_auth::integration
