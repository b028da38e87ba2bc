// KvStore runs the Store conformance suite on a real nats-server, plus the properties that only a
// shared, replicated backend has: fail-closed reads, several nodes on one bucket, outbox recovery
// and idempotent Import.
#include "control/store/kv/kv_store.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/nats/nats_ptr.h"
#include "common/testing/nats_server.h"
#include "control/store/store_conformance.h"

namespace unibus::control::store {
namespace {

using common::nats::NatsConnectionPtr;
using common::nats::NatsOptionsPtr;
using common::testing::JetStreamServer;

std::string TempDir(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
}

NatsConnectionPtr Connect(const std::string& url) {
  natsOptions* raw = nullptr;
  EXPECT_EQ(natsOptions_Create(&raw), NATS_OK);
  NatsOptionsPtr opts(raw);
  natsOptions_SetURL(opts.get(), url.c_str());
  natsOptions_SetMaxReconnect(opts.get(), -1);
  natsOptions_SetReconnectWait(opts.get(), 50);
  natsOptions_SetTimeout(opts.get(), 2000);
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, opts.get());
  EXPECT_EQ(s, NATS_OK) << natsStatus_GetText(s);
  return NatsConnectionPtr(nc);
}

// One nats-server (and connection) for the whole binary; stopped at exit.
struct SharedServer {
  std::unique_ptr<JetStreamServer> server;
  NatsConnectionPtr connection;
};

SharedServer& Shared() {
  static SharedServer* shared = [] {
    auto* s = new SharedServer;
    absl::StatusOr<std::unique_ptr<JetStreamServer>> server =
        JetStreamServer::Start(TempDir("shared-nats"));
    if (!server.ok()) {
      ADD_FAILURE() << server.status();
      return s;
    }
    s->server = *std::move(server);
    s->connection = Connect(s->server->url());
    return s;
  }();
  return *shared;
}

std::string FreshBucket(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "_", counter++);
}

std::unique_ptr<KvStore> OpenKv(natsConnection* nc, const std::string& bucket,
                                const common::Clock& clock,
                                int max_room_members = kMaxRoomMembers,
                                bool crash_after_commit = false,
                                absl::Duration timeout = absl::Seconds(5)) {
  KvStoreOptions options;
  options.connection = nc;
  options.bucket = bucket;
  options.timeout = timeout;
  options.crash_after_commit_for_testing = crash_after_commit;
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(options, clock, max_room_members);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

StorePtr OpenForConformance(const common::Clock& clock, int max_room_members) {
  if (Shared().connection == nullptr) return nullptr;
  return OpenKv(Shared().connection.get(), FreshBucket("conf"), clock, max_room_members);
}

INSTANTIATE_TEST_SUITE_P(Kv, StoreConformanceTest,
                         ::testing::Values(StoreFactory{"Kv", OpenForConformance}),
                         StoreFactoryName);

// Reuses the conformance fixture's test data.
class KvStoreTest : public StoreConformanceTest {
 protected:
  void SetUp() override { ASSERT_NE(Shared().connection, nullptr); }
  natsConnection* nc() { return Shared().connection.get(); }
};

TEST_F(KvStoreTest, OpenRejectsBadOptions) {
  KvStoreOptions options;
  options.connection = nc();
  options.replicas = 0;
  EXPECT_EQ(KvStore::Open(options, clock_).status().code(), absl::StatusCode::kInvalidArgument);
  options.replicas = 6;
  EXPECT_EQ(KvStore::Open(options, clock_).status().code(), absl::StatusCode::kInvalidArgument);
  options.replicas = 1;
  options.bucket = "a.b";
  EXPECT_EQ(KvStore::Open(options, clock_).status().code(), absl::StatusCode::kInvalidArgument);
}

// A bucket someone made with direct get on would let followers without quorum answer reads:
// Open refuses to bind to it rather than give up failing closed.
TEST_F(KvStoreTest, OpenRefusesABucketWithDirectGet) {
  const std::string bucket = FreshBucket("direct");
  const std::string name = "KV_" + bucket;
  const std::string subject = "$KV." + bucket + ".>";
  const char* subjects[] = {subject.c_str()};
  jsCtx* raw = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&raw, Shared().connection.get(), nullptr), NATS_OK);
  common::nats::JsCtxPtr js(raw);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.AllowDirect = true;
  jsStreamInfo* info = nullptr;
  ASSERT_EQ(js_AddStream(&info, js.get(), &cfg, nullptr, nullptr), NATS_OK);
  jsStreamInfo_Destroy(info);
  KvStoreOptions options;
  options.connection = Shared().connection.get();
  options.bucket = bucket;
  absl::StatusOr<std::unique_ptr<KvStore>> store = KvStore::Open(options, clock_);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
}

