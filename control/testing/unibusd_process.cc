#include "control/testing/unibusd_process.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"
#include "unibus/v1/users.grpc.pb.h"

namespace unibus::control::testing {
namespace {

using common::testing::ReadFileOrEmpty;
using common::testing::RunToCompletion;

}  // namespace

std::string Runfile(const std::string& path) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/unibus/", path);
}

std::string NewTempDir(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", prefix, "-", getpid(), "-",
                                 counter.fetch_add(1));
  mkdir(dir.c_str(), 0700);
  return dir;
}

UnibusdProcess::UnibusdProcess(std::string dir, std::vector<std::string> extra_flags,
                               common::Identity admin)
    : dir_(std::move(dir)),
      db_(dir_ + "/unibusd.db"),
      extra_flags_(std::move(extra_flags)),
      admin_(std::move(admin)) {}

absl::StatusOr<std::unique_ptr<UnibusdProcess>> UnibusdProcess::Start(
    const std::string& dir, std::vector<std::string> extra_flags) {
  std::unique_ptr<UnibusdProcess> p(
      new UnibusdProcess(dir, std::move(extra_flags), common::Identity::Generate()));
  std::string bin = Runfile("control/unibusd");
  std::string log = dir + "/unibusd.log";
  if (RunToCompletion({bin, "dev-certs", "--out_dir=" + dir + "/tls"}, log) != 0) {
    return absl::InternalError("unibusd dev-certs failed: " + ReadFileOrEmpty(log));
  }
  p->ca_pem_ = ReadFileOrEmpty(dir + "/tls/ca.pem");
  std::string id_file = dir + "/admin.id";
  if (absl::Status s = p->admin_.Save(id_file); !s.ok()) return s;
  if (RunToCompletion({bin, "admin", "init", "--db=" + p->db_, "--identity=" + id_file}, log) !=
      0) {
    return absl::InternalError("unibusd admin init failed: " + ReadFileOrEmpty(log));
  }
  if (absl::Status s = p->Launch(); !s.ok()) return s;
  return p;
}

absl::Status UnibusdProcess::Launch() {
  std::string port_file = dir_ + "/port";
  unlink(port_file.c_str());
  std::vector<std::string> args = {
      Runfile("control/unibusd"), "serve",
      absl::StrCat("--listen=127.0.0.1:", port_), "--db=" + db_,
      "--tls_cert=" + dir_ + "/tls/server.pem", "--tls_key=" + dir_ + "/tls/server.key",
      "--port_file=" + port_file};
  args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
  process_.Start(args, dir_ + "/unibusd.log");
  // Readiness: the server writes the port file once it is listening.
  absl::Status s = process_.WaitUntil(
      [&] {
        std::string text = ReadFileOrEmpty(port_file);
        return !text.empty() && text.back() == '\n';
      },
      absl::Seconds(30));
  if (s.ok()) port_ = std::atoi(ReadFileOrEmpty(port_file).c_str());
  return s;
}

void UnibusdProcess::Stop() { process_.Stop(); }

void UnibusdProcess::Crash() { process_.Kill(); }

absl::Status UnibusdProcess::Restart() {
  Stop();
  return Launch();
}

UnibusdProcess::~UnibusdProcess() { Stop(); }

std::string UnibusdProcess::target() const { return absl::StrCat("localhost:", port_); }

std::shared_ptr<grpc::Channel> MutualTlsChannel(const std::string& target,
                                                const std::string& ca_pem,
                                                const common::PemKeyPair& pair) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ca_pem;
  tls.pem_private_key = pair.key_pem;
  tls.pem_cert_chain = pair.cert_pem;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // no connection sharing between peers
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(tls), args);
}

std::shared_ptr<grpc::Channel> UnibusdProcess::ChannelWithCertificate(
    const common::PemKeyPair& pair) const {
  return MutualTlsChannel(target(), ca_pem_, pair);
}

std::shared_ptr<grpc::Channel> UnibusdProcess::ChannelFor(const common::Identity& identity) const {
  return ChannelWithCertificate(common::MakeClientCertificate(identity).value());
}

std::shared_ptr<grpc::Channel> UnibusdProcess::ChannelWithoutCertificate() const {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ca_pem_;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target(), grpc::SslCredentials(tls), args);
}

absl::StatusOr<v1::User> AddUserOver(const std::shared_ptr<grpc::Channel>& admin_channel,
                                     const common::Identity& identity, v1::Role role,
                                     const std::string& handle) {
  auto stub = v1::UserService::NewStub(admin_channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::AddUserRequest request;
  request.set_sign_pub(identity.sign_pub_hex());
  request.set_kex_pub(identity.kex_pub_hex());
  request.set_handle(handle);
  request.set_role(role);
  v1::AddUserResponse response;
  absl::Status s = common::FromGrpcStatus(stub->AddUser(&context, request, &response));
  if (!s.ok()) return s;
  return response.user();
}

absl::StatusOr<v1::User> UnibusdProcess::AddUser(const common::Identity& identity, v1::Role role,
                                                 const std::string& handle) const {
  return AddUserOver(ChannelFor(admin_), identity, role, handle);
}

}  // namespace unibus::control::testing
