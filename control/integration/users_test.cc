// UserService against the real unibusd binary over real mutual TLS with a real SQLite file:
// validation of every AddUser field, uniqueness of keys and handles, lookups, pagination,
// revocation and the last-admin guard. Every test asserts the exact status code, and every
// refused write is followed by a read that shows nothing changed.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

#include "common/crypto/identity.h"
#include "control/testing/rpc.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"
#include "unibus/v1/users.grpc.pb.h"

namespace unibus::control {
namespace {

using common::Identity;
using testing::Call;
using testing::CodeOf;
using Stub = v1::UserService::Stub;

// A handle no other test of this process uses.
std::string UniqueHandle(const std::string& prefix) {
  static int counter = 0;
  return absl::StrCat(prefix, "-", ++counter);
}

v1::AddUserRequest AddRequest(const Identity& id, const std::string& handle, v1::Role role) {
  v1::AddUserRequest request;
  request.set_sign_pub(id.sign_pub_hex());
  request.set_kex_pub(id.kex_pub_hex());
  request.set_handle(handle);
  request.set_role(role);
  return request;
}

v1::GetUserRequest ByKey(const std::string& sign_pub) {
  v1::GetUserRequest request;
  request.set_sign_pub(sign_pub);
  return request;
}

v1::GetUserRequest ByHandle(const std::string& handle) {
  v1::GetUserRequest request;
  request.set_handle(handle);
  return request;
}

v1::RevokeUserRequest Revoke(const std::string& sign_pub) {
  v1::RevokeUserRequest request;
  request.set_sign_pub(sign_pub);
  return request;
}

class UsersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = testing::UnibusdProcess::Start(testing::NewTempDir("users")).value().release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override { admin_ = v1::UserService::NewStub(server_->ChannelFor(server_->admin())); }

