#include "client/cli/errors.h"

#include "client/cli/exit_code.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace unibus::client::cli {
namespace {

using ::testing::HasSubstr;

ErrorScope Scope() {
  ErrorScope s;
  s.control = "127.0.0.1:7443";
  s.nats = "nats://127.0.0.1:4222";
  s.sign_pub_hex = std::string(64, 'a');
  s.kex_pub_hex = std::string(64, 'b');
  return s;
}

TEST(ExitCodeTest, EachStatusCodeHasItsExitCode) {
  EXPECT_EQ(ExitCodeFor(absl::StatusCode::kOk), kExitOk);
  EXPECT_EQ(ExitCodeFor(absl::StatusCode::kInvalidArgument), kExitUsage);
  EXPECT_EQ(ExitCodeFor(absl::StatusCode::kNotFound), kExitNotFound);
  EXPECT_EQ(ExitCodeFor(absl::StatusCode::kUnauthenticated), kExitDenied);
  EXPECT_EQ(ExitCodeFor(absl::StatusCode::kPermissionDenied), kExitDenied);
  EXPECT_EQ(ExitCodeFor(absl::StatusCode::kUnavailable), kExitUnreachable);
  EXPECT_EQ(ExitCodeFor(absl::StatusCode::kDeadlineExceeded), kExitUnreachable);
  EXPECT_EQ(ExitCodeFor(absl::StatusCode::kAlreadyExists), kExitOther);
  EXPECT_EQ(ExitCodeFor(absl::StatusCode::kInternal), kExitOther);
}

TEST(ExplainTest, RoomNotFoundSaysNotAMember) {
  ErrorScope s = Scope();
  s.room = "general";
  Explained e = Explain(absl::NotFoundError("room not found"), s);
  EXPECT_EQ(e.exit_code, kExitNotFound);
  EXPECT_EQ(e.message, "not a member of room general (or it does not exist)");
}

TEST(ExplainTest, UnknownUserIsNamed) {
  ErrorScope s = Scope();
  s.room = "general";
  s.user = "bobby";
  Explained e = Explain(absl::NotFoundError("user not found"), s);
  EXPECT_EQ(e.exit_code, kExitNotFound);
  EXPECT_THAT(e.message, HasSubstr("no user \"bobby\""));
}

TEST(ExplainTest, NotOnTheAllowlistTellsHowToBeAdded) {
  Explained e = Explain(absl::UnauthenticatedError("this key is not on the allowlist"), Scope());
  EXPECT_EQ(e.exit_code, kExitDenied);
  EXPECT_THAT(e.message, HasSubstr("this identity is not on the allowlist"));
  EXPECT_THAT(e.message, HasSubstr("unibus user add " + std::string(64, 'a') + " " +
                                   std::string(64, 'b') + " --handle NAME"));
}

TEST(ExplainTest, RevokedAndOtherDenials) {
  Explained revoked = Explain(absl::PermissionDeniedError("this key has been revoked"), Scope());
  EXPECT_EQ(revoked.exit_code, kExitDenied);
  EXPECT_THAT(revoked.message, HasSubstr("revoked"));
  Explained role = Explain(absl::PermissionDeniedError("only the room's owner may add a room admin"),
                           Scope());
  EXPECT_EQ(role.exit_code, kExitDenied);
  EXPECT_THAT(role.message, HasSubstr("permission denied: only the room's owner"));
}

TEST(ExplainTest, UnreachableNamesTheServer) {
  Explained grpc = Explain(absl::UnavailableError("failed to connect to all addresses"), Scope());
  EXPECT_EQ(grpc.exit_code, kExitUnreachable);
  EXPECT_THAT(grpc.message, HasSubstr("cannot reach unibusd at 127.0.0.1:7443"));
  Explained nats = Explain(absl::UnavailableError("no NATS server reachable"), Scope());
  EXPECT_EQ(nats.exit_code, kExitUnreachable);
  EXPECT_THAT(nats.message, HasSubstr("cannot reach nats-server at nats://127.0.0.1:4222"));
  Explained slow = Explain(absl::DeadlineExceededError("Deadline Exceeded"), Scope());
  EXPECT_EQ(slow.exit_code, kExitUnreachable);
  EXPECT_THAT(slow.message, HasSubstr("cannot reach unibusd"));
}

}  // namespace
}  // namespace unibus::client::cli
