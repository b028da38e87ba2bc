// The commands' arguments, help texts and local failures, without any server: usage errors,
// missing settings, bad identity or CA files, and a unibusd that is not there.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "client/cli/blob_command.h"
#include "client/cli/blob_token.h"
#include "client/cli/chat_command.h"
#include "client/cli/cli_testing.h"
#include "client/cli/connection.h"
#include "client/cli/exit_code.h"
#include "client/cli/recv_command.h"
#include "client/cli/room_command.h"
#include "client/cli/send_command.h"
#include "client/cli/user_command.h"
#include "common/crypto/cert.h"
#include "common/crypto/identity.h"
#include "common/testing/child_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace unibus::client::cli {
namespace {

using common::testing::ReadFileOrEmpty;
using testing::NewTempDir;

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::CliResult;
using testing::Env;
using testing::RunCli;

// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A complete environment whose servers are not there: a valid identity and CA file, closed ports.
class OfflineEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTempDir("commands_test");
    identity_ = dir_ + "/me.id";
    ASSERT_TRUE(common::Identity::Generate().Save(identity_).ok());
    ca_ = dir_ + "/ca.pem";
    std::ofstream(ca_) << common::MakeClientCertificate(common::Identity::Generate())->cert_pem;
    control_ = absl::StrCat("127.0.0.1:", ClosedPort());
    nats_ = absl::StrCat("nats://127.0.0.1:", ClosedPort());
  }
  Env Complete() const {
    return {{"UNIBUS_CONTROL", control_}, {"UNIBUS_NATS", nats_},     {"UNIBUS_CA", ca_},
            {"UNIBUS_IDENTITY", identity_}, {"UNIBUS_STATE", dir_ + "/state"}, {"HOME", dir_}};
  }

  std::string dir_, identity_, ca_, control_, nats_;
};

struct Case {
  CommandFn fn;
  std::vector<std::string> args;
};

const std::string kKey(64, 'a');
const std::string kFrame = kKey + ":12";

TEST(CommandsTest, HelpForEveryCommandGoesToStdout) {
  const std::vector<std::pair<Case, std::string>> cases = {
      {{&RunUserCommand, {"--help"}}, "unibus user add"},
      {{&RunUserCommand, {"help"}}, "unibus user revoke"},
      {{&RunUserCommand, {"add", "-h"}}, "unibus user add"},
      {{&RunRoomCommand, {"--help"}}, "unibus room create"},
      {{&RunRoomCommand, {"rekey", "--help"}}, "unibus room rekey"},
      {{&RunSendCommand, {"--help"}}, "unibus send ROOM TEXT"},
      {{&RunRecvCommand, {"--help"}}, "--count N"},
      {{&RunChatCommand, {"--help"}}, "/reply N TEXT"},
      {{&RunSendCommand, {"--help"}}, "--file PATH"},
      {{&RunRecvCommand, {"--help"}}, "--files-dir DIR"},
      {{&RunBlobCommand, {"--help"}}, "unibus blob put ROOM FILE"},
      {{&RunBlobCommand, {"get", "--help"}}, "THE TOKEN IS A SECRET"},
  };
  for (const auto& [c, needle] : cases) {
    CliResult r = RunCli(c.fn, c.args, {});
    EXPECT_EQ(r.code, kExitOk) << ::testing::PrintToString(c.args);
    EXPECT_THAT(r.out, HasSubstr(needle)) << ::testing::PrintToString(c.args);
    EXPECT_THAT(r.out, HasSubstr("UNIBUS_CONTROL")) << ::testing::PrintToString(c.args);
    EXPECT_EQ(r.err, "");
  }
}