  // The stored record of `sign_pub`, read back through the admin.
  v1::User Stored(const std::string& sign_pub) {
    v1::GetUserResponse response;
    grpc::Status status = Call(*admin_, &Stub::GetUser, ByKey(sign_pub), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.user();
  }

  grpc::StatusCode LookUpKey(const std::string& sign_pub) {
    return CodeOf(*admin_, &Stub::GetUser, ByKey(sign_pub));
  }
  grpc::StatusCode LookUpHandle(const std::string& handle) {
    return CodeOf(*admin_, &Stub::GetUser, ByHandle(handle));
  }

  static testing::UnibusdProcess* server_;
  std::unique_ptr<Stub> admin_;
};

testing::UnibusdProcess* UsersTest::server_ = nullptr;

// ---- AddUser validation ----

TEST_F(UsersTest, AddUserRejectsMalformedSignPubAndWritesNothing) {
  Identity id = Identity::Generate();
  const std::string good = id.sign_pub_hex();
  const std::vector<std::string> bad = {
      good.substr(0, 63),                  // one character short
      good + "0",                          // one character long
      "g" + good.substr(1),                // not hex
      good.substr(0, 62) + " 0",           // a space inside
      "",                                  // missing
      std::string(64, 'z'),                // 64 characters, none hex
  };
  for (const std::string& sign_pub : bad) {
    const std::string handle = UniqueHandle("badsign");
    v1::AddUserRequest request = AddRequest(id, handle, v1::ROLE_MEMBER);
    request.set_sign_pub(sign_pub);
    EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser, request), grpc::StatusCode::INVALID_ARGUMENT)
        << "sign_pub=\"" << sign_pub << "\"";
    EXPECT_EQ(LookUpHandle(handle), grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(LookUpKey(good), grpc::StatusCode::NOT_FOUND);
}

TEST_F(UsersTest, AddUserRejectsMalformedKexPubAndWritesNothing) {
  Identity id = Identity::Generate();
  const std::string good = id.kex_pub_hex();
  const std::vector<std::string> bad = {good.substr(0, 63), good + "a", "x" + good.substr(1), ""};
  for (const std::string& kex_pub : bad) {
    const std::string handle = UniqueHandle("badkex");
    v1::AddUserRequest request = AddRequest(id, handle, v1::ROLE_MEMBER);
    request.set_kex_pub(kex_pub);
    EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser, request), grpc::StatusCode::INVALID_ARGUMENT)
        << "kex_pub=\"" << kex_pub << "\"";
    EXPECT_EQ(LookUpHandle(handle), grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(LookUpKey(id.sign_pub_hex()), grpc::StatusCode::NOT_FOUND);
}

TEST_F(UsersTest, AddUserRejectsBadHandlesAndWritesNothing) {
  // Handles are shown to people: look-alikes (upper case, leading punctuation, spaces,
  // non-ASCII) would let one user pass for another.
  const std::vector<std::string> bad = {
      "Alice",                   // upper case
      "",                        // empty
      std::string(65, 'a'),      // 65 characters
      "-alice",                  // leading '-'
      ".alice",                  // leading '.'
      "_alice",                  // leading '_'
      "al ice",                  // space
      "al/ice",                  // slash
      "\xc3\xa4lice",            // non-ASCII (UTF-8 'ä')
      std::string("al\0ice", 6)  // NUL byte
  };
  for (const std::string& handle : bad) {
    Identity id = Identity::Generate();
    EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser, AddRequest(id, handle, v1::ROLE_MEMBER)),
              grpc::StatusCode::INVALID_ARGUMENT)
        << "handle=\"" << handle << "\"";
    EXPECT_EQ(LookUpKey(id.sign_pub_hex()), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(UsersTest, AddUserAcceptsHandlesAtTheEdgesOfTheRules) {
  const std::vector<std::string> good = {
      std::string(64, 'a'),  // exactly 64 characters
      "7",                   // one digit
      "a.b_c-d.0",           // every allowed punctuation after the first character
  };
  for (const std::string& handle : good) {
    Identity id = Identity::Generate();
    v1::AddUserResponse added;
    grpc::Status status =
        Call(*admin_, &Stub::AddUser, AddRequest(id, handle, v1::ROLE_MEMBER), &added);
    ASSERT_TRUE(status.ok()) << "handle=\"" << handle << "\": " << status.error_message();
    EXPECT_EQ(added.user().handle(), handle);
    EXPECT_EQ(Stored(id.sign_pub_hex()).handle(), handle);
  }
}

TEST_F(UsersTest, AddUserRejectsUnspecifiedAndUnknownRolesAndWritesNothing) {
  for (v1::Role role : {v1::ROLE_UNSPECIFIED, static_cast<v1::Role>(4),
                        static_cast<v1::Role>(42), static_cast<v1::Role>(-1)}) {
    Identity id = Identity::Generate();
    const std::string handle = UniqueHandle("badrole");
    EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser, AddRequest(id, handle, role)),
              grpc::StatusCode::INVALID_ARGUMENT)
        << "role=" << static_cast<int>(role);
    EXPECT_EQ(LookUpKey(id.sign_pub_hex()), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(LookUpHandle(handle), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(UsersTest, AddUserStoresAndReturnsTheFullActiveRecord) {
  Identity id = Identity::Generate();
  const std::string handle = UniqueHandle("fresh");
  v1::AddUserResponse added;
  ASSERT_TRUE(
      Call(*admin_, &Stub::AddUser, AddRequest(id, handle, v1::ROLE_SERVICE), &added).ok());
  const v1::User& user = added.user();
  EXPECT_EQ(user.sign_pub(), id.sign_pub_hex());
  EXPECT_EQ(user.kex_pub(), id.kex_pub_hex());
  EXPECT_EQ(user.handle(), handle);
  EXPECT_EQ(user.role(), v1::ROLE_SERVICE);
  EXPECT_EQ(user.status(), v1::USER_STATUS_ACTIVE);
  EXPECT_GT(user.created_at_ms(), 0);
  EXPECT_EQ(user.revoked_at_ms(), 0);
  v1::User stored = Stored(id.sign_pub_hex());
  EXPECT_EQ(stored.SerializeAsString(), user.SerializeAsString());
}

// ---- AddUser uniqueness ----

TEST_F(UsersTest, ReAddingAnExistingKeyIsAlreadyExistsAndLeavesTheRowUnchanged) {
  // Attack: a second AddUser for a key already on the allowlist tries to rewrite it, e.g. to
  // promote a member to ADMIN or SERVICE, or to move it to a more trusted-looking handle.
  Identity id = Identity::Generate();
  const std::string handle = UniqueHandle("original");
  ASSERT_TRUE(server_->AddUser(id, v1::ROLE_MEMBER, handle).ok());
  const v1::User before = Stored(id.sign_pub_hex());

  for (v1::Role role : {v1::ROLE_ADMIN, v1::ROLE_SERVICE, v1::ROLE_MEMBER}) {
    const std::string other_handle = UniqueHandle("takeover");
    EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser, AddRequest(id, other_handle, role)),
              grpc::StatusCode::ALREADY_EXISTS);
    EXPECT_EQ(LookUpHandle(other_handle), grpc::StatusCode::NOT_FOUND);
  }
  // The same key spelled in upper case is the same key.
  v1::AddUserRequest upper = AddRequest(id, UniqueHandle("upper"), v1::ROLE_ADMIN);
  upper.set_sign_pub(absl::AsciiStrToUpper(id.sign_pub_hex()));
  EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser, upper), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(LookUpHandle(upper.handle()), grpc::StatusCode::NOT_FOUND);
  // Same key, same handle, another kex_pub: a swap of the key room keys are sealed to.
  v1::AddUserRequest new_kex = AddRequest(id, handle, v1::ROLE_MEMBER);
  new_kex.set_kex_pub(Identity::Generate().kex_pub_hex());
  EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser, new_kex), grpc::StatusCode::ALREADY_EXISTS);