TEST_F(KvStoreTest, HandlesOutsideTheKeyAlphabetWork) {
  store_ = OpenKv(nc(), FreshBucket("handles"), clock_);
  ASSERT_NE(store_, nullptr);
  v1::User user = MakeUser(1);
  user.set_handle("a.b~c d");
  UNIBUS_ASSERT_OK(store_->AddUser(user));
  absl::StatusOr<v1::User> found = store_->GetUserByHandle("a.b~c d");
  UNIBUS_ASSERT_OK(found);
  EXPECT_EQ(found->sign_pub(), UserKey(1));
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetUserByHandle("a.b"));
}

// Security property: a read never mistakes "backend down" for "not found" (a revoked user must not
// look unknown, an unreachable membership must not look absent). Fails if reads map nats errors
// to NOT_FOUND or answer from a stale replica.
TEST_F(KvStoreTest, ReadsFailClosedWhileServerIsDownAndRecoverAfterRestart) {
  absl::StatusOr<std::unique_ptr<JetStreamServer>> server =
      JetStreamServer::Start(TempDir("failclosed-nats"));
  ASSERT_TRUE(server.ok()) << server.status();
  NatsConnectionPtr connection = Connect((*server)->url());
  ASSERT_NE(connection, nullptr);
  store_ = OpenKv(connection.get(), "failclosed", clock_, kMaxRoomMembers, false,
                  absl::Milliseconds(500));
  ASSERT_NE(store_, nullptr);
  UNIBUS_ASSERT_OK(AddUsers(1, 2));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));

  (*server)->process().Stop();
  UNIBUS_EXPECT_CODE(kUnavailable, store_->GetUser(UserKey(1)));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->GetUser(UserKey(9)));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->GetUserByHandle("user-1"));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->ListUsers("", 10));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->GetRoom(RoomId(1)));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->GetMember(RoomId(1), UserKey(1)));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->ListMembers(RoomId(1), "", 10));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->ListRoomsOf(UserKey(1), "", 10));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->GetSealedKey(RoomId(1), 0, UserKey(1)));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->ListChanges(0, 10));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->LatestPosition());
  UNIBUS_EXPECT_CODE(kUnavailable, store_->Dump());
  UNIBUS_EXPECT_CODE(kUnavailable, store_->AddUser(MakeUser(3)));
  UNIBUS_EXPECT_CODE(kUnavailable, store_->RevokeUser(UserKey(2), 100));
  UNIBUS_EXPECT_CODE(kUnavailable, Join(1, 2));

  UNIBUS_ASSERT_OK((*server)->Restart());
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  absl::StatusOr<v1::User> user = store_->GetUser(UserKey(1));
  while (!user.ok() && absl::Now() < deadline) user = store_->GetUser(UserKey(1));
  UNIBUS_ASSERT_OK(user);
  UNIBUS_ASSERT_OK(store_->GetSealedKey(RoomId(1), 0, UserKey(1)));
  UNIBUS_ASSERT_OK(Join(1, 2));
  EXPECT_EQ(Latest(), 4u);
}