TEST(CommandsTest, UsageErrorsExitTwoAndShowTheUsage) {
  const std::vector<Case> cases = {
      {&RunUserCommand, {}},
      {&RunUserCommand, {"frobnicate"}},
      {&RunUserCommand, {"add", kKey, kKey}},
      {&RunUserCommand, {"add", kKey, kKey, "--handle", "x", "--role", "boss"}},
      {&RunUserCommand, {"add", "nothex", kKey, "--handle", "x"}},
      {&RunUserCommand, {"add", kKey, "--handle", "x"}},
      {&RunUserCommand, {"add", "--from-file", "f", kKey, kKey, "--handle", "x"}},
      {&RunUserCommand, {"revoke"}},
      {&RunUserCommand, {"list", "extra"}},
      {&RunRoomCommand, {}},
      {&RunRoomCommand, {"create"}},
      {&RunRoomCommand, {"create", "a", "--encrypted"}},
      {&RunRoomCommand, {"add", "room"}},
      {&RunRoomCommand, {"members"}},
      {&RunRoomCommand, {"leave", "a", "b"}},
      {&RunSendCommand, {}},
      {&RunSendCommand, {"room"}},
      {&RunSendCommand, {"room", ""}},
      {&RunSendCommand, {"room", "text", "more"}},
      {&RunSendCommand, {"room", "--react", "+1"}},
      {&RunSendCommand, {"room", "text", "--react", "+1", "--to", kFrame}},
      {&RunSendCommand, {"room", "--react", "+1", "--to", "not-a-frame"}},
      {&RunSendCommand, {"room", "text", "--to", kFrame}},
      {&RunSendCommand, {"room", "text", "--reply-to", kKey}},
      {&RunRecvCommand, {}},
      {&RunRecvCommand, {"room", "--count", "0"}},
      {&RunRecvCommand, {"room", "--count", "many"}},
      {&RunRecvCommand, {"room", "--timeout", "-1"}},
      {&RunRecvCommand, {"room", "--timeout"}},
      {&RunChatCommand, {}},
      {&RunChatCommand, {"a", "b"}},
      {&RunSendCommand, {"room", "--name", "x"}},
      {&RunSendCommand, {"room", "text", "--content-type", "text/plain"}},
      {&RunSendCommand, {"room", "--file", ""}},
      {&RunSendCommand, {"room", "--file", "f", "--react", "+1", "--to", kFrame}},
      {&RunRecvCommand, {"room", "--no-files", "--files-dir", "d"}},
      {&RunBlobCommand, {}},
      {&RunBlobCommand, {"fetch"}},
      {&RunBlobCommand, {"put", "room"}},
      {&RunBlobCommand, {"put", "room", "file", "more"}},
      {&RunBlobCommand, {"get"}},
      {&RunBlobCommand, {"get", "t1", "t2"}},
      {&RunBlobCommand, {"get", "-x", "t"}},
      {&RunBlobCommand, {"get", "not-a-token"}},
      {&RunBlobCommand, {"get", "ubblob1:AAAA"}},
      {&RunBlobCommand, {"get", EncodeBlobToken(std::string(32, 'a'), {}), "-o", "x"}},
  };
  for (const Case& c : cases) {
    CliResult r = RunCli(c.fn, c.args, {});
    EXPECT_EQ(r.code, kExitUsage) << ::testing::PrintToString(c.args) << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("usage:")) << ::testing::PrintToString(c.args);
    EXPECT_EQ(r.out, "") << ::testing::PrintToString(c.args);
  }
}

TEST_F(OfflineEnv, MissingSettingsAreUsageErrorsNamingTheVariable) {
  for (const char* variable : {"UNIBUS_CONTROL", "UNIBUS_NATS", "UNIBUS_CA"}) {
    Env env = Complete();
    env.erase(variable);
    CliResult r = RunCli(&RunRoomCommand, {"list"}, env);
    EXPECT_EQ(r.code, kExitUsage) << variable;
    EXPECT_THAT(r.err, HasSubstr(variable));
    EXPECT_THAT(r.err, HasSubstr(".unibus/env"));
  }
}

TEST_F(OfflineEnv, FlagsOverrideTheEnvironment) {
  Env env = Complete();
  env["UNIBUS_CONTROL"] = "unused.invalid:1";
  absl::StatusOr<ParsedArgs> args =
      ParsedArgs::Parse({"--control", control_ + ", 127.0.0.2:9", "--state-dir", "/x"},
                        WithConnectionFlags({}));
  ASSERT_TRUE(args.ok());
  Context ctx;
  ctx.getenv = [&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  absl::StatusOr<Settings> s = ResolveSettings(*args, ctx);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->control_urls, (std::vector<std::string>{control_, "127.0.0.2:9"}));
  EXPECT_EQ(s->nats_urls, std::vector<std::string>{nats_});
  EXPECT_EQ(s->identity_path, identity_);
  EXPECT_EQ(s->state_dir, "/x");
  env.erase("UNIBUS_STATE");
  args = ParsedArgs::Parse({}, WithConnectionFlags({}));
  EXPECT_EQ(ResolveSettings(*args, ctx)->state_dir, dir_ + "/.local/state/unibus");
}

TEST_F(OfflineEnv, CorruptIdentityIsAFileErrorAndStaysAsItWas) {
  std::string corrupt = dir_ + "/corrupt.id";
  std::ofstream(corrupt) << "SUnot-a-seed\n";
  ASSERT_EQ(chmod(corrupt.c_str(), 0600), 0);
  Env env = Complete();
  env["UNIBUS_IDENTITY"] = corrupt;
  for (const Case& c : std::vector<Case>{{&RunRoomCommand, {"list"}},
                                         {&RunSendCommand, {"room", "hi"}},
                                         {&RunRecvCommand, {"room"}},
                                         {&RunUserCommand, {"whoami"}}}) {
    CliResult r = RunCli(c.fn, c.args, env);
    EXPECT_EQ(r.code, kExitFile);
    EXPECT_THAT(r.err, HasSubstr("identity file " + corrupt + " is corrupt"));
  }
  EXPECT_EQ(ReadFileOrEmpty(corrupt), "SUnot-a-seed\n");
}

