#include "control/model/validation.h"

#include "common/crypto/identity.h"
#include "control/testing/sealed_keys.h"
#include "gtest/gtest.h"

namespace unibus::control::model {
namespace {

using ::absl::StatusCode;

TEST(ValidationTest, KeysMustBe64HexAndAreLowerCased) {
  std::string upper(64, 'A');
  EXPECT_EQ(ParseKeyHex("sign_pub", upper).value(), std::string(64, 'a'));
  EXPECT_EQ(ParseKeyHex("sign_pub", std::string(63, 'a')).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseKeyHex("sign_pub", std::string(64, 'g')).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ValidationTest, HandleRules) {
  EXPECT_TRUE(ValidateHandle("alice.bot-1_x").ok());
  EXPECT_FALSE(ValidateHandle("").ok());
  EXPECT_FALSE(ValidateHandle("Alice").ok());
  EXPECT_FALSE(ValidateHandle("-alice").ok());
  EXPECT_FALSE(ValidateHandle("al ice").ok());
  EXPECT_FALSE(ValidateHandle(std::string(65, 'a')).ok());
}

TEST(ValidationTest, RoleMustBeKnown) {
  EXPECT_TRUE(ValidateRole(v1::ROLE_SERVICE).ok());
  EXPECT_FALSE(ValidateRole(v1::ROLE_UNSPECIFIED).ok());
  EXPECT_FALSE(ValidateRole(static_cast<v1::Role>(42)).ok());
}

TEST(ValidationTest, RoomIdAndName) {
  EXPECT_TRUE(ValidateRoomId(std::string(32, 'a')).ok());
  EXPECT_FALSE(ValidateRoomId(std::string(32, 'A')).ok());
  EXPECT_FALSE(ValidateRoomId("ub.room.>").ok());
  EXPECT_TRUE(ValidateRoomName("Ops — night shift").ok());
  EXPECT_FALSE(ValidateRoomName("").ok());
  EXPECT_FALSE(ValidateRoomName("a\nb").ok());
  EXPECT_FALSE(ValidateRoomName("\xff\xfe").ok());
  EXPECT_FALSE(ValidateRoomName("evil\xc2\x9b" "2J").ok());      // C1 CSI: terminal escapes
  EXPECT_FALSE(ValidateRoomName("a\xe2\x80\xae" "b").ok());         // right-to-left override
  EXPECT_FALSE(ValidateRoomName("\xc0\xaf").ok());                // overlong '/'
  EXPECT_TRUE(ValidateRoomName("caf\xc3\xa9 \xf0\x9f\x98\x80").ok());  // é and an emoji
}

TEST(ValidationTest, PageSizeAndTokens) {
  EXPECT_EQ(PageSize(0).value(), 100);
  EXPECT_EQ(PageSize(5000).value(), 1000);
  EXPECT_EQ(PageSize(-1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePageToken(EncodePageToken("abc")).value(), "abc");
  EXPECT_EQ(DecodePageToken("zz").status().code(), StatusCode::kInvalidArgument);
}

class SealedKeyValidationTest : public ::testing::Test {
 protected:
  common::Identity owner_ = common::Identity::Generate();
  common::Identity member_ = common::Identity::Generate();
  std::string room_ = testing::NewRoomId();
  v1::SealedKey key_ = testing::SealRoomKey(owner_, room_, 3, member_, testing::NewRoomKey());
};

TEST_F(SealedKeyValidationTest, AcceptsAKeySignedByTheCaller) {
  EXPECT_TRUE(ValidateSealedKey(key_, room_, 3, owner_.sign_pub_hex()).ok());
}

TEST_F(SealedKeyValidationTest, RejectsAKeySignedBySomeoneElse) {
  EXPECT_EQ(ValidateSealedKey(key_, room_, 3, member_.sign_pub_hex()).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SealedKeyValidationTest, RejectsAKeyBoundToAnotherRoomOrEpoch) {
  EXPECT_FALSE(ValidateSealedKey(key_, testing::NewRoomId(), 3, owner_.sign_pub_hex()).ok());
  EXPECT_FALSE(ValidateSealedKey(key_, room_, 4, owner_.sign_pub_hex()).ok());
}

TEST_F(SealedKeyValidationTest, RejectsARebindingWithTheOldSignature) {
  // Pointing a signed key at another recipient or epoch must break the signature.
  key_.set_recipient(owner_.sign_pub_hex());
  EXPECT_EQ(ValidateSealedKey(key_, room_, 3, owner_.sign_pub_hex()).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SealedKeyValidationTest, RejectsFlippedSealedBytes) {
  std::string sealed = key_.sealed();
  sealed[5] ^= 1;
  key_.set_sealed(sealed);
  EXPECT_FALSE(ValidateSealedKey(key_, room_, 3, owner_.sign_pub_hex()).ok());
}

TEST_F(SealedKeyValidationTest, RejectsWrongSizes) {
  key_.set_sealed("short");
  EXPECT_FALSE(ValidateSealedKey(key_, room_, 3, owner_.sign_pub_hex()).ok());
}

}  // namespace
}  // namespace unibus::control::model
