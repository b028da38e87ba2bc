#include "broker_auth/testing/cluster.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nats/nats.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/files/files.h"
#include "common/testing/nats_server.h"
#include "control/testing/unibusd_process.h"

namespace unibus::broker_auth::testing {
namespace {

using common::testing::ReadFileOrEmpty;
using control::testing::Runfile;

std::string Unibusd() { return Runfile("control/unibusd"); }
std::string Authd() { return Runfile("broker_auth/unibus-authd"); }

}  // namespace

int PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    socklen_t len = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

int Cluster::Run(const std::vector<std::string>& args) const {
  return common::testing::RunToCompletion(args, dir_ + "/setup.log");
}

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(const std::string& dir, int replicas) {
  nats_Open(-1);
  std::unique_ptr<Cluster> c(new Cluster(dir, replicas));
  mkdir(dir.c_str(), 0700);
  c->authd_dir_ = dir + "/authd";
  const std::string tls = dir + "/tls";
  auto fail = [&](const std::string& what) {
    return absl::InternalError(
        absl::StrCat(what, " failed: ", ReadFileOrEmpty(dir + "/setup.log")));
  };
  if (c->Run({Unibusd(), "dev-certs", "--out_dir=" + tls}) != 0) return fail("dev-certs");
  c->ca_pem_ = ReadFileOrEmpty(tls + "/ca.pem");
  if (c->Run({Authd(), "init", "--state_dir=" + c->authd_dir_}) != 0) return fail("authd init");
  if (c->Run({Authd(), "route-secret", "--out=" + dir + "/route.secret"}) != 0) {
    return fail("route-secret");
  }
  for (int i = 0; i < kNodes; ++i) {
    Node& n = c->nodes_[i];
    n.dir = absl::StrCat(dir, "/node", i + 1);
    mkdir(n.dir.c_str(), 0700);
    n.client_port = PickFreePort();
    n.cluster_port = PickFreePort();
    n.control_port = PickFreePort();
    if (c->Run({Authd(), "route-cert", "--ca_dir=" + tls, "--out_dir=" + n.dir + "/route"}) != 0) {
      return fail("route-cert");
    }
  }
  for (int i = 0; i < kNodes; ++i) {
    if (absl::Status s = c->Configure(i); !s.ok()) return s;
  }
  for (int i = 0; i < kNodes; ++i) {
    if (absl::Status s = c->StartNats(i); !s.ok()) return s;
  }
  // The first admin and authd's service identity: on SQLite, then moved into KV.
  const std::string db = dir + "/bootstrap.db";
  const std::string admin_id = dir + "/admin.id";
  if (absl::Status s = c->admin_.Save(admin_id); !s.ok()) return s;
  if (c->Run({Unibusd(), "admin", "init", "--db=" + db, "--identity=" + admin_id}) != 0) {
    return fail("admin init");
  }
  if (c->Run({Unibusd(), "admin", "add-service", "--db=" + db,
              "--identity=" + c->authd_dir_ + "/service.id"}) != 0) {
    return fail("add-service");
  }
  if (c->Run({Unibusd(), "migrate-to-kv", "--db=" + db, "--nats=" + c->nats_urls(),
              "--nats_identity=" + c->authd_dir_ + "/control.id",
              absl::StrCat("--replicas=", replicas)}) != 0) {
    return fail("migrate-to-kv");
  }
  for (int i = 0; i < kNodes; ++i) {
    if (absl::Status s = c->StartUnibusd(i); !s.ok()) return s;
  }
  for (int i = 0; i < kNodes; ++i) {
    if (absl::Status s = c->StartAuthd(i); !s.ok()) return s;
  }
  return c;
}

Cluster::~Cluster() {
  for (Node& n : nodes_) n.authd.Stop();
  for (Node& n : nodes_) n.unibusd.Stop();
  for (Node& n : nodes_) n.nats.Stop();
}

std::string Cluster::nats_url(int i) const {
  return absl::StrCat("nats://127.0.0.1:", nodes_[i].client_port);
}
std::string Cluster::control_target(int i) const {
  return absl::StrCat("localhost:", nodes_[i].control_port);
}
std::string Cluster::nats_urls(int first) const {
  std::vector<std::string> urls;
  for (int k = 0; k < kNodes; ++k) urls.push_back(nats_url((first + k) % kNodes));
  return absl::StrJoin(urls, ",");
}
std::string Cluster::control_targets(int first) const {
  std::vector<std::string> targets;
  for (int k = 0; k < kNodes; ++k) targets.push_back(control_target((first + k) % kNodes));
  return absl::StrJoin(targets, ",");
}
std::string Cluster::nats_config(int i) const { return nodes_[i].dir + "/nats.conf"; }

absl::Status Cluster::Configure(int i) {
  const Node& n = nodes_[i];
  std::vector<std::string> routes;
  for (int k = 0; k < kNodes; ++k) {
    if (k != i) routes.push_back(absl::StrCat("127.0.0.1:", nodes_[k].cluster_port));
  }
  mkdir((n.dir + "/js").c_str(), 0700);
  if (Run({Authd(), "nats-config", "--state_dir=" + authd_dir_, "--jetstream_dir=" + n.dir + "/js",
           absl::StrCat("--server_name=unibus-", i + 1), absl::StrCat("--port=", n.client_port),
           "--cluster_name=unibus-test", absl::StrCat("--cluster_port=", n.cluster_port),
           "--routes=" + absl::StrJoin(routes, ","), "--route_cert=" + n.dir + "/route/route.pem",
           "--route_key=" + n.dir + "/route/route.key", "--route_ca=" + dir_ + "/tls/ca.pem",
           "--route_secret_file=" + dir_ + "/route.secret", "--out=" + nats_config(i)}) != 0) {
    return absl::InternalError("nats-config failed: " + ReadFileOrEmpty(dir_ + "/setup.log"));
  }
  return absl::OkStatus();
}

absl::Status Cluster::StartNats(int i) {
  Node& n = nodes_[i];
  n.nats.Start({common::testing::NatsServerPath(), "-c", nats_config(i)}, n.dir + "/nats.log");
  // Up once it accepts connections on its client port.
  return n.nats.WaitUntil(
      [&] {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(n.client_port));
        bool up = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
        close(fd);
        return up;
      },
      absl::Seconds(30));
}

