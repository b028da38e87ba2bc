#include "broker_auth/policy/permissions.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace unibus::broker_auth::policy {
namespace {

v1::Grants TwoRooms() {
  v1::Grants g;
  g.set_sign_pub(std::string(64, 'a'));
  g.set_active(true);
  v1::RoomGrant* history = g.add_rooms();
  history->set_room_id(std::string(32, '1'));
  history->set_history(true);
  v1::RoomGrant* live = g.add_rooms();
  live->set_room_id(std::string(32, '2'));
  return g;
}

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(PermissionsTest, GrantsOnlyTheIdentitysRoomsAndInbox) {
  callout::Permissions p = PermissionsFor(TwoRooms());
  std::string r1 = "ub.room." + std::string(32, '1');
  std::string r2 = "ub.room." + std::string(32, '2');
  EXPECT_TRUE(Has(p.pub_allow, r1));
  EXPECT_TRUE(Has(p.pub_allow, r2 + ".>"));
  EXPECT_TRUE(Has(p.sub_allow, r2));
  EXPECT_TRUE(Has(p.sub_allow, "_INBOX_" + std::string(64, 'a') + ".>"));
  // History is asked of unibus-authd on the identity's own feed subject of the room.
  EXPECT_TRUE(Has(p.pub_allow, "ub.feeds." + std::string(64, 'a') + "." + std::string(32, '1')));
  EXPECT_FALSE(Has(p.pub_allow, "ub.feeds." + std::string(64, 'a') + "." + std::string(32, '2')));
  // The room without history may not publish on the stored subject itself (the stream would
  // keep it).
  EXPECT_FALSE(Has(p.pub_allow, r2));
}

// Security regression (docs/security.md, "JetStream acts for members"): no form of the
// JetStream API is granted, filtered or not. With the filtered consumer-create and direct-get
// forms a member could deliver into other rooms and keep reading after removal
// (integration/jetstream_attacks_test); this test fails if any $JS.API grant comes back.
TEST(PermissionsTest, GrantsNoJetStreamApiAtAll) {
  callout::Permissions p = PermissionsFor(TwoRooms());
  for (const auto* list : {&p.pub_allow, &p.sub_allow}) {
    for (const std::string& s : *list) EXPECT_FALSE(absl::StartsWith(s, "$JS.API.")) << s;
  }
}

TEST(PermissionsTest, NeverGrantsWildcardsThatReachOtherIdentities) {
  callout::Permissions p = PermissionsFor(TwoRooms());
  for (const auto* list : {&p.pub_allow, &p.sub_allow}) {
    for (const std::string& s : *list) {
      EXPECT_NE(s, ">");
      EXPECT_FALSE(absl::StartsWith(s, "$JS.API.>")) << s;
      EXPECT_FALSE(absl::StartsWith(s, "_INBOX.")) << s;
      EXPECT_FALSE(absl::StartsWith(s, "$KV.")) << s;
      EXPECT_FALSE(absl::StartsWith(s, "$SYS.")) << s;
      EXPECT_FALSE(s == "$JS.API.CONSUMER.CREATE.UB_ROOMS" ||
                   s == "$JS.API.CONSUMER.CREATE.UB_ROOMS.*")
          << s;
    }
  }
}

TEST(PermissionsTest, IdentityWithoutRoomsNeverGetsAnEmptyAllowList) {
  // Regression guard: an empty allow list in a user JWT means "no restriction" to nats-server.
  v1::Grants g;
  g.set_sign_pub(std::string(64, 'b'));
  g.set_active(true);
  callout::Permissions p = PermissionsFor(g);
  ASSERT_EQ(p.pub_allow.size(), 1u);
  ASSERT_EQ(p.sub_allow.size(), 1u);
  EXPECT_EQ(p.pub_allow[0], "_INBOX_" + std::string(64, 'b') + ".>");
}

TEST(PermissionsTest, RevokedIdentityGetsNothing) {
  v1::Grants g = TwoRooms();
  g.set_active(false);
  callout::Permissions p = PermissionsFor(g);
  EXPECT_TRUE(p.pub_allow.empty());
  EXPECT_TRUE(p.sub_allow.empty());
}

}  // namespace
}  // namespace unibus::broker_auth::policy
