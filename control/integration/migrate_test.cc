// `unibusd migrate-to-kv` end to end: a real SQLite file with users (one revoked), encrypted rooms
// through several epochs, a cleartext room and a room marked for rekey, copied into JetStream KV
// on a real nats-server. `unibusd export` of both stores must be identical, also after a second
// run, and the VACUUM INTO backup must hold the same records.
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crypto/identity.h"
#include "common/testing/child_process.h"
#include "common/testing/nats_server.h"
#include "common/time/clock.h"
#include "common/nats/nats_ptr.h"
#include "control/store/kv/kv_store.h"
#include "control/store/sqlite/sqlite_store.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::control {
namespace {

using common::testing::ReadFileOrEmpty;
using common::testing::RunToCompletion;

std::string Key(int user) { return absl::StrFormat("%064x", 0x5000 + user); }
std::string Room(int room) { return absl::StrFormat("%032x", 0x900 + room); }

v1::User User(int user, v1::Role role = v1::ROLE_MEMBER) {
  v1::User u;
  u.set_sign_pub(Key(user));
  u.set_kex_pub(absl::StrFormat("%064x", 0x7000 + user));
  u.set_handle(absl::StrCat("user-", user, user == 3 ? " (ops) ünïcode" : ""));
  u.set_role(role);
  u.set_status(v1::USER_STATUS_ACTIVE);
  u.set_created_at_ms(1000 + user);
  return u;
}

v1::SealedKey Sealed(int room, uint64_t epoch, int recipient) {
  v1::SealedKey key;
  key.set_room_id(Room(room));
  key.set_epoch(epoch);
  key.set_recipient(Key(recipient));
  std::string sealed(80, '\0');
  for (size_t i = 0; i < sealed.size(); ++i) sealed[i] = static_cast<char>(recipient + epoch * 3 + i);
  key.set_sealed(sealed);
  key.set_signer(Key(1));
  key.set_signature(std::string(64, static_cast<char>(epoch)));
  return key;
}

std::vector<v1::SealedKey> Keys(int room, uint64_t epoch, const std::vector<int>& recipients) {
  std::vector<v1::SealedKey> keys;
  for (int r : recipients) keys.push_back(Sealed(room, epoch, r));
  return keys;
}

v1::Room MakeRoom(int room, int owner, bool encrypted) {
  v1::Room r;
  r.set_room_id(Room(room));
  r.set_name(absl::StrCat("room ", room));
  r.set_owner(Key(owner));
  r.mutable_policy()->set_encrypted(encrypted);
  r.mutable_policy()->set_signed_frames(encrypted);
  r.mutable_policy()->set_history(true);
  r.set_epoch(encrypted ? 1 : 0);
  r.set_subject("ub.room." + Room(room));
  r.set_created_at_ms(5000 + room);
  return r;
}

v1::Member MemberOf(int user, v1::RoomRole role = v1::ROOM_ROLE_MEMBER) {
  v1::Member m;
  m.set_sign_pub(Key(user));
  m.set_role(role);
  m.set_added_at_ms(7000 + user);
  return m;
}

void Populate(const std::string& db) {
  common::FakeClock clock;
  auto store = store::SqliteStore::Open(db, clock);
  ASSERT_TRUE(store.ok()) << store.status();
  store::Store& s = **store;
  ASSERT_TRUE(s.AddUser(User(1, v1::ROLE_ADMIN)).ok());
  for (int u = 2; u <= 6; ++u) ASSERT_TRUE(s.AddUser(User(u)).ok());
  // Room 1: encrypted, three epochs, one member removed with the rekey.
  v1::SealedKey owner_key = Sealed(1, 1, 1);
  ASSERT_TRUE(s.CreateRoom(MakeRoom(1, 1, true), &owner_key).ok());
  ASSERT_TRUE(s.AddMember(Room(1), MemberOf(2, v1::ROOM_ROLE_ADMIN), 1, Keys(1, 1, {2})).ok());
  ASSERT_TRUE(s.AddMember(Room(1), MemberOf(3), 1, Keys(1, 1, {3})).ok());
  ASSERT_TRUE(s.Rekey(Room(1), 2, Keys(1, 2, {1, 2, 3})).ok());
  ASSERT_TRUE(s.RemoveMember(Room(1), Key(3), 3, Keys(1, 3, {1, 2})).ok());
  // Room 2: cleartext.
  ASSERT_TRUE(s.CreateRoom(MakeRoom(2, 2, false), nullptr).ok());
  ASSERT_TRUE(s.AddMember(Room(2), MemberOf(4), 0, {}).ok());
  // Room 3: encrypted; user 6 joins and is then revoked, so the room needs a rekey.
  v1::SealedKey owner3 = Sealed(3, 1, 1);
  ASSERT_TRUE(s.CreateRoom(MakeRoom(3, 1, true), &owner3).ok());
  ASSERT_TRUE(s.AddMember(Room(3), MemberOf(6), 1, Keys(3, 1, {6})).ok());
  ASSERT_TRUE(s.RevokeUser(Key(6), 9999).ok());
  ASSERT_TRUE(s.GetRoom(Room(3))->needs_rekey());
  // Room 4: deleted; its id must stay refused after the migration (its tombstone is copied).
  ASSERT_TRUE(s.CreateRoom(MakeRoom(4, 2, false), nullptr).ok());
  ASSERT_TRUE(s.DeleteRoom(Room(4)).ok());
}

class MigrateToKvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("migrate");
    auto server = common::testing::JetStreamServer::Start(dir_ + "/nats");
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(common::Identity::Generate().Save(dir_ + "/control.id").ok());
  }

  std::vector<std::string> KvFlags() const {
    return {"--nats=" + server_->url(), "--nats_identity=" + dir_ + "/control.id",
            "--kv_bucket=parity", "--blob_bucket=parity_blobs", "--nats_wait_seconds=20"};
  }

  int Migrate(const std::string& db, const std::string& backup) {
    std::vector<std::string> args = {unibusd_, "migrate-to-kv", "--db=" + db,
                                     "--backup=" + backup};
    for (const std::string& f : KvFlags()) args.push_back(f);
    return RunToCompletion(args, dir_ + "/migrate.log");
  }

  // `unibusd export` of a SQLite file, or of the KV store when `db` is empty.
  std::string Export(const std::string& db) {
    std::string out = dir_ + "/export.out";
    unlink(out.c_str());
    // stdout only (RunToCompletion's log would mix stderr in).
    std::vector<std::string> full = {"/bin/sh", "-c",
                                     "exec \"$@\" > " + out + " 2>>" + dir_ + "/export.err",
                                     "sh", unibusd_, "export"};
    if (db.empty()) {
      full.push_back("--store=kv");
      for (const std::string& f : KvFlags()) full.push_back(f);
    } else {
      full.push_back("--store=sqlite");
      full.push_back("--db=" + db);
    }
    EXPECT_EQ(RunToCompletion(full, dir_ + "/export.log"), 0)
        << ReadFileOrEmpty(dir_ + "/export.err");
    return ReadFileOrEmpty(out);
  }

  std::string dir_;
  std::string unibusd_ = testing::Runfile("control/unibusd");
  std::unique_ptr<common::testing::JetStreamServer> server_;
};

