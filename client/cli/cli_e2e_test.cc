// The `unibus` commands against the real stack (nats-server, unibus-authd, unibusd on free
// ports), run in-process as a user would run them: identity files on disk, the servers named by
// UNIBUS_* variables, results read back from the (JSON) output and the exit codes.
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "broker_auth/testing/stack.h"
#include "client/cli/blob_command.h"
#include "client/cli/blob_token.h"
#include "client/cli/chat_command.h"
#include "client/cli/cli_testing.h"
#include "client/cli/exit_code.h"
#include "client/cli/recv_command.h"
#include "client/cli/room_command.h"
#include "client/cli/send_command.h"
#include "client/cli/user_command.h"
#include "common/crypto/identity.h"
#include "common/testing/child_process.h"
#include "control/testing/unibusd_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace unibus::client::cli {
namespace {

using common::testing::ReadFileOrEmpty;

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::BackgroundCli;
using testing::CliResult;
using testing::Env;
using testing::RunCli;

// Every line of `out` parsed as JSON (a line that is not JSON fails the test).
std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(j.is_object()) << line;
    lines.push_back(j);
  }
  return lines;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// `size` pseudo-random bytes (fixed seed) in a new file at `path`.
std::string WriteRandomFile(const std::string& path, size_t size) {
  std::mt19937 gen(7);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(gen());
  std::ofstream(path, std::ios::binary) << bytes;
  return bytes;
}

std::string Describe(const CliResult& r) {
  return absl::StrCat("exit ", r.code, "\nstdout: ", r.out, "\nstderr: ", r.err);
}

class CliE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto stack = broker_auth::testing::Stack::Start(control::testing::NewTempDir("cli"));
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = stack->release();
    dir_ = new std::string(control::testing::NewTempDir("cli-files"));
    std::ofstream(*dir_ + "/ca.pem") << stack_->control().ca_pem();
    ASSERT_TRUE(stack_->control().admin().Save(*dir_ + "/admin.id").ok());
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
    delete dir_;
  }

  // The environment of a user whose identity file is `identity`.
  static Env EnvFor(const std::string& identity) {
    return {{"UNIBUS_CONTROL", stack_->control().target()},
            {"UNIBUS_NATS", stack_->nats_url()},
            {"UNIBUS_CA", *dir_ + "/ca.pem"},
            {"UNIBUS_IDENTITY", identity},
            {"UNIBUS_STATE", *dir_ + "/state"}};
  }
  static std::string Admin() { return *dir_ + "/admin.id"; }

  // Runs a command as the user with identity file `identity`.
  static CliResult As(const std::string& identity, CommandFn fn,
                      const std::vector<std::string>& args) {
    return RunCli(fn, args, EnvFor(identity));
  }

  // A new identity file for `handle` (not on the allowlist yet).
  static std::string NewIdentity(const std::string& handle) {
    std::string path = absl::StrCat(*dir_, "/", handle, ".id");
    EXPECT_TRUE(common::Identity::Generate().Save(path).ok());
    return path;
  }

  // A new identity that the admin put on the allowlist with `unibus user add --from-file`.
  static std::string NewUser(const std::string& handle) {
    std::string path = NewIdentity(handle);
    CliResult r = As(Admin(), &RunUserCommand, {"add", "--from-file", path, "--handle", handle});
    EXPECT_EQ(r.code, kExitOk) << Describe(r);
    return path;
  }

  // `owner` creates a room called `name` and adds `members`; returns its id.
  static std::string NewRoom(const std::string& owner, const std::string& name,
                             const std::vector<std::string>& members) {
    CliResult r = As(owner, &RunRoomCommand, {"create", name});
    EXPECT_EQ(r.code, kExitOk) << Describe(r);
    std::string room_id(absl::StripAsciiWhitespace(r.out));
    for (const std::string& m : members) {
      CliResult added = As(owner, &RunRoomCommand, {"add", name, m});
      EXPECT_EQ(added.code, kExitOk) << Describe(added);
    }
    return room_id;
  }

  static std::string Send(const std::string& who, const std::vector<std::string>& args) {
    CliResult r = As(who, &RunSendCommand, args);
    EXPECT_EQ(r.code, kExitOk) << Describe(r);
    return std::string(absl::StripAsciiWhitespace(r.out));
  }

  static broker_auth::testing::Stack* stack_;
  static std::string* dir_;
};

