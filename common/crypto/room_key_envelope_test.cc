#include "common/crypto/room_key_envelope.h"

#include "gtest/gtest.h"

namespace unibus::common {
namespace {

auto Anyone = [](const std::string&) { return true; };

class RoomKeyEnvelopeTest : public ::testing::Test {
 protected:
  Identity owner_ = Identity::Generate();
  Identity bob_ = Identity::Generate();
  Identity mallory_ = Identity::Generate();
  std::string key_ = NewRoomKey();
  v1::SealedKey ForBob(const Identity& signer) {
    return SealRoomKey(signer, "room1", 3, bob_.sign_pub(), bob_.kex_pub(), key_);
  }
};

TEST_F(RoomKeyEnvelopeTest, RecipientOpensAKeySealedByAnAllowedSigner) {
  auto may_seal = [&](const std::string& s) { return s == owner_.sign_pub_hex(); };
  absl::StatusOr<std::string> opened = OpenRoomKey(ForBob(owner_), bob_, "room1", 3, may_seal);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, key_);
}

// A member who is not owner/admin seals a key of their own choosing to bob: bob must refuse it
// (else mallory could make bob encrypt to a key she controls).
TEST_F(RoomKeyEnvelopeTest, EnvelopeFromASignerWhoMayNotSealIsRejected) {
  auto may_seal = [&](const std::string& s) { return s == owner_.sign_pub_hex(); };
  EXPECT_EQ(OpenRoomKey(ForBob(mallory_), bob_, "room1", 3, may_seal).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(RoomKeyEnvelopeTest, ForgedOrRelabelledEnvelopesAreRejected) {
  v1::SealedKey k = ForBob(owner_);
  // Claimed signer rewritten to the owner, signature by mallory.
  v1::SealedKey forged = ForBob(mallory_);
  forged.set_signer(owner_.sign_pub_hex());
  EXPECT_FALSE(OpenRoomKey(forged, bob_, "room1", 3, Anyone).ok());
  // Moved to another room or epoch, or addressed to someone else.
  EXPECT_FALSE(OpenRoomKey(k, bob_, "room2", 3, Anyone).ok());
  EXPECT_FALSE(OpenRoomKey(k, bob_, "room1", 4, Anyone).ok());
  EXPECT_FALSE(OpenRoomKey(k, mallory_, "room1", 3, Anyone).ok());
  v1::SealedKey relabelled = k;
  relabelled.set_epoch(4);
  EXPECT_FALSE(OpenRoomKey(relabelled, bob_, "room1", 4, Anyone).ok());
  // Any flipped byte of the sealed box.
  for (size_t i = 0; i < k.sealed().size(); ++i) {
    v1::SealedKey flipped = k;
    (*flipped.mutable_sealed())[i] ^= 0x01;
    EXPECT_FALSE(OpenRoomKey(flipped, bob_, "room1", 3, Anyone).ok()) << i;
  }
}

}  // namespace
}  // namespace unibus::common