TEST_F(OfflineEnv, MissingIdentityOrCaIsAFileError) {
  Env env = Complete();
  env["UNIBUS_IDENTITY"] = dir_ + "/absent.id";
  CliResult r = RunCli(&RunRoomCommand, {"list"}, env);
  EXPECT_EQ(r.code, kExitFile);
  EXPECT_THAT(r.err, HasSubstr("unibus id new --out " + dir_ + "/absent.id"));

  env = Complete();
  env["UNIBUS_CA"] = dir_ + "/absent.pem";
  r = RunCli(&RunRoomCommand, {"list"}, env);
  EXPECT_EQ(r.code, kExitFile);
  EXPECT_THAT(r.err, HasSubstr("cannot read the CA certificate " + dir_ + "/absent.pem"));

  ASSERT_EQ(chmod(identity_.c_str(), 0644), 0);
  r = RunCli(&RunRoomCommand, {"list"}, Complete());
  EXPECT_EQ(r.code, kExitFile);
  EXPECT_THAT(r.err, HasSubstr("chmod 600"));
}

TEST_F(OfflineEnv, UnreachableControlPlaneExitsSeven) {
  CliResult r = RunCli(&RunRoomCommand, {"list"}, Complete());
  EXPECT_EQ(r.code, kExitUnreachable);
  EXPECT_THAT(r.err, StartsWith("unibus: cannot reach unibusd at " + control_));

  r = RunCli(&RunSendCommand, {"room", "hi", "--json"}, Complete());
  EXPECT_EQ(r.code, kExitUnreachable);
  nlohmann::json j = nlohmann::json::parse(r.err, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.err;
  EXPECT_EQ(j["exit_code"], kExitUnreachable);
  EXPECT_THAT(j["error"].get<std::string>(), HasSubstr("cannot reach unibusd"));
  EXPECT_EQ(r.out, "");
}

TEST_F(OfflineEnv, FileToSendIsCheckedBeforeConnecting) {
  // Missing, a directory, unreadable: exit 3 naming the file, before any server is asked (the
  // ones in this environment are not there, which would be exit 7).
  const std::string absent = dir_ + "/absent.pdf";
  for (const Case& c : std::vector<Case>{{&RunSendCommand, {"room", "--file", absent}},
                                         {&RunSendCommand, {"room", "hi", "--file", absent}},
                                         {&RunBlobCommand, {"put", "room", absent}}}) {
    CliResult r = RunCli(c.fn, c.args, Complete());
    EXPECT_EQ(r.code, kExitFile) << ::testing::PrintToString(c.args) << r.err;
    EXPECT_THAT(r.err, HasSubstr("no file " + absent));
  }
  CliResult r = RunCli(&RunSendCommand, {"room", "--file", dir_}, Complete());
  EXPECT_EQ(r.code, kExitFile);
  EXPECT_THAT(r.err, HasSubstr("is a directory"));

  // Over the limit: exit 3 with the sizes, without reading it (a sparse file).
  const std::string big = dir_ + "/big.bin";
  { std::ofstream create(big); }
  ASSERT_EQ(truncate(big.c_str(), 17 << 20), 0);
  r = RunCli(&RunBlobCommand, {"put", "room", big, "--json"}, Complete());
  EXPECT_EQ(r.code, kExitFile);
  nlohmann::json j = nlohmann::json::parse(r.err, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.err;
  EXPECT_THAT(j["error"].get<std::string>(),
              HasSubstr("17.0 MiB: too large to send (the largest file is 16.0 MiB)"));

  // A readable file gets as far as the (absent) server.
  const std::string small = dir_ + "/small.txt";
  std::ofstream(small) << "hello";
  r = RunCli(&RunSendCommand, {"room", "--file", small}, Complete());
  EXPECT_EQ(r.code, kExitUnreachable) << r.err;
}

TEST_F(OfflineEnv, MalformedTokenIsAUsageErrorBeforeConnecting) {
  CliResult r = RunCli(&RunBlobCommand, {"get", "ubblob1:####"}, Complete());
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("not a valid blob token"));
  // A well-formed one reaches the (absent) server.
  v1::BlobRef ref;
  ref.set_address(std::string(64, 'a'));
  ref.set_key(std::string(32, 'k'));
  r = RunCli(&RunBlobCommand, {"get", EncodeBlobToken(std::string(32, 'b'), ref)}, Complete());
  EXPECT_EQ(r.code, kExitUnreachable) << r.err;
}

}  // namespace
}  // namespace unibus::client::cli
