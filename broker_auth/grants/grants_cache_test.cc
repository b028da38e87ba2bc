#include "broker_auth/grants/grants_cache.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "unibus/v1/broker.pb.h"

namespace unibus::broker_auth::grants {
namespace {

v1::Grants Make(char key, bool active = true, int rooms = 1) {
  v1::Grants g;
  g.set_sign_pub(std::string(64, key));
  g.set_active(active);
  for (int i = 0; i < rooms; ++i) g.add_rooms()->set_room_id(std::string(32, '0' + i));
  return g;
}

TEST(GrantsCacheTest, NewCacheIsEmptyAndNotLive) {
  GrantsCache cache;
  EXPECT_FALSE(cache.live());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.Find(std::string(64, 'a')).has_value());
}

TEST(GrantsCacheTest, ReplaceAllLoadsEverythingAndMarksLive) {
  GrantsCache cache;
  cache.ReplaceAll({Make('a'), Make('b', false)});
  EXPECT_TRUE(cache.live());
  EXPECT_EQ(cache.size(), 2u);
  std::optional<v1::Grants> a = cache.Find(std::string(64, 'a'));
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->active());
  std::optional<v1::Grants> b = cache.Find(std::string(64, 'b'));
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(b->active());
}

TEST(GrantsCacheTest, ReplaceAllDropsIdentitiesMissingFromTheNewLoad) {
  GrantsCache cache;
  cache.ReplaceAll({Make('a'), Make('b')});
  cache.ReplaceAll({Make('c')});
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.Find(std::string(64, 'a')).has_value());
  EXPECT_TRUE(cache.Find(std::string(64, 'c')).has_value());
}

TEST(GrantsCacheTest, ReplaceAllWithNothingIsLiveAndEmpty) {
  GrantsCache cache;
  cache.Put(Make('a'));
  cache.ReplaceAll({});
  EXPECT_TRUE(cache.live());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(GrantsCacheTest, ReplaceAllWithDuplicateKeysKeepsOneEntry) {
  GrantsCache cache;
  cache.ReplaceAll({Make('a', true, 1), Make('a', true, 3)});
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find(std::string(64, 'a'))->rooms_size(), 3);  // the later one wins
}

TEST(GrantsCacheTest, PutAddsOrReplacesWithoutChangingLiveness) {
  GrantsCache cache;
  cache.Put(Make('a', true, 1));
  EXPECT_FALSE(cache.live()) << "a single Put is not a full load";
  EXPECT_EQ(cache.size(), 1u);
  cache.Put(Make('a', false, 2));
  EXPECT_EQ(cache.size(), 1u);
  std::optional<v1::Grants> a = cache.Find(std::string(64, 'a'));
  ASSERT_TRUE(a.has_value());
  EXPECT_FALSE(a->active());
  EXPECT_EQ(a->rooms_size(), 2);
}

TEST(GrantsCacheTest, RemoveForgetsOneIdentity) {
  GrantsCache cache;
  cache.ReplaceAll({Make('a'), Make('b')});
  cache.Remove(std::string(64, 'a'));
  EXPECT_FALSE(cache.Find(std::string(64, 'a')).has_value());
  EXPECT_TRUE(cache.Find(std::string(64, 'b')).has_value());
  EXPECT_EQ(cache.size(), 1u);
  cache.Remove(std::string(64, 'z'));  // unknown: harmless
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.live());
}

TEST(GrantsCacheTest, SetLiveTogglesLivenessAndKeepsTheData) {
  GrantsCache cache;
  cache.ReplaceAll({Make('a')});
  cache.SetLive(false);
  EXPECT_FALSE(cache.live());
  EXPECT_TRUE(cache.Find(std::string(64, 'a')).has_value());
  cache.SetLive(true);
  EXPECT_TRUE(cache.live());
}

TEST(GrantsCacheTest, FindReturnsACopy) {
  GrantsCache cache;
  cache.ReplaceAll({Make('a', true, 1)});
  std::optional<v1::Grants> a = cache.Find(std::string(64, 'a'));
  a->set_active(false);
  a->add_rooms();
  EXPECT_TRUE(cache.Find(std::string(64, 'a'))->active());
  EXPECT_EQ(cache.Find(std::string(64, 'a'))->rooms_size(), 1);
}

TEST(GrantsCacheTest, LookupIsByExactKey) {
  GrantsCache cache;
  cache.ReplaceAll({Make('a')});
  EXPECT_FALSE(cache.Find(std::string(64, 'A')).has_value());
  EXPECT_FALSE(cache.Find(std::string(63, 'a')).has_value());
  EXPECT_FALSE(cache.Find("").has_value());
}

TEST(GrantsCacheTest, ConcurrentWritersAndReadersSeeConsistentEntries) {
  GrantsCache cache;
  cache.ReplaceAll({});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 200; ++i) {
        char key = static_cast<char>('a' + (t * 5 + i) % 20);
        cache.Put(Make(key, true, 1 + i % 3));
        std::optional<v1::Grants> g = cache.Find(std::string(64, key));
        if (g.has_value()) {
          EXPECT_EQ(g->sign_pub(), std::string(64, key));
        }
        if (i % 50 == 0) cache.Remove(std::string(64, key));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(cache.size(), 20u);
  EXPECT_TRUE(cache.live());
}

TEST(GrantsCacheTest, GenerationGrowsWithEveryChangeAndIsReadWithTheEntry) {
  GrantsCache cache;
  uint64_t g0 = cache.generation();
  cache.ReplaceAll({Make('a')});
  uint64_t g1 = cache.generation();
  cache.Put(Make('b'));
  uint64_t g2 = cache.generation();
  cache.Remove(std::string(64, 'b'));
  uint64_t g3 = cache.generation();
  EXPECT_LT(g0, g1);
  EXPECT_LT(g1, g2);
  EXPECT_LT(g2, g3);
  uint64_t read = 0;
  ASSERT_TRUE(cache.Find(std::string(64, 'a'), &read).has_value());
  EXPECT_EQ(read, g3);
}

}  // namespace
}  // namespace unibus::broker_auth::grants