broker_auth::testing::Stack* CliE2eTest::stack_ = nullptr;
std::string* CliE2eTest::dir_ = nullptr;

TEST_F(CliE2eTest, AdminAddsUsersWhoTalkInAnEncryptedRoom) {
  // Positional keys (as `unibus id show` prints them) and --from-file both work.
  std::string alice = NewIdentity("alice");
  common::Identity alice_id = *common::Identity::Load(alice);
  CliResult added = As(Admin(), &RunUserCommand,
                       {"add", alice_id.sign_pub_hex(), alice_id.kex_pub_hex(), "--handle",
                        "alice", "--json"});
  ASSERT_EQ(added.code, kExitOk) << Describe(added);
  EXPECT_EQ(JsonLines(added.out).at(0)["handle"], "alice");
  EXPECT_EQ(JsonLines(added.out).at(0)["role"], "member");
  std::string bob = NewUser("bob");

  CliResult users = As(Admin(), &RunUserCommand, {"list", "--json"});
  ASSERT_EQ(users.code, kExitOk) << Describe(users);
  std::vector<std::string> handles;
  for (const nlohmann::json& u : JsonLines(users.out)) handles.push_back(u["handle"]);
  EXPECT_THAT(handles, ::testing::IsSupersetOf({"admin", "alice", "bob"}));

  CliResult created = As(alice, &RunRoomCommand, {"create", "general", "--json"});
  ASSERT_EQ(created.code, kExitOk) << Describe(created);
  nlohmann::json room = JsonLines(created.out).at(0);
  EXPECT_EQ(room["encrypted"], true);
  EXPECT_EQ(room["signed_frames"], true);
  const std::string room_id = room["room_id"];
  // ROOM by name.
  CliResult add_bob = As(alice, &RunRoomCommand, {"add", "general", "bob"});
  ASSERT_EQ(add_bob.code, kExitOk) << Describe(add_bob);
  CliResult members = As(alice, &RunRoomCommand, {"members", "general", "--json"});
  ASSERT_EQ(members.code, kExitOk) << Describe(members);
  EXPECT_EQ(JsonLines(members.out).size(), 2u);

  const std::string hello = Send(alice, {"general", "hello bob"});
  CliResult got = As(bob, &RunRecvCommand,
                     {"general", "--count", "1", "--history", "--json", "--timeout", "20"});
  ASSERT_EQ(got.code, kExitOk) << Describe(got);
  std::vector<nlohmann::json> bob_saw = JsonLines(got.out);
  ASSERT_EQ(bob_saw.size(), 1u);
  EXPECT_EQ(bob_saw[0]["text"], "hello bob");
  EXPECT_EQ(bob_saw[0]["id"], hello);
  EXPECT_EQ(bob_saw[0]["sender"], alice_id.sign_pub_hex());
  EXPECT_EQ(bob_saw[0]["handle"], "alice");
  EXPECT_EQ(bob_saw[0]["room_id"], room_id);
  EXPECT_EQ(bob_saw[0]["signed"], true);

  // Bob replies and reacts (ROOM by id); alice sees all three, replies and reactions linked.
  Send(bob, {room_id, "hi alice", "--reply-to", hello});
  Send(bob, {room_id, "--react", "+1", "--to", hello});
  CliResult alice_got = As(alice, &RunRecvCommand,
                           {"general", "--history", "--count", "3", "--json", "--timeout", "20"});
  ASSERT_EQ(alice_got.code, kExitOk) << Describe(alice_got);
  std::vector<nlohmann::json> seen = JsonLines(alice_got.out);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1]["type"], "reply");
  EXPECT_EQ(seen[1]["reply_to"], hello);
  EXPECT_EQ(seen[1]["handle"], "bob");
  EXPECT_EQ(seen[2]["type"], "reaction");
  EXPECT_EQ(seen[2]["reaction"], "+1");

  CliResult text = As(alice, &RunRecvCommand, {"general", "--history", "--count", "3"});
  ASSERT_EQ(text.code, kExitOk) << Describe(text);
  EXPECT_THAT(text.out, HasSubstr("] alice: hello bob\n"));
  EXPECT_THAT(text.out, HasSubstr("] bob (reply to alice \"hello bob\"): hi alice\n"));
  EXPECT_THAT(text.out, HasSubstr("] bob reacted +1 to alice \"hello bob\"\n"));

  // A new key, then bob removed (and the room moved to yet another key): he is out.
  CliResult rekeyed = As(alice, &RunRoomCommand, {"rekey", "general", "--json"});
  ASSERT_EQ(rekeyed.code, kExitOk) << Describe(rekeyed);
  EXPECT_EQ(JsonLines(rekeyed.out).at(0)["epoch"], 2);
  CliResult removed = As(alice, &RunRoomCommand, {"remove", "general", "bob", "--json"});
  ASSERT_EQ(removed.code, kExitOk) << Describe(removed);
  EXPECT_EQ(JsonLines(removed.out).at(0)["epoch"], 3);
  CliResult gone = As(bob, &RunSendCommand, {room_id, "still here?"});
  EXPECT_EQ(gone.code, kExitNotFound) << Describe(gone);
  Send(alice, {"general", "after bob"});
}

