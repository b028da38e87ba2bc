#include "broker_auth/kick/connection_registry.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace unibus::broker_auth::kick {
namespace {

const std::string kAlice(64, 'a');
const std::string kBob(64, 'b');

TEST(ConnectionRegistryTest, TakeOfAnUnknownIdentityIsEmpty) {
  ConnectionRegistry registry;
  EXPECT_TRUE(registry.Take(kAlice).empty());
}

TEST(ConnectionRegistryTest, TakeReturnsRecordedConnectionsInOrder) {
  ConnectionRegistry registry;
  registry.Record(kAlice, {"NSERVER1", 1});
  registry.Record(kAlice, {"NSERVER2", 7});
  std::vector<ConnectionRef> refs = registry.Take(kAlice);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].server_id, "NSERVER1");
  EXPECT_EQ(refs[0].client_id, 1u);
  EXPECT_EQ(refs[1].server_id, "NSERVER2");
  EXPECT_EQ(refs[1].client_id, 7u);
}

TEST(ConnectionRegistryTest, TakeEmptiesTheIdentity) {
  ConnectionRegistry registry;
  registry.Record(kAlice, {"NSERVER1", 1});
  EXPECT_EQ(registry.Take(kAlice).size(), 1u);
  EXPECT_TRUE(registry.Take(kAlice).empty());
  // Recording again after a Take starts afresh.
  registry.Record(kAlice, {"NSERVER1", 2});
  std::vector<ConnectionRef> refs = registry.Take(kAlice);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].client_id, 2u);
}

TEST(ConnectionRegistryTest, IdentitiesAreKeptApart) {
  ConnectionRegistry registry;
  registry.Record(kAlice, {"NSERVER1", 1});
  registry.Record(kBob, {"NSERVER1", 2});
  std::vector<ConnectionRef> alice = registry.Take(kAlice);
  ASSERT_EQ(alice.size(), 1u);
  EXPECT_EQ(alice[0].client_id, 1u);
  std::vector<ConnectionRef> bob = registry.Take(kBob);
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_EQ(bob[0].client_id, 2u);
}

TEST(ConnectionRegistryTest, SameClientIdOnDifferentServersAreDistinct) {
  ConnectionRegistry registry;
  registry.Record(kAlice, {"NSERVER1", 5});
  registry.Record(kAlice, {"NSERVER2", 5});
  std::vector<ConnectionRef> refs = registry.Take(kAlice);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_NE(refs[0].server_id, refs[1].server_id);
}

TEST(ConnectionRegistryTest, KeepsOnlyTheNewestMaxPerIdentityEntries) {
  ConnectionRegistry registry;
  const size_t total = ConnectionRegistry::kMaxPerIdentity + 36;
  for (uint64_t cid = 1; cid <= total; ++cid) registry.Record(kAlice, {"NSERVER1", cid});
  registry.Record(kBob, {"NSERVER1", 999});
  std::vector<ConnectionRef> refs = registry.Take(kAlice);
  ASSERT_EQ(refs.size(), ConnectionRegistry::kMaxPerIdentity);
  EXPECT_EQ(refs.front().client_id, total - ConnectionRegistry::kMaxPerIdentity + 1);
  EXPECT_EQ(refs.back().client_id, total);
  for (size_t i = 1; i < refs.size(); ++i) {
    EXPECT_EQ(refs[i].client_id, refs[i - 1].client_id + 1);
  }
  // Another identity's entries are not evicted by Alice's.
  EXPECT_EQ(registry.Take(kBob).size(), 1u);
}

TEST(ConnectionRegistryTest, ExactlyMaxPerIdentityEntriesAreAllKept) {
  ConnectionRegistry registry;
  for (uint64_t cid = 1; cid <= ConnectionRegistry::kMaxPerIdentity; ++cid) {
    registry.Record(kAlice, {"NSERVER1", cid});
  }
  std::vector<ConnectionRef> refs = registry.Take(kAlice);
  ASSERT_EQ(refs.size(), ConnectionRegistry::kMaxPerIdentity);
  EXPECT_EQ(refs.front().client_id, 1u);
}

TEST(ConnectionRegistryTest, ConcurrentRecordsAreAllKeptUpToTheBound) {
  ConnectionRegistry registry;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry, t] {
      for (uint64_t i = 0; i < 10; ++i) {
        registry.Record(kAlice, {"NSERVER" + std::to_string(t), i});
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(registry.Take(kAlice).size(), 40u);
}

TEST(ConnectionRegistryTest, TakeOlderThanTakesOnlyConnectionsFromOlderGrants) {
  // Connections decided from grants older than a change must be kicked; newer ones stay.
  ConnectionRegistry registry;
  registry.Record(kAlice, {"N1", 1, 5});
  registry.Record(kAlice, {"N1", 2, 9});
  registry.Record(kAlice, {"N1", 3, 7});
  std::vector<ConnectionRef> stale = registry.TakeOlderThan(kAlice, 8);
  ASSERT_EQ(stale.size(), 2u);
  EXPECT_EQ(stale[0].client_id, 1u);
  EXPECT_EQ(stale[1].client_id, 3u);
  std::vector<ConnectionRef> rest = registry.Take(kAlice);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].client_id, 2u);
  EXPECT_TRUE(registry.TakeOlderThan(kAlice, 100).empty());
}

}  // namespace
}  // namespace unibus::broker_auth::kick