  const v1::User after = Stored(id.sign_pub_hex());
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  EXPECT_EQ(after.handle(), handle);
  EXPECT_EQ(after.role(), v1::ROLE_MEMBER);
  EXPECT_EQ(after.kex_pub(), id.kex_pub_hex());
  // And the key itself still authenticates as a plain member.
  auto own = v1::UserService::NewStub(server_->ChannelFor(id));
  v1::WhoAmIResponse me;
  ASSERT_TRUE(Call(*own, &Stub::WhoAmI, v1::WhoAmIRequest(), &me).ok());
  EXPECT_EQ(me.user().role(), v1::ROLE_MEMBER);
}

TEST_F(UsersTest, TakenHandleIsAlreadyExistsAndTheNewKeyIsNotAdded) {
  // Attack: registering a new key under an existing person's handle so that peers who look
  // the handle up seal room keys to the attacker.
  Identity victim = Identity::Generate();
  const std::string handle = UniqueHandle("victim");
  ASSERT_TRUE(server_->AddUser(victim, v1::ROLE_MEMBER, handle).ok());

  Identity attacker = Identity::Generate();
  EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser, AddRequest(attacker, handle, v1::ROLE_MEMBER)),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(LookUpKey(attacker.sign_pub_hex()), grpc::StatusCode::NOT_FOUND);
  v1::GetUserResponse found;
  ASSERT_TRUE(Call(*admin_, &Stub::GetUser, ByHandle(handle), &found).ok());
  EXPECT_EQ(found.user().sign_pub(), victim.sign_pub_hex());
  EXPECT_EQ(found.user().kex_pub(), victim.kex_pub_hex());
}

TEST_F(UsersTest, UpperCaseHexIsAcceptedAndNormalisedToLowerCase) {
  Identity id = Identity::Generate();
  v1::AddUserRequest request = AddRequest(id, UniqueHandle("shouty"), v1::ROLE_MEMBER);
  request.set_sign_pub(absl::AsciiStrToUpper(id.sign_pub_hex()));
  request.set_kex_pub(absl::AsciiStrToUpper(id.kex_pub_hex()));
  ASSERT_NE(request.sign_pub(), id.sign_pub_hex());  // the key has letters in it
  v1::AddUserResponse added;
  ASSERT_TRUE(Call(*admin_, &Stub::AddUser, request, &added).ok());
  EXPECT_EQ(added.user().sign_pub(), id.sign_pub_hex());
  EXPECT_EQ(added.user().kex_pub(), id.kex_pub_hex());

  // Stored in lower case, and found by either spelling.
  EXPECT_EQ(Stored(id.sign_pub_hex()).sign_pub(), id.sign_pub_hex());
  v1::GetUserResponse by_upper;
  ASSERT_TRUE(Call(*admin_, &Stub::GetUser, ByKey(request.sign_pub()), &by_upper).ok());
  EXPECT_EQ(by_upper.user().sign_pub(), id.sign_pub_hex());
  EXPECT_EQ(by_upper.user().kex_pub(), id.kex_pub_hex());

  // The certificate key (always compared in lower case) authenticates.
  auto own = v1::UserService::NewStub(server_->ChannelFor(id));
  v1::WhoAmIResponse me;
  ASSERT_TRUE(Call(*own, &Stub::WhoAmI, v1::WhoAmIRequest(), &me).ok());
  EXPECT_EQ(me.user().sign_pub(), id.sign_pub_hex());
}