TEST_F(KvStoreTest, TwoNodesOnOneBucketSeeEachOthersWritesAndOneRekeyWins) {
  const std::string bucket = FreshBucket("nodes");
  NatsConnectionPtr other_connection = Connect(Shared().server->url());
  std::unique_ptr<KvStore> a = OpenKv(nc(), bucket, clock_);
  std::unique_ptr<KvStore> b = OpenKv(other_connection.get(), bucket, clock_);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  // Shared with the nats.c thread, which may still hold the listener after it is replaced.
  auto woken = std::make_shared<absl::Notification>();
  b->SetChangeListener([woken] {
    if (!woken->HasBeenNotified()) woken->Notify();
  });
  UNIBUS_ASSERT_OK(a->AddUser(MakeUser(1)));
  EXPECT_TRUE(woken->WaitForNotificationWithTimeout(absl::Seconds(10)));
  b->SetChangeListener(nullptr);
  UNIBUS_ASSERT_OK(b->GetUser(UserKey(1)));
  UNIBUS_ASSERT_OK(b->AddUser(MakeUser(2)));
  const v1::SealedKey owner_key = MakeKey(1, 1, 1);
  UNIBUS_ASSERT_OK(a->CreateRoom(MakeRoom(1, 1, true), &owner_key));
  v1::Member member;
  member.set_sign_pub(UserKey(2));
  member.set_role(v1::ROOM_ROLE_MEMBER);
  UNIBUS_ASSERT_OK(b->AddMember(RoomId(1), member, 1, {MakeKey(1, 1, 2)}));
  absl::StatusOr<v1::Room> seen = a->GetRoom(RoomId(1));
  UNIBUS_ASSERT_OK(seen);
  EXPECT_EQ(seen->member_count(), 2u);

  std::vector<v1::SealedKey> keys_a = MakeKeys(1, 2, {1, 2});
  std::vector<v1::SealedKey> keys_b = MakeKeys(1, 2, {1, 2});
  for (v1::SealedKey& key : keys_b) key.set_sealed(std::string(80, 'b'));
  absl::Status result_a, result_b;
  std::thread ta([&] { result_a = a->Rekey(RoomId(1), 2, keys_a).status(); });
  std::thread tb([&] { result_b = b->Rekey(RoomId(1), 2, keys_b).status(); });
  ta.join();
  tb.join();
  ASSERT_NE(result_a.ok(), result_b.ok()) << result_a << " / " << result_b;
  const absl::Status& loser = result_a.ok() ? result_b : result_a;
  EXPECT_EQ(loser.code(), absl::StatusCode::kAborted) << loser;
  const std::vector<v1::SealedKey>& winner = result_a.ok() ? keys_a : keys_b;
  for (int i = 0; i < 2; ++i) {
    for (KvStore* node : {a.get(), b.get()}) {
      absl::StatusOr<v1::SealedKey> key = node->GetSealedKey(RoomId(1), 2, UserKey(i + 1));
      UNIBUS_ASSERT_OK(key);
      EXPECT_TRUE(ProtoEquals(winner[i], *key));
    }
  }
  absl::StatusOr<v1::Room> room = b->GetRoom(RoomId(1));
  UNIBUS_ASSERT_OK(room);
  EXPECT_EQ(room->epoch(), 2u);
}

TEST_F(KvStoreTest, OpenPublishesChangesOfACrashedWriterExactlyOnce) {
  const std::string bucket = FreshBucket("outbox");
  std::unique_ptr<KvStore> crashing = OpenKv(nc(), bucket, clock_, kMaxRoomMembers, true);
  ASSERT_NE(crashing, nullptr);
  UNIBUS_ASSERT_OK(crashing->AddUser(MakeUser(1)));
  const v1::SealedKey owner_key = MakeKey(1, 1, 1);
  UNIBUS_ASSERT_OK(crashing->CreateRoom(MakeRoom(1, 1, true), &owner_key));
  UNIBUS_ASSERT_OK(crashing->CreateRoom(MakeRoom(2, 1, false), nullptr));
  UNIBUS_ASSERT_OK(crashing->DeleteRoom(RoomId(2)));  // Publishes CreateRoom's change first.
  absl::StatusOr<uint64_t> before = crashing->LatestPosition();
  UNIBUS_ASSERT_OK(before);
  EXPECT_EQ(*before, 1u);
  // Its clean-up never ran (no lasting tombstone yet): the id is refused all the same.
  UNIBUS_EXPECT_CODE(kAlreadyExists, crashing->CreateRoom(MakeRoom(2, 1, false), nullptr));

  store_ = OpenKv(nc(), bucket, clock_);  // Recover().
  ASSERT_NE(store_, nullptr);
  std::vector<v1::Change> changes = ChangesAfter(0);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].kind(), v1::CHANGE_KIND_MEMBER_ADDED);  // Room 2, before its deletion.
  EXPECT_EQ(changes[0].room_id(), RoomId(2));
  int user_added = 0, member_added = 0, member_removed = 0;
  for (const v1::Change& change : changes) {
    user_added += change.kind() == v1::CHANGE_KIND_USER_ADDED;
    member_added += change.kind() == v1::CHANGE_KIND_MEMBER_ADDED;
    member_removed += change.kind() == v1::CHANGE_KIND_MEMBER_REMOVED;
  }
  EXPECT_EQ(user_added, 1);
  EXPECT_EQ(member_added, 2);
  EXPECT_EQ(member_removed, 1);
  UNIBUS_EXPECT_CODE(kNotFound, store_->GetRoom(RoomId(2)));
  absl::StatusOr<Page<RoomMembership>> rooms = store_->ListRoomsOf(UserKey(1), "", 10);
  UNIBUS_ASSERT_OK(rooms);
  ASSERT_EQ(rooms->items.size(), 1u);

  std::unique_ptr<KvStore> again = OpenKv(nc(), bucket, clock_);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Latest(), 4u);
  // Recover finished the deletion: the lasting tombstone refuses the id and is in the dump.
  UNIBUS_EXPECT_CODE(kAlreadyExists, store_->CreateRoom(MakeRoom(2, 1, false), nullptr));
  absl::StatusOr<StoreDump> dump = store_->Dump();
  UNIBUS_ASSERT_OK(dump);
  ASSERT_EQ(dump->deleted_rooms.size(), 1u);
  EXPECT_EQ(dump->deleted_rooms[0].room_id, RoomId(2));
  EXPECT_EQ(dump->deleted_rooms[0].deleted_at_ms, clock_.NowMs());
}

