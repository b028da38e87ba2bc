// A three-node cluster (broker_auth/testing/cluster.h: three nats-servers with route mTLS and a
// route secret, JetStream R3, unibusd on KV per node, unibus-authd per node in one queue group):
// writes are seen on every node, one node down is tolerated, two down fail closed, a revocation
// on one node kicks a connection on another, and a node whose routes lack TLS refuses to start.
// Each test runs its own cluster: they kill nodes.
#include <iostream>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker_auth/integration/peer_helpers.h"
#include "broker_auth/testing/cluster.h"
#include "common/files/files.h"
#include "common/nats/subjects.h"
#include "common/testing/child_process.h"
#include "control/testing/rpc.h"
#include "control/testing/unibusd_process.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "unibus/v1/rooms.grpc.pb.h"
#include "unibus/v1/users.grpc.pb.h"

namespace unibus::broker_auth::integration {
namespace {

using common::Identity;
using control::testing::Call;
using control::testing::Runfile;
using common::testing::ReadFileOrEmpty;

constexpr absl::Duration kFailover = absl::Seconds(30);

grpc::Status WhoAmI(const testing::Cluster& cluster, const Identity& who, int node,
                    v1::WhoAmIResponse* response) {
  auto stub = v1::UserService::NewStub(cluster.ChannelFor(who, node));
  return Call(*stub, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest(), response);
}

grpc::Status Revoke(const testing::Cluster& cluster, const Identity& user, int node) {
  auto stub = v1::UserService::NewStub(cluster.ChannelFor(cluster.admin(), node));
  v1::RevokeUserRequest request;
  request.set_sign_pub(user.sign_pub_hex());
  v1::RevokeUserResponse response;
  return Call(*stub, &v1::UserService::Stub::RevokeUser, request, &response);
}

// The health service's answer for `service` on node `node` (any certificate may ask).
std::string Health(const testing::Cluster& cluster, int node, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(cluster.ChannelFor(Identity::Generate(), node));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status s = Call(*stub, &grpc::health::v1::Health::Stub::Check, request, &response);
  if (!s.ok()) return absl::StrCat("error ", s.error_code());
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
}

// Retries `fn` until it returns OK or `timeout` passes (leader elections take a moment).
template <typename Fn>
absl::Status Eventually(Fn fn, absl::Duration timeout = kFailover) {
  absl::Time deadline = absl::Now() + timeout;
  absl::Status last;
  while (true) {
    last = fn();
    if (last.ok() || absl::Now() > deadline) return last;
    absl::SleepFor(absl::Milliseconds(200));
  }
}

absl::Status FromGrpc(const grpc::Status& s) {
  return s.ok() ? absl::OkStatus()
                : absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    auto cluster = testing::Cluster::Start(control::testing::NewTempDir(info->name()));
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }

  void TearDown() override {
    if (HasFailure() && cluster_ != nullptr) {
      for (int i = 0; i < testing::Cluster::kNodes; ++i) {
        std::string node = absl::StrCat(cluster_->dir(), "/node", i + 1);
        for (const char* log : {"/unibusd.log", "/authd.log", "/nats.log"}) {
          std::string text = ReadFileOrEmpty(node + log);
          if (text.size() > 3000) text = text.substr(text.size() - 3000);
          std::cout << "---- node" << i + 1 << log << " ----\n" << text;
        }
      }
    }
  }

  // Adds `who` through node `node` (retrying while a JetStream leader is elected).
  void Add(const Identity& who, const std::string& handle, int node = 0) {
    ASSERT_TRUE(Eventually([&] { return cluster_->AddUser(who, v1::ROLE_MEMBER, handle, node)
                                            .status(); })
                    .ok());
  }