absl::Status Cluster::StartUnibusd(int i) {
  Node& n = nodes_[i];
  std::string port_file = n.dir + "/control.port";
  unlink(port_file.c_str());
  n.unibusd.Start({Unibusd(), "serve", "--store=kv", "--nats=" + nats_urls(i),
                   "--nats_identity=" + authd_dir_ + "/control.id",
                   absl::StrCat("--replicas=", replicas_),
                   absl::StrCat("--listen=127.0.0.1:", n.control_port),
                   "--tls_cert=" + dir_ + "/tls/server.pem", "--tls_key=" + dir_ + "/tls/server.key",
                   absl::StrCat("--node_name=node", i + 1), "--port_file=" + port_file},
                  n.dir + "/unibusd.log");
  return n.unibusd.WaitUntil([&] { return !ReadFileOrEmpty(port_file).empty(); },
                             absl::Seconds(60));
}

absl::Status Cluster::StartAuthd(int i) {
  Node& n = nodes_[i];
  std::string ready = n.dir + "/authd.ready";
  unlink(ready.c_str());
  n.authd.Start({Authd(), "serve", "--state_dir=" + authd_dir_, "--nats=" + nats_url(i),
                 "--control=" + control_targets(i), "--ca=" + dir_ + "/tls/ca.pem",
                 "--nats_config=" + nats_config(i), "--ready_file=" + ready,
                 absl::StrCat("--history_replicas=", replicas_)},
                n.dir + "/authd.log");
  return n.authd.WaitUntil([&] { return ReadFileOrEmpty(ready) == "ready\n"; },
                           absl::Seconds(60));
}

void Cluster::KillNode(int i) {
  nodes_[i].authd.Kill();
  nodes_[i].unibusd.Kill();
  nodes_[i].nats.Kill();
}

absl::Status Cluster::StartNode(int i) {
  if (absl::Status s = StartNats(i); !s.ok()) return s;
  if (absl::Status s = StartUnibusd(i); !s.ok()) return s;
  return StartAuthd(i);
}

std::shared_ptr<grpc::Channel> Cluster::ChannelFor(const common::Identity& identity,
                                                   int node) const {
  return control::testing::MutualTlsChannel(control_target(node), ca_pem_,
                                            common::MakeClientCertificate(identity).value());
}

absl::StatusOr<v1::User> Cluster::AddUser(const common::Identity& identity, v1::Role role,
                                          const std::string& handle, int node) const {
  return control::testing::AddUserOver(ChannelFor(admin_, node), identity, role, handle);
}

}  // namespace unibus::broker_auth::testing