TEST_F(CliE2eTest, RecvResumesWhereItStoppedAndTimesOut) {
  std::string owner = NewUser("rita");
  std::string reader = NewUser("ray");
  NewRoom(owner, "resume", {"ray"});

  // The first time, recv waits for new messages.
  BackgroundCli first(&RunRecvCommand, {"resume", "--count", "1", "--timeout", "30"},
                      EnvFor(reader));
  ASSERT_TRUE(first.WaitForErr("listening on room resume"));
  Send(owner, {"resume", "one"});
  CliResult r = first.Finish();
  ASSERT_EQ(r.code, kExitOk) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr("] rita: one\n"));

  // Sent while nobody listened: the next recv starts right after "one".
  Send(owner, {"resume", "two"});
  Send(owner, {"resume", "three"});
  r = As(reader, &RunRecvCommand, {"resume", "--count", "2", "--timeout", "20", "--json"});
  ASSERT_EQ(r.code, kExitOk) << Describe(r);
  std::vector<nlohmann::json> got = JsonLines(r.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0]["text"], "two");
  EXPECT_EQ(got[1]["text"], "three");

  // Nothing new: --count with a timeout is exit code 4, without --count a normal end.
  r = As(reader, &RunRecvCommand, {"resume", "--count", "1", "--timeout", "1"});
  EXPECT_EQ(r.code, kExitTimeout) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("timed out after 1s: got 0 of 1 messages"));
  r = As(reader, &RunRecvCommand, {"resume", "--timeout", "0.5"});
  EXPECT_EQ(r.code, kExitOk) << Describe(r);
  EXPECT_EQ(r.out, "");

  // After leaving, the room is gone for the reader.
  r = As(reader, &RunRoomCommand, {"leave", "resume"});
  ASSERT_EQ(r.code, kExitOk) << Describe(r);
  r = As(reader, &RunRecvCommand, {"resume", "--timeout", "1"});
  EXPECT_EQ(r.code, kExitNotFound) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("not a member of room resume"));
}

TEST_F(CliE2eTest, ChatShowsNumberedMessagesAndRepliesAndReactsToThem) {
  std::string owner = NewUser("cleo");
  std::string guest = NewUser("gus");
  std::string room_id = NewRoom(owner, "lounge", {"gus"});
  Send(owner, {"lounge", "ping"});

  BackgroundCli chat(&RunChatCommand, {"lounge", "--history"}, EnvFor(guest));
  ASSERT_TRUE(chat.WaitForOut("] cleo: ping\n")) << chat.Finish().err;
  chat.Type("/reply 1 pong");
  ASSERT_TRUE(chat.WaitForOut("] gus (reply to #1): pong\n"));
  chat.Type("/react 1 :)");
  ASSERT_TRUE(chat.WaitForOut("] gus reacted :) to #1\n"));
  chat.Type("/react 9 :(");
  ASSERT_TRUE(chat.WaitForErr("no message #9 yet"));
  chat.Type("plain words");
  ASSERT_TRUE(chat.WaitForOut("#4 ["));
  chat.Type("/quit");
  CliResult r = chat.Finish();
  EXPECT_EQ(r.code, kExitOk) << Describe(r);

  CliResult seen = As(owner, &RunRecvCommand,
                      {room_id, "--history", "--count", "4", "--json", "--timeout", "20"});
  ASSERT_EQ(seen.code, kExitOk) << Describe(seen);
  std::vector<nlohmann::json> got = JsonLines(seen.out);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1]["type"], "reply");
  EXPECT_EQ(got[1]["reply_to"], got[0]["id"]);
  EXPECT_EQ(got[2]["type"], "reaction");
  EXPECT_EQ(got[3]["text"], "plain words");
}