TEST_F(MigrateToKvTest, CopiesEveryRecordAndASecondRunConverges) {
  const std::string db = dir_ + "/source.db";
  Populate(db);
  ASSERT_FALSE(HasFatalFailure());
  const std::string source = Export(db);
  ASSERT_NE(source.find("key "), std::string::npos) << source;
  ASSERT_NE(source.find("needs_rekey: true"), std::string::npos) << source;
  ASSERT_NE(source.find("USER_STATUS_REVOKED"), std::string::npos) << source;
  ASSERT_NE(source.find("deleted_room " + Room(4)), std::string::npos) << source;

  ASSERT_EQ(Migrate(db, dir_ + "/backup1.db"), 0) << ReadFileOrEmpty(dir_ + "/migrate.log");
  EXPECT_EQ(Export(""), source);
  EXPECT_EQ(Export(dir_ + "/backup1.db"), source) << "the backup is not a copy of the source";

  // Twice: the same state, nothing duplicated.
  ASSERT_EQ(Migrate(db, dir_ + "/backup2.db"), 0) << ReadFileOrEmpty(dir_ + "/migrate.log");
  EXPECT_EQ(Export(""), source);
  EXPECT_NE(ReadFileOrEmpty(dir_ + "/migrate.log").find("exports identical"), std::string::npos);
}

// After the cut-over the KV store lives on: running the migration again from the old SQLite file
// must not undo what happened since (here a revocation), nor write anything at all.
TEST_F(MigrateToKvTest, ASecondRunNeverUndoesChangesMadeInKv) {
  const std::string db = dir_ + "/source.db";
  Populate(db);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(Migrate(db, dir_ + "/backup1.db"), 0) << ReadFileOrEmpty(dir_ + "/migrate.log");
  {
    natsConnection* raw = nullptr;
    ASSERT_EQ(natsConnection_ConnectTo(&raw, server_->url().c_str()), NATS_OK);
    common::nats::NatsConnectionPtr nc(raw);
    common::FakeClock clock;
    store::KvStoreOptions options;
    options.connection = nc.get();
    options.bucket = "parity";
    auto kv = store::KvStore::Open(options, clock);
    ASSERT_TRUE(kv.ok()) << kv.status();
    ASSERT_TRUE((*kv)->RevokeUser(Key(2), 12345).ok());
  }
  const std::string after_revoke = Export("");
  ASSERT_NE(after_revoke, Export(db));
  EXPECT_EQ(Migrate(db, dir_ + "/backup2.db"), 1);
  EXPECT_NE(ReadFileOrEmpty(dir_ + "/migrate.log").find("refusing to overwrite"),
            std::string::npos);
  EXPECT_EQ(Export(""), after_revoke) << "the second migration undid the revocation";
}

TEST_F(MigrateToKvTest, AnExistingBackupFileIsNeverOverwrittenAndNothingIsCopied) {
  const std::string db = dir_ + "/source.db";
  Populate(db);
  ASSERT_FALSE(HasFatalFailure());
  const std::string backup = dir_ + "/taken.db";
  ASSERT_EQ(RunToCompletion({"/bin/sh", "-c", "echo precious > " + backup}, dir_ + "/sh.log"), 0);
  EXPECT_EQ(Migrate(db, backup), 1);
  EXPECT_EQ(ReadFileOrEmpty(backup), "precious\n");
  EXPECT_NE(ReadFileOrEmpty(dir_ + "/migrate.log").find("nothing was copied"), std::string::npos);
  EXPECT_EQ(Export(""), "");
}

}  // namespace
}  // namespace unibus::control
