// Checks the C++ code against the cross-language vectors in testdata/.
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "common/crypto/hex.h"
#include "common/crypto/identity.h"
#include "common/crypto/sealed_key_message.h"
#include "gtest/gtest.h"

namespace unibus::common {
namespace {

std::map<std::string, std::string> ReadVector(const std::string& name) {
  std::ifstream in(std::string(std::getenv("TEST_SRCDIR")) + "/unibus/testdata/" + name);
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string key, value;
    fields >> key >> value;
    out[key] = value;
  }
  return out;
}

TEST(TestVectorsTest, IdentityV1) {
  auto v = ReadVector("identity_v1.txt");
  ASSERT_FALSE(v.empty());
  Identity id = std::move(Identity::FromSeed(*HexDecode(v["seed_hex"]))).value();
  EXPECT_EQ(id.sign_pub_hex(), v["sign_pub"]);
  EXPECT_EQ(id.kex_pub_hex(), v["kex_pub"]);
  EXPECT_EQ(id.nkey_public(), v["nkey"]);
  EXPECT_EQ(std::string(id.nkey_seed().view()), v["nkey_seed"]);
}

TEST(TestVectorsTest, SealedKeyV1) {
  auto v = ReadVector("sealed_key_v1.txt");
  ASSERT_FALSE(v.empty());
  Identity signer = std::move(Identity::FromSeed(*HexDecode(v["signer_seed_hex"]))).value();
  Identity recipient = std::move(Identity::FromSeed(*HexDecode(v["recipient_seed_hex"]))).value();
  EXPECT_EQ(recipient.sign_pub_hex(), v["recipient_sign_pub"]);
  EXPECT_EQ(recipient.kex_pub_hex(), v["recipient_kex_pub"]);
  std::string message = SealedKeyMessage(v["room_id"], std::stoull(v["epoch"]),
                                         recipient.sign_pub(), *HexDecode(v["sealed_hex"]));
  EXPECT_EQ(HexEncode(message), v["message_hex"]);
  EXPECT_EQ(HexEncode(signer.Sign(message)), v["signature_hex"]);
  EXPECT_TRUE(VerifySignature(signer.sign_pub(), message, *HexDecode(v["signature_hex"])));
}

}  // namespace
}  // namespace unibus::common