// ---- GetUser ----

TEST_F(UsersTest, GetUserFindsTheSameRecordByKeyAndByHandle) {
  Identity id = Identity::Generate();
  const std::string handle = UniqueHandle("findme");
  ASSERT_TRUE(server_->AddUser(id, v1::ROLE_MEMBER, handle).ok());
  // A plain member may look peers up (to seal room keys to them).
  Identity peer = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(peer, v1::ROLE_MEMBER, UniqueHandle("peer")).ok());
  auto as_peer = v1::UserService::NewStub(server_->ChannelFor(peer));

  v1::GetUserResponse by_key, by_handle;
  ASSERT_TRUE(Call(*as_peer, &Stub::GetUser, ByKey(id.sign_pub_hex()), &by_key).ok());
  ASSERT_TRUE(Call(*as_peer, &Stub::GetUser, ByHandle(handle), &by_handle).ok());
  EXPECT_EQ(by_key.user().sign_pub(), id.sign_pub_hex());
  EXPECT_EQ(by_key.user().kex_pub(), id.kex_pub_hex());
  EXPECT_EQ(by_key.user().handle(), handle);
  EXPECT_EQ(by_key.user().role(), v1::ROLE_MEMBER);
  EXPECT_EQ(by_key.user().status(), v1::USER_STATUS_ACTIVE);
  EXPECT_EQ(by_key.SerializeAsString(), by_handle.SerializeAsString());
}

