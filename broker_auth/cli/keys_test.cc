#include "broker_auth/cli/keys.h"

#include <stdio.h>
#include <stdlib.h>

#include "gtest/gtest.h"

namespace unibus::broker_auth::cli {
namespace {

std::string TempDir() {
  std::string pattern = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                        "/keysXXXXXX";
  return mkdtemp(pattern.data());
}

// Least privilege (security review L7): an authd host needs the CONTROL user's public key only;
// its secret belongs to unibusd. Fails if nats-config's keys still required control.id.
TEST(KeysTest, AuthdWorksWithoutTheControlSecret) {
  std::string dir = TempDir() + "/authd";
  ASSERT_TRUE(InitKeys(dir).ok());
  absl::StatusOr<common::Identity> control = common::Identity::Load(dir + "/control.id");
  ASSERT_TRUE(control.ok());
  ASSERT_EQ(remove((dir + "/control.id").c_str()), 0);
  absl::StatusOr<AuthdKeys> keys = LoadKeys(dir);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->control_public, control->nkey_public());
  EXPECT_NE(keys->feeds.nkey_public(), keys->stream.nkey_public());
}

}  // namespace
}  // namespace unibus::broker_auth::cli
