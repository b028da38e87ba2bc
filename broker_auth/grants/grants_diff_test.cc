#include "broker_auth/grants/grants_diff.h"

#include "gtest/gtest.h"

namespace unibus::broker_auth::grants {
namespace {

v1::Grants G(const std::string& key, bool active, std::vector<std::pair<std::string, bool>> rooms) {
  v1::Grants g;
  g.set_sign_pub(key);
  g.set_active(active);
  for (const auto& [id, history] : rooms) {
    v1::RoomGrant* r = g.add_rooms();
    r->set_room_id(id);
    r->set_history(history);
  }
  return g;
}

TEST(GrantsDiffTest, NamesEveryLossAndNothingElse) {
  absl::flat_hash_map<std::string, v1::Grants> before = {
      {"revoked", G("revoked", true, {{"r1", true}})},
      {"gone", G("gone", true, {})},
      {"removed", G("removed", true, {{"r1", true}, {"r2", false}})},
      {"history_off", G("history_off", true, {{"r1", true}})},
      {"grew", G("grew", true, {{"r1", false}})},
      {"same", G("same", true, {{"r1", true}})},
      {"was_revoked", G("was_revoked", false, {})},
  };
  absl::flat_hash_map<std::string, v1::Grants> after = {
      {"revoked", G("revoked", false, {})},
      {"removed", G("removed", true, {{"r2", false}})},
      {"history_off", G("history_off", true, {{"r1", false}})},
      {"grew", G("grew", true, {{"r1", true}, {"r3", false}})},
      {"same", G("same", true, {{"r1", true}})},
      {"was_revoked", G("was_revoked", false, {})},
  };
  std::vector<v1::Change> shrunk = ShrunkBetween(before, after);
  std::map<std::string, std::string> got;
  for (const v1::Change& c : shrunk) {
    got[c.sign_pub()] = v1::ChangeKind_Name(c.kind()) + ":" + c.room_id();
  }
  std::map<std::string, std::string> want = {
      {"revoked", "CHANGE_KIND_USER_REVOKED:"},
      {"gone", "CHANGE_KIND_USER_REVOKED:"},
      {"removed", "CHANGE_KIND_MEMBER_REMOVED:r1"},
      {"history_off", "CHANGE_KIND_MEMBER_REMOVED:r1"},
  };
  EXPECT_EQ(got, want);
}

}  // namespace
}  // namespace unibus::broker_auth::grants
