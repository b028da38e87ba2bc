#include "client/cli/id_command.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "client/cli/cli_testing.h"
#include "client/cli/context.h"
#include "client/cli/exit_code.h"
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
using ::testing::Not;
using ::unibus::common::Identity;

struct Result {
  int code;
  std::string out;
  std::string err;
};

// Runs `unibus id ARGS` in-process with `env` as the whole environment.
Result RunId(const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env = {}) {
  std::ostringstream out, err;
  Context ctx;
  ctx.out = &out;
  ctx.err = &err;
  ctx.getenv = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  int code = RunIdCommand(args, ctx);
  return {code, out.str(), err.str()};
}

void WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  std::ofstream(path) << content;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(IdCommandTest, NewShowCertRoundTrip) {
  std::string dir = NewTempDir("id_command_test");
  std::string path = dir + "/me.id";

  Result created = RunId({"new", "--out", path});
  ASSERT_EQ(created.code, kExitOk) << created.err;
  EXPECT_EQ(Mode(path), 0600u);
  absl::StatusOr<Identity> id = Identity::Load(path);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_THAT(created.out, HasSubstr(id->sign_pub_hex()));

  Result shown = RunId({"show", "--identity", path});
  ASSERT_EQ(shown.code, kExitOk) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("sign_pub  " + id->sign_pub_hex()));
  EXPECT_THAT(shown.out, HasSubstr("kex_pub   " + id->kex_pub_hex()));
  EXPECT_THAT(shown.out, HasSubstr("nkey      " + id->nkey_public()));
  EXPECT_EQ(id->nkey_public()[0], 'U');

  Result json = RunId({"show", "--identity", path, "--json"});
  ASSERT_EQ(json.code, kExitOk) << json.err;
  EXPECT_EQ(json.out, "{\"path\":\"" + path + "\",\"sign_pub\":\"" + id->sign_pub_hex() +
                          "\",\"kex_pub\":\"" + id->kex_pub_hex() + "\",\"nkey\":\"" +
                          id->nkey_public() + "\"}\n");

  std::string cert = dir + "/me.pem", key = dir + "/me.key";
  Result exported = RunId({"cert", "--identity", path, "--out-cert", cert, "--out-key", key});
  ASSERT_EQ(exported.code, kExitOk) << exported.err;
  EXPECT_EQ(Mode(key), 0600u);
  EXPECT_THAT(ReadFileOrEmpty(key), HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(common::Ed25519KeyOfCertificate(ReadFileOrEmpty(cert)).value(), id->sign_pub());
}

TEST(IdCommandTest, CertWithoutFilesPrintsCertificateAndKey) {
  std::string path = NewTempDir("id_command_test") + "/me.id";
  ASSERT_EQ(RunId({"new", "--out", path}).code, kExitOk);
  Result exported = RunId({"cert", "--identity", path});
  ASSERT_EQ(exported.code, kExitOk) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("-----BEGIN CERTIFICATE-----"));
  EXPECT_THAT(exported.out, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(common::Ed25519KeyOfCertificate(exported.out).value(),
            Identity::Load(path)->sign_pub());
}

TEST(IdCommandTest, CertReplacesOldFilesAndMakesTheKeyPrivate) {
  std::string dir = NewTempDir("id_command_test");
  std::string path = dir + "/me.id", cert = dir + "/c.pem", key = dir + "/k.pem";
  ASSERT_EQ(RunId({"new", "--out", path}).code, kExitOk);
  WriteFile(cert, "old", 0644);
  WriteFile(key, "old", 0644);
  ASSERT_EQ(RunId({"cert", "--identity", path, "--out-cert", cert, "--out-key", key}).code,
            kExitOk);
  EXPECT_EQ(Mode(key), 0600u);
  EXPECT_THAT(ReadFileOrEmpty(cert), HasSubstr("BEGIN CERTIFICATE"));
}

TEST(IdCommandTest, NewRefusesToOverwrite) {
  std::string path = NewTempDir("id_command_test") + "/me.id";
  ASSERT_EQ(RunId({"new", "--out", path}).code, kExitOk);
  std::string before = ReadFileOrEmpty(path);
  Result again = RunId({"new", "--out", path});
  EXPECT_EQ(again.code, kExitFile);
  EXPECT_THAT(again.err, HasSubstr(path));
  EXPECT_THAT(again.err, HasSubstr("exists"));
  EXPECT_EQ(ReadFileOrEmpty(path), before);
}

