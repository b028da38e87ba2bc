#include "control/store/key_rules.h"

#include "gtest/gtest.h"

namespace unibus::control::store {
namespace {

v1::SealedKey Key(uint64_t epoch, const std::string& recipient) {
  v1::SealedKey key;
  key.set_epoch(epoch);
  key.set_recipient(recipient);
  return key;
}

TEST(KeyRulesTest, NewMemberOfEncryptedRoomNeedsCurrentEpochKey) {
  EXPECT_TRUE(CheckNewMemberKeys(true, 3, {Key(3, "a")}).ok());
  EXPECT_TRUE(CheckNewMemberKeys(true, 3, {Key(1, "a"), Key(3, "a")}).ok());
  EXPECT_EQ(CheckNewMemberKeys(true, 3, {}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckNewMemberKeys(true, 3, {Key(2, "a")}).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(KeyRulesTest, NewMemberMayNotGetFutureKey) {
  EXPECT_EQ(CheckNewMemberKeys(true, 3, {Key(3, "a"), Key(4, "a")}).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(KeyRulesTest, CleartextRoomTakesNoKeys) {
  EXPECT_TRUE(CheckNewMemberKeys(false, 0, {}).ok());
  EXPECT_EQ(CheckNewMemberKeys(false, 0, {Key(0, "a")}).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(KeyRulesTest, CoverExactlyAcceptsOneKeyPerRecipientInAnyOrder) {
  EXPECT_TRUE(CheckKeysCoverExactly({"a", "b", "c"}, 2, {Key(2, "c"), Key(2, "a"), Key(2, "b")})
                  .ok());
  EXPECT_TRUE(CheckKeysCoverExactly({}, 2, {}).ok());
}

TEST(KeyRulesTest, CoverExactlyRejectsMissingExtraDuplicateAndWrongEpoch) {
  const std::vector<std::string> members = {"a", "b"};
  for (const std::vector<v1::SealedKey>& keys : std::vector<std::vector<v1::SealedKey>>{
           {Key(2, "a")},                             // Missing b.
           {Key(2, "a"), Key(2, "b"), Key(2, "c")},   // Extra c.
           {Key(2, "a"), Key(2, "a")},                // Duplicate a instead of b.
           {Key(2, "a"), Key(2, "b"), Key(2, "b")},   // Duplicate on top.
           {Key(2, "a"), Key(1, "b")},                // Wrong epoch.
       }) {
    EXPECT_EQ(CheckKeysCoverExactly(members, 2, keys).code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

}  // namespace
}  // namespace unibus::control::store
