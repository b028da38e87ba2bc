// unibus-authd: answers nats-server's auth callout from unibusd's room memberships.
// Parses flags and dispatches to broker_auth/cli.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "broker_auth/cli/commands.h"

ABSL_FLAG(std::string, state_dir, "", "directory holding unibus-authd's keys");
ABSL_FLAG(std::string, nats, "nats://127.0.0.1:4222", "serve: NATS URL(s), comma-separated");
ABSL_FLAG(std::string, control, "127.0.0.1:7443",
          "serve: unibusd host:port, or the nodes of a cluster comma-separated (failover)");
ABSL_FLAG(std::string, ca, "", "serve: CA certificate of unibusd (PEM)");
ABSL_FLAG(std::string, nats_ca, "",
          "serve: CA of the nats-servers' TLS client listeners (PEM); set, the links require TLS");
ABSL_FLAG(std::string, nats_config, "", "serve: refuse to start if this nats-server config "
                                        "breaks the hygiene rules");
ABSL_FLAG(std::string, ready_file, "", "serve: write this file once connects are answered");
ABSL_FLAG(int, workers, 4, "serve: threads answering requests");
ABSL_FLAG(int, user_ttl_seconds, 600,
          "serve: lifetime of each connection's permissions (a backstop: changes kick at once)");
ABSL_FLAG(int, history_max_age_days, 30, "serve: room history older than this is dropped");
ABSL_FLAG(int64_t, history_max_bytes, int64_t{8} << 30, "serve: size cap of all room history (when full, new frames are refused; no room's "
          "history is dropped for another's)");
ABSL_FLAG(int64_t, history_max_per_room, 100000,
          "serve: frames kept per room (a full room drops its own oldest)");
ABSL_FLAG(int64_t, history_feeds_per_identity, 1024,
          "serve: history feeds one identity may hold at once (about one per room it reads)");
ABSL_FLAG(int64_t, history_max_consumers, 100000,
          "serve: history feeds (JetStream consumers) of all members together");
ABSL_FLAG(int, history_replicas, 1,
          "serve: copies of the room history in a cluster (1-5; 3 on a three-node cluster)");
ABSL_FLAG(std::string, server_name, "unibus-1", "nats-config: server name");
ABSL_FLAG(int, port, 4222, "nats-config: client port (-1: any free port)");
ABSL_FLAG(int, monitor_port, 0, "nats-config: monitoring port on 127.0.0.1 (0: off)");
ABSL_FLAG(std::string, jetstream_dir, "", "nats-config: JetStream storage directory");
ABSL_FLAG(std::string, ports_file_dir, "", "nats-config: where nats-server writes its ports");
ABSL_FLAG(int, timeout, 2,
          "nats-config: auth callout timeout in seconds (must be 2: authd answers up to 250 ms "
          "before it and re-kicks 2.5 s after a change)");
ABSL_FLAG(std::string, out, "", "nats-config: write the config here instead of stdout; "
                                "route-secret: the secret file to create (0600)");
ABSL_FLAG(std::string, host, "127.0.0.1", "nats-config: client listener address (beyond loopback "
                                          "only with --tls_cert/--tls_key)");
ABSL_FLAG(std::string, tls_cert, "", "nats-config: server certificate (PEM) of the client "
                                     "listener; clients must then use TLS");
ABSL_FLAG(std::string, tls_key, "", "nats-config: key of --tls_cert");
ABSL_FLAG(int64_t, jetstream_max_memory, 0, "nats-config: JetStream memory limit in bytes "
                                            "(0: nats-server's default)");
ABSL_FLAG(int64_t, jetstream_max_file, 0, "nats-config: JetStream disk limit in bytes "
                                          "(0: nats-server's default)");
ABSL_FLAG(std::string, cluster_name, "unibus", "nats-config: cluster name, the same on every node");
ABSL_FLAG(std::string, cluster_host, "127.0.0.1", "nats-config: address routes are accepted on");
ABSL_FLAG(int, cluster_port, 0, "nats-config: route port (with --routes, --route_cert, "
                                "--route_key, --route_ca, --route_secret_file: all or none)");
ABSL_FLAG(std::vector<std::string>, routes, {}, "nats-config: the other nodes' routes, "
                                                "host:port,host:port (own address is ignored)");
ABSL_FLAG(std::string, route_cert, "", "nats-config: this node's route certificate (PEM, "
                                       "serverAuth + clientAuth; see route-cert)");
ABSL_FLAG(std::string, route_key, "", "nats-config: key of --route_cert");
ABSL_FLAG(std::string, route_ca, "", "nats-config: CA that every node's route certificate "
                                     "chains to (routes use mutual TLS, verify: true)");
ABSL_FLAG(std::string, route_secret_file, "", "nats-config: file (0600) holding the route "
                                              "secret every node shares (see route-secret)");
ABSL_FLAG(std::string, ca_dir, "", "route-cert: directory with the CA (ca.pem, ca.key)");
ABSL_FLAG(std::vector<std::string>, route_hosts, std::vector<std::string>({"127.0.0.1", "localhost"}),
          "route-cert: names and addresses of this node in its route certificate");
ABSL_FLAG(std::string, out_dir, "", "route-cert: where route.pem and route.key go");

namespace {

constexpr char kUsage[] = R"(unibus-authd: the NATS auth-callout service of unibus.