TEST(IdCommandTest, CorruptFileIsAFileErrorNamingTheFile) {
  std::string path = NewTempDir("id_command_test") + "/corrupt.id";
  WriteFile(path, "SUthis-is-not-a-seed\n", 0600);
  for (const char* sub : {"show", "cert"}) {
    Result r = RunId({sub, "--identity", path});
    EXPECT_EQ(r.code, kExitFile) << sub;
    EXPECT_THAT(r.err, HasSubstr(path)) << sub;
    EXPECT_THAT(r.err, HasSubstr("not a valid identity file")) << sub;
    EXPECT_EQ(r.out, "") << sub;
  }
  EXPECT_EQ(ReadFileOrEmpty(path), "SUthis-is-not-a-seed\n");  // never silently replaced
}

TEST(IdCommandTest, WorldReadableFileIsRefused) {
  std::string path = NewTempDir("id_command_test") + "/open.id";
  ASSERT_EQ(RunId({"new", "--out", path}).code, kExitOk);
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  Result r = RunId({"show", "--identity", path});
  EXPECT_EQ(r.code, kExitFile);
  EXPECT_THAT(r.err, HasSubstr(path));
  EXPECT_THAT(r.err, HasSubstr("chmod 600"));
  EXPECT_EQ(RunId({"cert", "--identity", path}).code, kExitFile);
}

TEST(IdCommandTest, MissingFileSuggestsIdNew) {
  std::string path = NewTempDir("id_command_test") + "/absent.id";
  Result r = RunId({"show", "--identity", path});
  EXPECT_EQ(r.code, kExitFile);
  EXPECT_THAT(r.err, HasSubstr(path));
  EXPECT_THAT(r.err, HasSubstr("unibus id new --out " + path));
}

TEST(IdCommandTest, IdentityPathFromFlagThenEnvironmentThenHome) {
  std::string dir = NewTempDir("id_command_test");
  std::string from_env = dir + "/env.id", from_flag = dir + "/flag.id";
  std::map<std::string, std::string> env = {{"UNIBUS_IDENTITY", from_env}, {"HOME", dir}};
  ASSERT_EQ(RunId({"new"}, env).code, kExitOk);
  ASSERT_EQ(RunId({"new", "--out", from_flag}, env).code, kExitOk);
  EXPECT_THAT(RunId({"show"}, env).out, HasSubstr(Identity::Load(from_env)->sign_pub_hex()));
  EXPECT_THAT(RunId({"show", "--identity", from_flag}, env).out,
              HasSubstr(Identity::Load(from_flag)->sign_pub_hex()));

  // Without UNIBUS_IDENTITY: ~/.config/unibus/identity, whose directory `new` creates 0700.
  std::map<std::string, std::string> home_only = {{"HOME", dir}};
  Result created = RunId({"new"}, home_only);
  ASSERT_EQ(created.code, kExitOk) << created.err;
  std::string default_path = dir + "/.config/unibus/identity";
  EXPECT_EQ(Mode(dir + "/.config/unibus"), 0700u);
  EXPECT_EQ(Mode(default_path), 0600u);
  Result shown = RunId({"show"}, home_only);
  EXPECT_THAT(shown.out, HasSubstr(Identity::Load(default_path)->sign_pub_hex()));
  EXPECT_THAT(shown.out, Not(HasSubstr(Identity::Load(from_env)->sign_pub_hex())));
}

TEST(IdCommandTest, NoIdentityAnywhereIsAFileError) {
  Result r = RunId({"show"}, {});
  EXPECT_EQ(r.code, kExitFile);
  EXPECT_THAT(r.err, HasSubstr("UNIBUS_IDENTITY"));
}

TEST(IdCommandTest, UsageErrors) {
  std::string path = NewTempDir("id_command_test") + "/me.id";
  ASSERT_EQ(RunId({"new", "--out", path}).code, kExitOk);
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"frobnicate"},
      {"show", "--identty", path},
      {"show", "--identity"},
      {"show", "--identity", path, "extra"},
      {"new", "--json=1"},
      {"cert", "--identity", path, "--out-cert", "c.pem"},
      {"cert", "--identity", path, "--out-key", "k.pem"},
      {"cert", "--identity", path, "--out-cert", "x.pem", "--out-key", "x.pem"},
  };
  for (const std::vector<std::string>& args : bad) {
    Result r = RunId(args);
    EXPECT_EQ(r.code, kExitUsage) << ::testing::PrintToString(args);
    EXPECT_THAT(r.err, HasSubstr("usage:")) << ::testing::PrintToString(args);
  }
}

TEST(IdCommandTest, HelpGoesToStdout) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"help"}, {"--help"}, {"show", "-h"}}) {
    Result r = RunId(args);
    EXPECT_EQ(r.code, kExitOk);
    EXPECT_THAT(r.out, HasSubstr("unibus id new"));
    EXPECT_EQ(r.err, "");
  }
}

}  // namespace
}  // namespace unibus::client::cli