TEST_F(CliE2eTest, ErrorsSayWhatFailedWithTheirExitCodes) {
  std::string owner = NewUser("olga");
  std::string outsider = NewUser("carol");
  std::string room_id = NewRoom(owner, "private", {});
  Send(owner, {"private", "members only"});

  // Not a member: exit 5, for a room id and for a room name alike.
  CliResult r = As(outsider, &RunRecvCommand, {room_id, "--count", "1", "--timeout", "5"});
  EXPECT_EQ(r.code, kExitNotFound) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("not a member of room " + room_id + " (or it does not exist)"));
  r = As(outsider, &RunSendCommand, {room_id, "let me in"});
  EXPECT_EQ(r.code, kExitNotFound) << Describe(r);
  r = As(outsider, &RunSendCommand, {"private", "let me in"});
  EXPECT_EQ(r.code, kExitNotFound) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("not a member of room private"));
  r = As(owner, &RunRoomCommand, {"add", "private", "nobody-by-that-name"});
  EXPECT_EQ(r.code, kExitNotFound) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("no user \"nobody-by-that-name\""));

  // Not allowed: a member may not list users (exit 6); re-adding a user changes nothing (1).
  r = As(owner, &RunUserCommand, {"list"});
  EXPECT_EQ(r.code, kExitDenied) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("permission denied"));
  r = As(Admin(), &RunUserCommand, {"add", "--from-file", outsider, "--handle", "carol2"});
  EXPECT_EQ(r.code, kExitOther) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("already exists"));

  // Revoked: exit 6, on the very next call.
  std::string revoked = NewUser("dave");
  ASSERT_EQ(As(revoked, &RunRoomCommand, {"list"}).code, kExitOk);
  r = As(Admin(), &RunUserCommand, {"revoke", "dave"});
  ASSERT_EQ(r.code, kExitOk) << Describe(r);
  r = As(revoked, &RunRoomCommand, {"list"});
  EXPECT_EQ(r.code, kExitDenied) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("this identity has been revoked"));

  // Never added: exit 6, with the command that would add it.
  std::string stranger = NewIdentity("eve");
  r = As(stranger, &RunRecvCommand, {room_id});
  EXPECT_EQ(r.code, kExitDenied) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("this identity is not on the allowlist (ask an admin to run "
                               "`unibus user add " +
                               common::Identity::Load(stranger)->sign_pub_hex()));

  // A corrupt identity file: exit 3, and the file is left alone.
  std::string corrupt = *dir_ + "/corrupt.id";
  std::ofstream(corrupt) << "SUAAAA\n";
  ASSERT_EQ(chmod(corrupt.c_str(), 0600), 0);
  r = As(corrupt, &RunRoomCommand, {"list"});
  EXPECT_EQ(r.code, kExitFile) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("identity file " + corrupt + " is corrupt"));

  // Servers down: exit 7, naming the address.
  Env env = EnvFor(owner);
  env["UNIBUS_CONTROL"] = "127.0.0.1:1";
  r = RunCli(&RunRoomCommand, {"list"}, env);
  EXPECT_EQ(r.code, kExitUnreachable) << Describe(r);
  EXPECT_THAT(r.err, StartsWith("unibus: cannot reach unibusd at 127.0.0.1:1"));
  env = EnvFor(owner);
  env["UNIBUS_NATS"] = "nats://127.0.0.1:1";
  r = RunCli(&RunSendCommand, {"private", "hello?"}, env);
  EXPECT_EQ(r.code, kExitUnreachable) << Describe(r);
  EXPECT_THAT(r.err, StartsWith("unibus: cannot reach nats-server at nats://127.0.0.1:1"));
}