TEST_F(UsersTest, GetUserOfAnUnknownKeyOrHandleIsNotFound) {
  EXPECT_EQ(LookUpKey(Identity::Generate().sign_pub_hex()), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(LookUpHandle(UniqueHandle("nobody")), grpc::StatusCode::NOT_FOUND);
}

TEST_F(UsersTest, GetUserWithBothOrNeitherOrMalformedIsInvalidArgument) {
  Identity id = Identity::Generate();
  const std::string handle = UniqueHandle("both");
  ASSERT_TRUE(server_->AddUser(id, v1::ROLE_MEMBER, handle).ok());
  v1::GetUserRequest both;
  both.set_sign_pub(id.sign_pub_hex());
  both.set_handle(handle);
  EXPECT_EQ(CodeOf(*admin_, &Stub::GetUser, both), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(CodeOf(*admin_, &Stub::GetUser, v1::GetUserRequest()),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(LookUpKey(id.sign_pub_hex().substr(0, 63)), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(LookUpKey("x" + id.sign_pub_hex().substr(1)), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(LookUpHandle("Both"), grpc::StatusCode::INVALID_ARGUMENT);
}

// ---- ListUsers ----

TEST_F(UsersTest, ListUsersPagesThroughEveryUserExactlyOnceInAscendingOrder) {
  std::set<std::string> added;
  for (int i = 0; i < 7; ++i) {
    Identity id = Identity::Generate();
    ASSERT_TRUE(server_->AddUser(id, v1::ROLE_MEMBER, UniqueHandle("listed")).ok());
    added.insert(id.sign_pub_hex());
  }

  std::vector<std::string> paged;
  std::string token;
  int pages = 0;
  do {
    v1::ListUsersRequest request;
    request.set_page_size(2);
    request.set_page_token(token);
    v1::ListUsersResponse page;
    grpc::Status status = Call(*admin_, &Stub::ListUsers, request, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_LE(page.users_size(), 2);
    // Only the last page may be short, and no page is empty except a first, empty one.
    if (!page.next_page_token().empty()) {
      ASSERT_EQ(page.users_size(), 2);
    }
    for (const v1::User& user : page.users()) paged.push_back(user.sign_pub());
    token = page.next_page_token();
    ASSERT_LT(++pages, 1000) << "pagination does not end";
  } while (!token.empty());

  // Strictly ascending: sorted and no user twice.
  for (size_t i = 1; i < paged.size(); ++i) {
    EXPECT_LT(paged[i - 1], paged[i]) << "at " << i;
  }
  // Every user: the seven just added, the admin, and exactly what one big page shows.
  std::set<std::string> seen(paged.begin(), paged.end());
  for (const std::string& key : added) EXPECT_EQ(seen.count(key), 1u) << key;
  EXPECT_EQ(seen.count(server_->admin().sign_pub_hex()), 1u);
  v1::ListUsersRequest all;
  all.set_page_size(1000);
  v1::ListUsersResponse everything;
  ASSERT_TRUE(Call(*admin_, &Stub::ListUsers, all, &everything).ok());
  EXPECT_TRUE(everything.next_page_token().empty());
  std::vector<std::string> one_page;
  for (const v1::User& user : everything.users()) one_page.push_back(user.sign_pub());
  EXPECT_EQ(paged, one_page);
}

TEST_F(UsersTest, ListUsersRejectsNegativePageSizeAndForeignPageTokens) {
  v1::ListUsersRequest negative;
  negative.set_page_size(-1);
  EXPECT_EQ(CodeOf(*admin_, &Stub::ListUsers, negative), grpc::StatusCode::INVALID_ARGUMENT);
  for (const std::string& token : {std::string("not a token"), std::string("abc"),
                                   std::string("zz"), std::string(600, 'a')}) {
    v1::ListUsersRequest garbage;
    garbage.set_page_token(token);
    EXPECT_EQ(CodeOf(*admin_, &Stub::ListUsers, garbage), grpc::StatusCode::INVALID_ARGUMENT)
        << "page_token=\"" << token << "\"";
  }
}

// ---- RevokeUser ----

TEST_F(UsersTest, RevokeUserIsIdempotent) {
  Identity id = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(id, v1::ROLE_MEMBER, UniqueHandle("revokee")).ok());
  v1::RevokeUserResponse first;
  ASSERT_TRUE(Call(*admin_, &Stub::RevokeUser, Revoke(id.sign_pub_hex()), &first).ok());
  EXPECT_EQ(first.user().status(), v1::USER_STATUS_REVOKED);
  EXPECT_GT(first.user().revoked_at_ms(), 0);

  v1::RevokeUserResponse second;
  ASSERT_TRUE(Call(*admin_, &Stub::RevokeUser, Revoke(id.sign_pub_hex()), &second).ok());
  // Nothing changed: not even the revocation time.
  EXPECT_EQ(second.user().SerializeAsString(), first.user().SerializeAsString());
  EXPECT_EQ(Stored(id.sign_pub_hex()).SerializeAsString(), first.user().SerializeAsString());
}

TEST_F(UsersTest, RevokeUnknownUserIsNotFoundAndMalformedKeyIsInvalidArgument) {
  EXPECT_EQ(CodeOf(*admin_, &Stub::RevokeUser, Revoke(Identity::Generate().sign_pub_hex())),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CodeOf(*admin_, &Stub::RevokeUser, Revoke("not-hex")),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(CodeOf(*admin_, &Stub::RevokeUser, Revoke("")), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(UsersTest, RevokedUserIsPermissionDeniedOnWhoAmI) {
  // Attack: a stolen or retired key keeps calling after its revocation.
  Identity id = Identity::Generate();
  ASSERT_TRUE(server_->AddUser(id, v1::ROLE_MEMBER, UniqueHandle("retired")).ok());
  auto own = v1::UserService::NewStub(server_->ChannelFor(id));
  ASSERT_EQ(CodeOf(*own, &Stub::WhoAmI, v1::WhoAmIRequest()), grpc::StatusCode::OK);
  ASSERT_EQ(CodeOf(*admin_, &Stub::RevokeUser, Revoke(id.sign_pub_hex())), grpc::StatusCode::OK);

  EXPECT_EQ(CodeOf(*own, &Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::PERMISSION_DENIED);
  // A brand-new connection (new TLS session) is refused too.
  auto fresh = v1::UserService::NewStub(server_->ChannelFor(id));
  EXPECT_EQ(CodeOf(*fresh, &Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::PERMISSION_DENIED);
  // The record is kept, revoked.
  EXPECT_EQ(Stored(id.sign_pub_hex()).status(), v1::USER_STATUS_REVOKED);
}

TEST_F(UsersTest, RevokedKeyCannotBeReinstatedByAddingItAgain) {
  // Attack: getting a revoked key back onto the allowlist (as anything) by re-adding it.
  Identity id = Identity::Generate();
  const std::string handle = UniqueHandle("banned");
  ASSERT_TRUE(server_->AddUser(id, v1::ROLE_MEMBER, handle).ok());
  ASSERT_EQ(CodeOf(*admin_, &Stub::RevokeUser, Revoke(id.sign_pub_hex())), grpc::StatusCode::OK);
  const v1::User revoked = Stored(id.sign_pub_hex());

  EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser, AddRequest(id, handle, v1::ROLE_MEMBER)),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser,
                   AddRequest(id, UniqueHandle("reborn"), v1::ROLE_ADMIN)),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Stored(id.sign_pub_hex()).SerializeAsString(), revoked.SerializeAsString());
  auto own = v1::UserService::NewStub(server_->ChannelFor(id));
  EXPECT_EQ(CodeOf(*own, &Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::PERMISSION_DENIED);

  // A revoked user's handle stays taken: nobody else can pick it up.
  Identity other = Identity::Generate();
  EXPECT_EQ(CodeOf(*admin_, &Stub::AddUser, AddRequest(other, handle, v1::ROLE_MEMBER)),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(LookUpKey(other.sign_pub_hex()), grpc::StatusCode::NOT_FOUND);
}

TEST(UsersLastAdminTest, RevokingTheLastActiveAdminIsRefusedButWorksWithASecondAdmin) {
  // Attack (or accident): a compromised or careless admin revokes the last admin key, locking
  // every operator out of user management. Own server: the suite's admin must stay.
  std::unique_ptr<testing::UnibusdProcess> server =
      testing::UnibusdProcess::Start(testing::NewTempDir("lastadmin")).value();
  const Identity& first = server->admin();
  auto as_first = v1::UserService::NewStub(server->ChannelFor(first));

  // Alone: refused, and the admin is still active and still an admin.
  EXPECT_EQ(CodeOf(*as_first, &Stub::RevokeUser, Revoke(first.sign_pub_hex())),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::WhoAmIResponse me;
  ASSERT_TRUE(Call(*as_first, &Stub::WhoAmI, v1::WhoAmIRequest(), &me).ok());
  EXPECT_EQ(me.user().status(), v1::USER_STATUS_ACTIVE);
  EXPECT_EQ(me.user().role(), v1::ROLE_ADMIN);

  // Members and services do not count as admins.
  Identity member = Identity::Generate();
  ASSERT_TRUE(server->AddUser(member, v1::ROLE_MEMBER, "member").ok());
  Identity service = Identity::Generate();
  ASSERT_TRUE(server->AddUser(service, v1::ROLE_SERVICE, "service").ok());
  EXPECT_EQ(CodeOf(*as_first, &Stub::RevokeUser, Revoke(first.sign_pub_hex())),
            grpc::StatusCode::FAILED_PRECONDITION);

  // With a second active admin the first one can go.
  Identity second = Identity::Generate();
  ASSERT_TRUE(server->AddUser(second, v1::ROLE_ADMIN, "second-admin").ok());
  auto as_second = v1::UserService::NewStub(server->ChannelFor(second));
  v1::RevokeUserResponse revoked;
  ASSERT_TRUE(
      Call(*as_second, &Stub::RevokeUser, Revoke(first.sign_pub_hex()), &revoked).ok());
  EXPECT_EQ(revoked.user().status(), v1::USER_STATUS_REVOKED);
  EXPECT_EQ(CodeOf(*as_first, &Stub::WhoAmI, v1::WhoAmIRequest()),
            grpc::StatusCode::PERMISSION_DENIED);

  // Now the second is the last active admin (a revoked admin does not count).
  EXPECT_EQ(CodeOf(*as_second, &Stub::RevokeUser, Revoke(second.sign_pub_hex())),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::WhoAmIResponse still;
  ASSERT_TRUE(Call(*as_second, &Stub::WhoAmI, v1::WhoAmIRequest(), &still).ok());
  EXPECT_EQ(still.user().status(), v1::USER_STATUS_ACTIVE);
}

}  // namespace
}  // namespace unibus::control