TEST_F(KvStoreTest, ImportTwiceGivesTheSameDumpAndNoChanges) {
  store_ = OpenKv(nc(), FreshBucket("source"), clock_, kRoomLimit);
  ASSERT_NE(store_, nullptr);
  UNIBUS_ASSERT_OK(AddUsers(1, 4));
  UNIBUS_ASSERT_OK(store_->AddUser(MakeUser(5, v1::ROLE_ADMIN)));
  UNIBUS_ASSERT_OK(CreateRoom(1, 1, true));
  UNIBUS_ASSERT_OK(CreateRoom(2, 2, false));
  UNIBUS_ASSERT_OK(Join(1, 2));
  UNIBUS_ASSERT_OK(Join(1, 3));
  UNIBUS_ASSERT_OK(Join(2, 3));
  UNIBUS_ASSERT_OK(store_->Rekey(RoomId(1), 2, MakeKeys(1, 2, {1, 2, 3})));
  UNIBUS_ASSERT_OK(store_->RevokeUser(UserKey(3), 77));  // Room 1 needs a rekey.
  UNIBUS_ASSERT_OK(store_->Leave(RoomId(2), UserKey(3)));
  UNIBUS_ASSERT_OK(CreateRoom(3, 2, false));
  UNIBUS_ASSERT_OK(store_->DeleteRoom(RoomId(3)));
  absl::StatusOr<StoreDump> source = store_->Dump();
  UNIBUS_ASSERT_OK(source);
  ASSERT_EQ(source->keys.size(), 6u);  // Epochs 1 and 2 of users 1-3.
  ASSERT_EQ(source->deleted_rooms.size(), 1u);

  std::unique_ptr<KvStore> target = OpenKv(nc(), FreshBucket("target"), clock_, kRoomLimit);
  ASSERT_NE(target, nullptr);
  UNIBUS_ASSERT_OK(target->Import(*source));
  absl::StatusOr<StoreDump> first = target->Dump();
  UNIBUS_ASSERT_OK(first);
  EXPECT_EQ(DumpText(*first), DumpText(*source));
  UNIBUS_ASSERT_OK(target->Import(*source));
  absl::StatusOr<StoreDump> second = target->Dump();
  UNIBUS_ASSERT_OK(second);
  EXPECT_EQ(DumpText(*second), DumpText(*source));
  absl::StatusOr<uint64_t> latest = target->LatestPosition();
  UNIBUS_ASSERT_OK(latest);
  EXPECT_EQ(*latest, 0u);

  // The imported state works like any other.
  absl::StatusOr<v1::SealedKey> key = target->GetSealedKey(RoomId(1), 1, UserKey(2));
  UNIBUS_ASSERT_OK(key);
  EXPECT_TRUE(ProtoEquals(MakeKey(1, 1, 2), *key));
  absl::StatusOr<Page<RoomMembership>> rooms = target->ListRoomsOf(UserKey(3), "", 10);
  UNIBUS_ASSERT_OK(rooms);
  ASSERT_EQ(rooms->items.size(), 1u);
  EXPECT_TRUE(rooms->items[0].room.needs_rekey());
  UNIBUS_ASSERT_OK(target->RemoveMember(RoomId(1), UserKey(3), 3, MakeKeys(1, 3, {1, 2})));
  // The deleted room's id came along: it stays refused after the migration.
  UNIBUS_EXPECT_CODE(kAlreadyExists, target->CreateRoom(MakeRoom(3, 1, false), nullptr));
  absl::StatusOr<uint64_t> after = target->LatestPosition();
  UNIBUS_ASSERT_OK(after);
  EXPECT_EQ(*after, 1u);
}

}  // namespace
}  // namespace unibus::control::store