TEST_F(CliE2eTest, FilesTravelInMessagesAndByToken) {
  std::string owner = NewUser("fiona");
  std::string reader = NewUser("fred");
  std::string outsider = NewUser("oscar");
  const std::string room_id = NewRoom(owner, "files", {"fred"});
  const std::string report = *dir_ + "/report.pdf";
  const std::string bytes = WriteRandomFile(report, 300 << 10);
  const std::string saved = *dir_ + "/fred-files";

  // send --file: the frame announces address, size and name; the key never shows.
  CliResult sent = As(owner, &RunSendCommand,
                      {"files", "the report", "--file", report, "--content-type",
                       "application/pdf", "--json"});
  ASSERT_EQ(sent.code, kExitOk) << Describe(sent);
  nlohmann::json announced = JsonLines(sent.out).at(0)["blob"];
  EXPECT_EQ(announced["name"], "report.pdf");
  EXPECT_EQ(announced["size"], bytes.size());
  EXPECT_EQ(announced["content_type"], "application/pdf");
  EXPECT_EQ(announced["address"].get<std::string>().size(), 64u);
  EXPECT_FALSE(announced.contains("key"));

  // recv saves an identical file and says where.
  CliResult got = As(reader, &RunRecvCommand,
                     {"files", "--history", "--count", "1", "--timeout", "30", "--files-dir",
                      saved});
  ASSERT_EQ(got.code, kExitOk) << Describe(got);
  EXPECT_THAT(got.out, HasSubstr("] fiona: the report [file report.pdf, 300.0 KiB] saved to " +
                                 saved + "/report.pdf\n"));
  EXPECT_EQ(ReadFileOrEmpty(saved + "/report.pdf"), bytes);

  // Again: the identical file already there is reused, not copied.
  got = As(reader, &RunRecvCommand,
           {"files", "--history", "--count", "1", "--timeout", "30", "--files-dir", saved});
  ASSERT_EQ(got.code, kExitOk) << Describe(got);
  EXPECT_THAT(got.out, HasSubstr("saved to " + saved + "/report.pdf\n"));
  EXPECT_FALSE(Exists(saved + "/report (1).pdf"));

  // A different file under that name: a new name, the first file untouched; --json gives the
  // path and a token.
  std::ofstream(saved + "/report.pdf", std::ios::trunc) << "the user's own report";
  ASSERT_EQ(chmod((saved + "/report.pdf").c_str(), 0644), 0);
  got = As(reader, &RunRecvCommand,
           {"files", "--history", "--count", "1", "--timeout", "30", "--files-dir", saved,
            "--json"});
  ASSERT_EQ(got.code, kExitOk) << Describe(got);
  nlohmann::json line = JsonLines(got.out).at(0);
  EXPECT_EQ(line["saved_to"], saved + "/report (1).pdf");
  EXPECT_EQ(ReadFileOrEmpty(saved + "/report (1).pdf"), bytes);
  EXPECT_EQ(ReadFileOrEmpty(saved + "/report.pdf"), "the user's own report");
  struct stat st;
  ASSERT_EQ(stat((saved + "/report (1).pdf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((saved + "/report.pdf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);  // not rewritten

  // The token from recv fetches the same bytes; -o never replaces a file.
  const std::string token = line["blob_token"];
  CliResult fetched = As(reader, &RunBlobCommand, {"get", token, "-o", *dir_ + "/copy.pdf"});
  ASSERT_EQ(fetched.code, kExitOk) << Describe(fetched);
  EXPECT_EQ(ReadFileOrEmpty(*dir_ + "/copy.pdf"), bytes);
  fetched = As(reader, &RunBlobCommand, {"get", token, "-o", *dir_ + "/copy.pdf"});
  EXPECT_EQ(fetched.code, kExitFile) << Describe(fetched);
  EXPECT_THAT(fetched.err, HasSubstr("already exists"));

  // --no-files: nothing downloaded.
  got = As(reader, &RunRecvCommand,
           {"files", "--history", "--count", "1", "--timeout", "30", "--no-files", "--json"});
  ASSERT_EQ(got.code, kExitOk) << Describe(got);
  EXPECT_FALSE(JsonLines(got.out).at(0).contains("saved_to"));
  EXPECT_FALSE(Exists(saved + "/report (2).pdf"));

  // blob put + blob get: to a file, into a directory (under its own name), to stdout.
  CliResult put = As(owner, &RunBlobCommand,
                     {"put", room_id, report, "--name", "../../renamed.bin", "--json"});
  ASSERT_EQ(put.code, kExitOk) << Describe(put);
  nlohmann::json uploaded = JsonLines(put.out).at(0);
  const std::string put_token = uploaded["token"];
  EXPECT_EQ(uploaded["room_id"], room_id);
  EXPECT_EQ(uploaded["blob"]["size"], bytes.size());
  ASSERT_TRUE(DecodeBlobToken(put_token).ok());
  fetched = As(reader, &RunBlobCommand, {"get", put_token, "-o", saved, "--json"});
  ASSERT_EQ(fetched.code, kExitOk) << Describe(fetched);
  EXPECT_EQ(JsonLines(fetched.out).at(0)["saved_to"], saved + "/renamed.bin");
  EXPECT_EQ(ReadFileOrEmpty(saved + "/renamed.bin"), bytes);
  // A hostile name is saved harmlessly.
  put = As(owner, &RunBlobCommand, {"put", "files", report, "--name", ".bashrc", "--json"});
  ASSERT_EQ(put.code, kExitOk) << Describe(put);
  fetched = As(reader, &RunBlobCommand,
               {"get", JsonLines(put.out).at(0)["token"].get<std::string>(), "-o", saved});
  ASSERT_EQ(fetched.code, kExitOk) << Describe(fetched);
  EXPECT_EQ(absl::StripAsciiWhitespace(fetched.out), saved + "/_.bashrc");
  EXPECT_EQ(ReadFileOrEmpty(saved + "/_.bashrc"), bytes);
  // A sender's library strips directories, but a hostile peer's frame need not come from it: a
  // reference naming "../../escaped.bin" still lands in the chosen directory.
  absl::StatusOr<v1::BlobLink> link = DecodeBlobToken(put_token);
  ASSERT_TRUE(link.ok());
  v1::BlobRef hostile = link->blob();
  hostile.set_name("../../escaped.bin");
  fetched = As(reader, &RunBlobCommand, {"get", EncodeBlobToken(room_id, hostile), "-o", saved});
  ASSERT_EQ(fetched.code, kExitOk) << Describe(fetched);
  EXPECT_EQ(absl::StripAsciiWhitespace(fetched.out), saved + "/escaped.bin");
  EXPECT_EQ(ReadFileOrEmpty(saved + "/escaped.bin"), bytes);
  fetched = As(reader, &RunBlobCommand, {"get", put_token, "-o", "-"});
  ASSERT_EQ(fetched.code, kExitOk) << Describe(fetched);
  EXPECT_TRUE(fetched.out == bytes) << "stdout differs from the file";

  // Not a member: exit 5. A missing file: exit 3.
  CliResult denied = As(outsider, &RunBlobCommand, {"get", put_token, "-o", *dir_ + "/x"});
  EXPECT_EQ(denied.code, kExitNotFound) << Describe(denied);
  EXPECT_THAT(denied.err, HasSubstr("or you are not a member of it"));
  EXPECT_FALSE(Exists(*dir_ + "/x"));
  CliResult missing = As(owner, &RunSendCommand, {"files", "--file", *dir_ + "/no-such.pdf"});
  EXPECT_EQ(missing.code, kExitFile) << Describe(missing);
  EXPECT_THAT(missing.err, HasSubstr("no file " + *dir_ + "/no-such.pdf"));
}

TEST_F(CliE2eTest, TamperedFileIsReportedAndRecvGoesOn) {
  std::string owner = NewUser("tara");
  std::string reader = NewUser("tom");
  const std::string room_id = NewRoom(owner, "tamper", {"tom"});
  const std::string file = *dir_ + "/ledger.csv";
  WriteRandomFile(file, 64 << 10);
  CliResult sent = As(owner, &RunSendCommand, {"tamper", "--file", file, "--json"});
  ASSERT_EQ(sent.code, kExitOk) << Describe(sent);
  Send(owner, {"tamper", "after the file"});

  // Flip one byte of the stored ciphertext (unibusd's disk layout: rooms/ROOM/ADDRESS).
  const std::string address = JsonLines(sent.out).at(0)["blob"]["address"];
  const std::string stored = stack_->control().blob_dir() + "/rooms/" + room_id + "/" + address;
  std::string ciphertext = ReadFileOrEmpty(stored);
  ASSERT_GT(ciphertext.size(), 1000u) << stored;
  ciphertext[1000] ^= 1;
  std::ofstream(stored, std::ios::binary | std::ios::trunc) << ciphertext;

  const std::string saved = *dir_ + "/tom-files";
  CliResult got = As(reader, &RunRecvCommand,
                     {"tamper", "--history", "--count", "2", "--timeout", "30", "--files-dir",
                      saved});
  EXPECT_EQ(got.code, kExitIntegrity) << Describe(got);
  EXPECT_THAT(got.out, HasSubstr("[file ledger.csv, 64.0 KiB] not saved: integrity check failed"));
  EXPECT_THAT(got.out, HasSubstr("] tara: after the file\n"));  // recv went on
  EXPECT_THAT(got.err, HasSubstr("integrity check failed for ledger.csv"));
  EXPECT_FALSE(Exists(saved + "/ledger.csv"));

  got = As(reader, &RunRecvCommand,
           {"tamper", "--history", "--count", "2", "--timeout", "30", "--files-dir", saved,
            "--json"});
  EXPECT_EQ(got.code, kExitIntegrity) << Describe(got);
  nlohmann::json line = JsonLines(got.out).at(0);
  EXPECT_EQ(line["download_exit_code"], kExitIntegrity);
  CliResult fetched =
      As(reader, &RunBlobCommand, {"get", line["blob_token"].get<std::string>(), "-o", saved});
  EXPECT_EQ(fetched.code, kExitIntegrity) << Describe(fetched);
  EXPECT_FALSE(Exists(saved + "/ledger.csv"));
}

TEST_F(CliE2eTest, ChatSendsFilesAndSavesThemOnRequest) {
  std::string owner = NewUser("cora");
  std::string guest = NewUser("gil");
  NewRoom(owner, "chatfiles", {"gil"});
  const std::string notes = *dir_ + "/chat notes.txt";
  std::ofstream(notes) << "hello file";
  const std::string saved = *dir_ + "/gil-files";

  BackgroundCli chat(&RunChatCommand, {"chatfiles", "--files-dir", saved}, EnvFor(guest));
  ASSERT_TRUE(chat.WaitForErr("chat in room")) << chat.Finish().err;
  chat.Type("/file " + notes);
  ASSERT_TRUE(chat.WaitForOut("] gil: [file chat notes.txt, 10 B]\n")) << chat.Finish().err;
  chat.Type("/save 1");
  ASSERT_TRUE(chat.WaitForErr("saved the file of #1 to " + saved + "/chat notes.txt\n"));
  std::ofstream(saved + "/chat notes.txt", std::ios::trunc) << "edited meanwhile";
  chat.Type("/save 1");
  ASSERT_TRUE(chat.WaitForErr("saved the file of #1 to " + saved + "/chat notes (1).txt\n"));
  chat.Type("/save 1");  // the same bytes again: reused
  ASSERT_TRUE(chat.WaitForErr("saved the file of #1 to " + saved + "/chat notes (1).txt\n"));
  chat.Type("/save 9");
  ASSERT_TRUE(chat.WaitForErr("message #9 carries no file"));
  chat.Type("/file " + *dir_ + "/absent.txt");
  ASSERT_TRUE(chat.WaitForErr("no file " + *dir_ + "/absent.txt"));
  chat.Type("/quit");
  CliResult r = chat.Finish();
  EXPECT_EQ(r.code, kExitOk) << Describe(r);
  EXPECT_EQ(ReadFileOrEmpty(saved + "/chat notes.txt"), "edited meanwhile");
  EXPECT_EQ(ReadFileOrEmpty(saved + "/chat notes (1).txt"), "hello file");
  EXPECT_FALSE(Exists(saved + "/chat notes (2).txt"));
}

}  // namespace
}  // namespace unibus::client::cli