  // A raw NATS connection of `who` to node `node` only, retrying while authd learns of `who`.
  std::unique_ptr<Peer> ConnectTo(int node, const Identity& who, testing::PeerOptions options = {}) {
    std::unique_ptr<Peer> peer;
    absl::Status s = Eventually([&]() -> absl::Status {
      absl::StatusOr<std::unique_ptr<Peer>> p = Peer::Connect(cluster_->nats_url(node), who, options);
      if (!p.ok()) return p.status();
      peer = *std::move(p);
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return peer;
  }

  std::unique_ptr<testing::Cluster> cluster_;
};

TEST_F(ClusterTest, WriteOnOneNodeIsReadOnAnother) {
  Identity carol = Identity::Generate();
  Add(carol, "carol", /*node=*/0);
  v1::WhoAmIResponse me;
  ASSERT_TRUE(FromGrpc(WhoAmI(*cluster_, carol, /*node=*/2, &me)).ok());
  EXPECT_EQ(me.user().handle(), "carol");
  // A room made on node 2 is listed on node 1.
  auto rooms2 = v1::RoomService::NewStub(cluster_->ChannelFor(carol, 2));
  v1::CreateRoomRequest create;
  create.set_name("ops");
  create.set_encrypted(false);
  create.set_history(true);
  v1::CreateRoomResponse created;
  grpc::Status s = Call(*rooms2, &v1::RoomService::Stub::CreateRoom, create, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto rooms1 = v1::RoomService::NewStub(cluster_->ChannelFor(carol, 1));
  v1::GetRoomRequest get;
  get.set_room_id(created.room().room_id());
  v1::GetRoomResponse got;
  s = Call(*rooms1, &v1::RoomService::Stub::GetRoom, get, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.room().name(), "ops");
  // And a peer connecting to node 3 gets the grants for it (authd's feed followed the write).
  // Every node's authd kicks carol's older connections when it applies the change (one that is
  // behind may have authorized a connection from the old grants), so a connection made while
  // one of them is still catching up may be closed: a fresh one per attempt.
  std::string subject = common::nats::RoomSubject(created.room().room_id()) + ".probe";
  EXPECT_TRUE(Eventually([&]() -> absl::Status {
                absl::StatusOr<std::unique_ptr<Peer>> peer =
                    Peer::Connect(cluster_->nats_url(2), carol);
                if (!peer.ok()) return peer.status();
                auto sub = (*peer)->Subscribe(subject);
                if (!sub.ok()) return sub.status();
                if (absl::Status s = (*peer)->Publish(subject, "hi"); !s.ok()) return s;
                absl::StatusOr<std::string> got = NextMessage(sub->get(), absl::Seconds(2));
                if (!got.ok()) return got.status();
                return *got == "hi" ? absl::OkStatus() : absl::InternalError("wrong message");
              }).ok());
  // A node asking for more copies than an existing bucket has refuses to bind to it silently.
  const std::string unibusd = Runfile("control/unibusd");
  const std::string log = cluster_->dir() + "/replicas.log";
  std::vector<std::string> kv = {unibusd, "export", "--store=kv", "--nats=" + cluster_->nats_url(0),
                                 "--nats_identity=" + cluster_->dir() + "/authd/control.id",
                                 "--kv_bucket=thin", "--blob_bucket=thin_blobs",
                                 "--nats_wait_seconds=20"};
  std::vector<std::string> r1 = kv;
  r1.push_back("--replicas=1");
  ASSERT_EQ(common::testing::RunToCompletion(r1, log), 0) << ReadFileOrEmpty(log);
  std::vector<std::string> r3 = kv;
  r3.push_back("--replicas=3");
  EXPECT_EQ(common::testing::RunToCompletion(r3, log), 1);
  EXPECT_NE(ReadFileOrEmpty(log).find("fewer than the 3 asked for"), std::string::npos)
      << ReadFileOrEmpty(log);
  // Every node reports its posture: clustered with quorum, on KV and the object store.
  for (int node = 0; node < testing::Cluster::kNodes; ++node) {
    EXPECT_EQ(Health(*cluster_, node, "unibus.posture"), "SERVING") << node;
    EXPECT_EQ(Health(*cluster_, node, "unibus.posture.cluster"), "SERVING") << node;
    EXPECT_EQ(Health(*cluster_, node, "unibus.store.kv"), "SERVING") << node;
    EXPECT_EQ(Health(*cluster_, node, "unibus.blobs.object"), "SERVING") << node;
    EXPECT_EQ(Health(*cluster_, node, absl::StrCat("unibus.node.node", node + 1)), "SERVING");
  }
}

TEST_F(ClusterTest, OneNodeDownWritesAndConnectsContinue) {
  cluster_->KillNode(2);
  Identity dan = Identity::Generate();
  Add(dan, "dan", /*node=*/0);
  v1::WhoAmIResponse me;
  EXPECT_TRUE(
      Eventually([&] { return FromGrpc(WhoAmI(*cluster_, dan, /*node=*/1, &me)); }).ok());
  EXPECT_EQ(me.user().handle(), "dan");
  EXPECT_NE(ConnectTo(1, dan), nullptr);
  // The node comes back and catches up.
  ASSERT_TRUE(cluster_->StartNode(2).ok());
  EXPECT_TRUE(
      Eventually([&] { return FromGrpc(WhoAmI(*cluster_, dan, /*node=*/2, &me)); }).ok());
}

TEST_F(ClusterTest, TwoNodesDownAuthorizationFailsClosed) {
  Identity erin = Identity::Generate();
  Add(erin, "erin");
  std::unique_ptr<Peer> existing = ConnectTo(0, erin);
  ASSERT_NE(existing, nullptr);
  cluster_->KillNode(1);
  cluster_->KillNode(2);

  // The control plane: erin's calls end UNAVAILABLE, never with an answer from a stale or
  // missing record (OK after quorum loss, NOT_FOUND, UNAUTHENTICATED, PERMISSION_DENIED).
  grpc::StatusCode code = grpc::StatusCode::OK;
  absl::Time deadline = absl::Now() + kFailover;
  while (absl::Now() < deadline) {
    v1::WhoAmIResponse me;
    code = WhoAmI(*cluster_, erin, 0, &me).error_code();
    if (code != grpc::StatusCode::OK) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED)
      << "WhoAmI without quorum gave code " << code;
  Identity frank = Identity::Generate();
  EXPECT_FALSE(cluster_->AddUser(frank, v1::ROLE_MEMBER, "frank", 0).ok());

  // The data plane: new connections are refused once authd cannot follow the store.
  bool refused = false;
  deadline = absl::Now() + kFailover;
  while (!refused && absl::Now() < deadline) {
    refused = !Peer::Connect(cluster_->nats_url(0), erin).ok();
    if (!refused) absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_TRUE(refused) << "node 1 kept authorizing new connections without quorum";
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(Peer::Connect(cluster_->nats_url(0), erin).ok());
  }
  // Existing connections continue.
  EXPECT_FALSE(existing->events().closed());
  // The surviving node says so.
  EXPECT_EQ(Health(*cluster_, 0, "unibus.posture.cluster"), "NOT_SERVING");
  EXPECT_EQ(Health(*cluster_, 0, "unibus.posture"), "NOT_SERVING");
}

TEST_F(ClusterTest, RevocationOnOneNodeKicksAConnectionOnAnother) {
  Identity gina = Identity::Generate();
  Add(gina, "gina");
  testing::PeerOptions options;
  options.max_reconnect = 20;
  options.reconnect_wait_ms = 50;
  std::unique_ptr<Peer> peer = ConnectTo(1, gina, options);  // attached to node 2
  ASSERT_NE(peer, nullptr);
  absl::Time revoked = absl::Now();
  grpc::Status s = Revoke(*cluster_, gina, /*node=*/0);  // revoked through node 1
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(peer->events().WaitForDisconnects(1, kEventDeadline))
      << "the connection on node 2 was not kicked";
  ASSERT_TRUE(peer->events().WaitForClosed(kEventDeadline)) << "it reconnected after revocation";
  std::cout << "cross-node revocation -> closed: "
            << absl::FormatDuration(peer->events().closed_at() - revoked) << "\n";
  EXPECT_FALSE(Peer::Connect(cluster_->nats_url(2), gina).ok());
}

// The control plane's KV buckets and object store live in account CONTROL: a member's
// connection can neither read nor write them, by subject or through the JetStream API.
TEST_F(ClusterTest, PeersCannotReachTheControlPlaneBuckets) {
  Identity mallory = Identity::Generate();
  Add(mallory, "mallory");
  std::unique_ptr<Peer> peer = ConnectTo(0, mallory);
  ASSERT_NE(peer, nullptr);
  for (const char* subject : {"$KV.unibus_control.>", "$O.unibus_blobs.>",
                              "unibus_ctl.unibus_control.changes"}) {
    EXPECT_TRUE(peer->Subscribe(subject).ok());
    EXPECT_TRUE(peer->WaitForSubscribeDenied(subject)) << subject;
  }
  std::string user_key = "$KV.unibus_control.u." + mallory.sign_pub_hex();
  ASSERT_TRUE(peer->Publish(user_key, "forged").ok());
  EXPECT_TRUE(peer->WaitForPublishDenied(user_key));
  for (const char* api : {"$JS.API.STREAM.INFO.KV_unibus_control",
                          "$JS.API.DIRECT.GET.KV_unibus_control",
                          "$JS.API.STREAM.MSG.GET.KV_unibus_control",
                          "$JS.API.STREAM.PURGE.OBJ_unibus_blobs"}) {
    natsMsg* reply = nullptr;
    natsStatus s = natsConnection_RequestString(&reply, peer->nc(), api, "{}", 1000);
    common::nats::NatsMsgPtr owned(reply);
    EXPECT_NE(s, NATS_OK) << api << " answered";
  }
  // The forged write changed nothing.
  v1::WhoAmIResponse me;
  ASSERT_TRUE(FromGrpc(WhoAmI(*cluster_, mallory, 1, &me)).ok());
  EXPECT_EQ(me.user().handle(), "mallory");
  EXPECT_EQ(me.user().role(), v1::ROLE_MEMBER);
}

// The cluster block of node 1's config without its `tls { … }` (or without its authorization):
// unibus-authd refuses to serve next to it, and nats-config refuses to write one.
TEST_F(ClusterTest, NodeWithoutRouteTlsOrSecretRefusesToStart) {
  std::string config = ReadFileOrEmpty(cluster_->nats_config(0));
  ASSERT_NE(config.find("cluster"), std::string::npos);
  const std::string authd = Runfile("broker_auth/unibus-authd");
  const std::string log = cluster_->dir() + "/refuse.log";
  for (const char* block : {"tls", "authorization"}) {
    // Remove `block { … }` that sits inside the cluster block (one level of nested braces).
    size_t cluster_at = config.find("cluster {");
    ASSERT_NE(cluster_at, std::string::npos) << config;
    size_t at = config.find(std::string(block) + " {", cluster_at);
    ASSERT_NE(at, std::string::npos) << config;
    size_t end = at;
    int depth = 0;
    do {
      if (config[end] == '{') ++depth;
      if (config[end] == '}') --depth;
      ++end;
    } while (depth > 0 || config[end - 1] != '}');
    std::string weakened = config.substr(0, at) + config.substr(end);
    std::string path = cluster_->dir() + "/weak-" + block + ".conf";
    ASSERT_TRUE(common::WriteFile(path, weakened, 0600).ok());
    std::string ready = cluster_->dir() + "/weak.ready";
    int code = common::testing::RunToCompletion(
        {authd, "serve", "--state_dir=" + cluster_->dir() + "/authd",
         "--nats=" + cluster_->nats_url(0), "--control=" + cluster_->control_targets(0),
         "--ca=" + cluster_->dir() + "/tls/ca.pem", "--nats_config=" + path,
         "--ready_file=" + ready},
        log);
    EXPECT_NE(code, 0) << block;
    EXPECT_TRUE(ReadFileOrEmpty(ready).empty());
  }
  EXPECT_NE(ReadFileOrEmpty(log).find("mutual TLS and a route secret"), std::string::npos)
      << ReadFileOrEmpty(log);
  // Partial cluster flags: no route certificate.
  int code = common::testing::RunToCompletion(
      {authd, "nats-config", "--state_dir=" + cluster_->dir() + "/authd",
       "--jetstream_dir=" + cluster_->dir() + "/x", "--cluster_port=7999",
       "--routes=127.0.0.1:7998", "--route_secret_file=" + cluster_->dir() + "/route.secret",
       "--out=" + cluster_->dir() + "/partial.conf"},
      log);
  EXPECT_EQ(code, 2);
  EXPECT_TRUE(ReadFileOrEmpty(cluster_->dir() + "/partial.conf").empty());
}

}  // namespace
}  // namespace unibus::broker_auth::integration