  unibus-authd init --state_dir=DIR
  unibus-authd nats-config --state_dir=DIR --jetstream_dir=DIR [--port=4222] [--monitor_port=0]
               [--server_name=unibus-1] [--timeout=2] [--out=FILE]
               [--host=127.0.0.1 --tls_cert=PEM --tls_key=PEM]
               [--cluster_name=unibus --cluster_port=6222 --routes=HOST:PORT,...
                --route_cert=PEM --route_key=PEM --route_ca=PEM --route_secret_file=FILE]
  unibus-authd route-cert --ca_dir=DIR --out_dir=DIR [--route_hosts=127.0.0.1,localhost]
  unibus-authd route-secret --out=FILE
  unibus-authd serve --state_dir=DIR --ca=PEM [--nats=nats://127.0.0.1:4222]
               [--control=127.0.0.1:7443] [--nats_config=FILE] [--workers=4]

Run `unibus-authd --helpfull` for every flag.)";

int RunNatsConfig() {
  unibus::broker_auth::cli::NatsConfigFlags f;
  unibus::broker_auth::config::NatsConfigParams& p = f.params;
  p.server_name = absl::GetFlag(FLAGS_server_name);
  p.host = absl::GetFlag(FLAGS_host);
  p.port = absl::GetFlag(FLAGS_port);
  p.monitor_port = absl::GetFlag(FLAGS_monitor_port);
  p.jetstream_dir = absl::GetFlag(FLAGS_jetstream_dir);
  p.jetstream_max_memory = absl::GetFlag(FLAGS_jetstream_max_memory);
  p.jetstream_max_file = absl::GetFlag(FLAGS_jetstream_max_file);
  p.ports_file_dir = absl::GetFlag(FLAGS_ports_file_dir);
  p.timeout_seconds = absl::GetFlag(FLAGS_timeout);
  p.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  p.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  unibus::broker_auth::config::ClusterParams& c = f.cluster;
  c.name = absl::GetFlag(FLAGS_cluster_name);
  c.host = absl::GetFlag(FLAGS_cluster_host);
  c.port = absl::GetFlag(FLAGS_cluster_port);
  c.routes = absl::GetFlag(FLAGS_routes);
  c.cert_file = absl::GetFlag(FLAGS_route_cert);
  c.key_file = absl::GetFlag(FLAGS_route_key);
  c.ca_file = absl::GetFlag(FLAGS_route_ca);
  f.route_secret_file = absl::GetFlag(FLAGS_route_secret_file);
  f.out_file = absl::GetFlag(FLAGS_out);
  return unibus::broker_auth::cli::NatsConfig(absl::GetFlag(FLAGS_state_dir), f);
}

int RunServe() {
  unibus::broker_auth::cli::ServeFlags f;
  f.state_dir = absl::GetFlag(FLAGS_state_dir);
  f.nats_urls = absl::GetFlag(FLAGS_nats);
  f.nats_ca_file = absl::GetFlag(FLAGS_nats_ca);
  f.control = absl::GetFlag(FLAGS_control);
  f.ca_file = absl::GetFlag(FLAGS_ca);
  f.nats_config = absl::GetFlag(FLAGS_nats_config);
  f.ready_file = absl::GetFlag(FLAGS_ready_file);
  f.workers = absl::GetFlag(FLAGS_workers);
  f.user_ttl = absl::Seconds(absl::GetFlag(FLAGS_user_ttl_seconds));
  f.history.max_age = absl::Hours(24) * absl::GetFlag(FLAGS_history_max_age_days);
  f.history.max_bytes = absl::GetFlag(FLAGS_history_max_bytes);
  f.history.max_msgs_per_room = absl::GetFlag(FLAGS_history_max_per_room);
  f.history.max_consumers = absl::GetFlag(FLAGS_history_max_consumers);
  if (f.history.max_msgs_per_room > 0 &&
      f.history.max_msgs_per_room > f.history.max_bytes / f.history.max_msg_size) {
    std::cerr << "unibus-authd: warning: one room may hold more than the whole history ("
              << f.history.max_msgs_per_room << " frames of up to " << f.history.max_msg_size
              << " bytes > " << f.history.max_bytes
              << " bytes): a member filling its own room would make every room refuse new "
                 "stored frames (docs/security.md, known gaps)\n";
  }
  if (absl::GetFlag(FLAGS_history_feeds_per_identity) < 1) {
    std::cerr << "unibus-authd: --history_feeds_per_identity must be at least 1\n";
    return 2;
  }
  f.feeds_per_identity = static_cast<size_t>(absl::GetFlag(FLAGS_history_feeds_per_identity));
  f.history.replicas = absl::GetFlag(FLAGS_history_replicas);
  if (f.history.replicas < 1 || f.history.replicas > 5) {
    std::cerr << "unibus-authd: --history_replicas must be 1 to 5\n";
    return 2;
  }
  return unibus::broker_auth::cli::Serve(f);
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil checks every mutex acquisition for lock-order cycles (a few % of CPU).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  std::string command = args.size() == 2 ? args[1] : "";
  if (command == "init") return unibus::broker_auth::cli::Init(absl::GetFlag(FLAGS_state_dir));
  if (command == "nats-config") return RunNatsConfig();
  if (command == "serve") return RunServe();
  if (command == "route-cert") {
    return unibus::broker_auth::cli::RouteCert(absl::GetFlag(FLAGS_ca_dir),
                                               absl::GetFlag(FLAGS_route_hosts),
                                               absl::GetFlag(FLAGS_out_dir));
  }
  if (command == "route-secret") return unibus::broker_auth::cli::RouteSecret(absl::GetFlag(FLAGS_out));
  std::cerr << kUsage << "\n";
  return args.size() == 1 || command == "help" ? 0 : 2;
}
