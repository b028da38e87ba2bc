#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "common/crypto/identity.h"
#include "common/time/clock.h"
#include "control/cli/commands.h"
#include "control/store/sqlite/sqlite_store.h"
#include "gtest/gtest.h"

namespace unibus::control::cli {
namespace {

std::string Tmp(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(AdminInitTest, CreatesTheFirstAdminAndIsIdempotent) {
  std::string db = Tmp("idem.db");
  std::string id_file = Tmp("idem.id");
  common::Identity id = common::Identity::Generate();
  ASSERT_TRUE(id.Save(id_file).ok());
  EXPECT_EQ(AdminInit(db, id_file, "root"), 0);
  EXPECT_EQ(AdminInit(db, id_file, "root"), 0);
  auto store = store::SqliteStore::Open(db, common::RealClock::Get()).value();
  v1::User user = store->GetUser(id.sign_pub_hex()).value();
  EXPECT_EQ(user.role(), v1::ROLE_ADMIN);
  EXPECT_EQ(user.handle(), "root");
}

TEST(AdminInitTest, RefusesASecondAdminLocally) {
  std::string db = Tmp("second.db");
  ASSERT_TRUE(common::Identity::Generate().Save(Tmp("first.id")).ok());
  ASSERT_TRUE(common::Identity::Generate().Save(Tmp("second.id")).ok());
  ASSERT_EQ(AdminInit(db, Tmp("first.id"), "first"), 0);
  EXPECT_EQ(AdminInit(db, Tmp("second.id"), "second"), 1);
}

TEST(AdminInitTest, AddServiceIsIdempotentAndNeverPromotesAnExistingKey) {
  std::string db = Tmp("service.db");
  common::Identity service = common::Identity::Generate();
  ASSERT_TRUE(service.Save(Tmp("service.id")).ok());
  ASSERT_TRUE(common::Identity::Generate().Save(Tmp("svc-admin.id")).ok());
  EXPECT_EQ(AddService(db, Tmp("service.id"), "authd"), 0);
  EXPECT_EQ(AddService(db, Tmp("service.id"), "authd"), 0);
  auto store = store::SqliteStore::Open(db, common::RealClock::Get()).value();
  EXPECT_EQ(store->GetUser(service.sign_pub_hex())->role(), v1::ROLE_SERVICE);
  store.reset();
  ASSERT_EQ(AdminInit(db, Tmp("svc-admin.id"), "root"), 0);
  // A service key cannot be turned into an admin by `admin init`, nor an admin into a service.
  EXPECT_EQ(AdminInit(db, Tmp("service.id"), "root2"), 1);
  EXPECT_EQ(AddService(db, Tmp("svc-admin.id"), "authd2"), 1);
}

TEST(AdminInitTest, RefusesACorruptIdentityAndBadUsage) {
  std::string bad = Tmp("bad.id");
  std::ofstream(bad) << "not a seed\n";
  chmod(bad.c_str(), 0600);
  EXPECT_EQ(AdminInit(Tmp("bad.db"), bad, "admin"), 1);
  EXPECT_EQ(AdminInit("", bad, "admin"), 2);
  EXPECT_EQ(AdminInit(Tmp("bad.db"), bad, "Not A Handle"), 2);
}

}  // namespace
}  // namespace unibus::control::cli
