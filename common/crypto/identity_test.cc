#include "common/crypto/identity.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "common/crypto/nkeys.h"
#include "gtest/gtest.h"

namespace unibus::common {
namespace {

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(IdentityTest, SaveThenLoadGivesTheSameKeys) {
  Identity id = Identity::Generate();
  std::string path = TempPath("roundtrip.id");
  ASSERT_TRUE(id.Save(path).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  absl::StatusOr<Identity> loaded = Identity::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->sign_pub(), id.sign_pub());
  EXPECT_EQ(loaded->kex_pub(), id.kex_pub());
  EXPECT_EQ(loaded->nkey_public()[0], 'U');
}

TEST(IdentityTest, FileStartsWithNatsUserSeed) {
  Identity id = Identity::Generate();
  std::string path = TempPath("seedline.id");
  ASSERT_TRUE(id.Save(path).ok());
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.substr(0, 2), "SU");
  EXPECT_TRUE(nkeys::DecodeSeed(nkeys::KeyType::kUser, line).ok());
}

TEST(IdentityTest, SaveNeverOverwrites) {
  Identity id = Identity::Generate();
  std::string path = TempPath("twice.id");
  ASSERT_TRUE(id.Save(path).ok());
  EXPECT_EQ(Identity::Generate().Save(path).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Identity::Load(path)->sign_pub(), id.sign_pub());
}

TEST(IdentityTest, CorruptFileIsAnErrorNotANewIdentity) {
  std::string path = TempPath("corrupt.id");
  {
    std::ofstream out(path);
    out << "SUnot-a-seed\n";
  }
  chmod(path.c_str(), 0600);
  EXPECT_EQ(Identity::Load(path).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(IdentityTest, MissingFileIsNotFound) {
  EXPECT_EQ(Identity::Load(TempPath("missing.id")).status().code(), absl::StatusCode::kNotFound);
}

TEST(IdentityTest, WorldReadableFileIsRefused) {
  std::string path = TempPath("open.id");
  ASSERT_TRUE(Identity::Generate().Save(path).ok());
  chmod(path.c_str(), 0644);
  EXPECT_EQ(Identity::Load(path).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(IdentityTest, KexKeyIsDerivedDeterministically) {
  std::string seed(32, '\x07');
  Identity a = std::move(Identity::FromSeed(seed)).value();
  Identity b = std::move(Identity::FromSeed(seed)).value();
  EXPECT_EQ(a.kex_pub(), b.kex_pub());
  EXPECT_NE(a.kex_pub(), a.sign_pub());
}

TEST(IdentityTest, SignaturesVerifyOnlyForTheSignedMessageAndKey) {
  Identity id = Identity::Generate();
  std::string sig = id.Sign("hello");
  EXPECT_TRUE(VerifySignature(id.sign_pub(), "hello", sig));
  EXPECT_FALSE(VerifySignature(id.sign_pub(), "hellO", sig));
  EXPECT_FALSE(VerifySignature(Identity::Generate().sign_pub(), "hello", sig));
}

}  // namespace
}  // namespace unibus::common
