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
ABSL_FLAG(std::string, control, "127.0.0.1:7443", "serve: unibusd host:port");
ABSL_FLAG(std::string, ca, "", "serve: CA certificate of unibusd (PEM)");
ABSL_FLAG(std::string, nats_config, "", "serve: refuse to start if this nats-server config "
                                        "breaks the hygiene rules");
ABSL_FLAG(std::string, ready_file, "", "serve: write this file once connects are answered");
ABSL_FLAG(int, workers, 4, "serve: threads answering requests");
ABSL_FLAG(int, user_ttl_seconds, 3600, "serve: lifetime of each connection's permissions");
ABSL_FLAG(int, history_max_age_days, 30, "serve: room history older than this is dropped");
ABSL_FLAG(int64_t, history_max_bytes, int64_t{8} << 30, "serve: size cap of all room history");
ABSL_FLAG(int64_t, history_max_per_room, 100000, "serve: frames kept per room");
ABSL_FLAG(std::string, server_name, "unibus-1", "nats-config: server name");
ABSL_FLAG(int, port, 4222, "nats-config: client port (-1: any free port)");
ABSL_FLAG(int, monitor_port, 0, "nats-config: monitoring port on 127.0.0.1 (0: off)");
ABSL_FLAG(std::string, jetstream_dir, "", "nats-config: JetStream storage directory");
ABSL_FLAG(std::string, ports_file_dir, "", "nats-config: where nats-server writes its ports");
ABSL_FLAG(int, timeout, 2, "nats-config: auth callout timeout in seconds");
ABSL_FLAG(std::string, out, "", "nats-config: write the config here instead of stdout");

namespace {

constexpr char kUsage[] = R"(unibus-authd: the NATS auth-callout service of unibus.

  unibus-authd init --state_dir=DIR
  unibus-authd nats-config --state_dir=DIR --jetstream_dir=DIR [--port=4222] [--monitor_port=0]
               [--server_name=unibus-1] [--timeout=2] [--out=FILE]
  unibus-authd serve --state_dir=DIR --ca=PEM [--nats=nats://127.0.0.1:4222]
               [--control=127.0.0.1:7443] [--nats_config=FILE] [--workers=4]

Run `unibus-authd --helpfull` for every flag.)";

int RunNatsConfig() {
  unibus::broker_auth::config::NatsConfigParams p;
  p.server_name = absl::GetFlag(FLAGS_server_name);
  p.port = absl::GetFlag(FLAGS_port);
  p.monitor_port = absl::GetFlag(FLAGS_monitor_port);
  p.jetstream_dir = absl::GetFlag(FLAGS_jetstream_dir);
  p.ports_file_dir = absl::GetFlag(FLAGS_ports_file_dir);
  p.timeout_seconds = absl::GetFlag(FLAGS_timeout);
  return unibus::broker_auth::cli::NatsConfig(absl::GetFlag(FLAGS_state_dir), p,
                                              absl::GetFlag(FLAGS_out));
}

int RunServe() {
  unibus::broker_auth::cli::ServeFlags f;
  f.state_dir = absl::GetFlag(FLAGS_state_dir);
  f.nats_urls = absl::GetFlag(FLAGS_nats);
  f.control = absl::GetFlag(FLAGS_control);
  f.ca_file = absl::GetFlag(FLAGS_ca);
  f.nats_config = absl::GetFlag(FLAGS_nats_config);
  f.ready_file = absl::GetFlag(FLAGS_ready_file);
  f.workers = absl::GetFlag(FLAGS_workers);
  f.user_ttl = absl::Seconds(absl::GetFlag(FLAGS_user_ttl_seconds));
  f.history.max_age = absl::Hours(24) * absl::GetFlag(FLAGS_history_max_age_days);
  f.history.max_bytes = absl::GetFlag(FLAGS_history_max_bytes);
  f.history.max_msgs_per_room = absl::GetFlag(FLAGS_history_max_per_room);
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
  std::cerr << kUsage << "\n";
  return args.size() == 1 || command == "help" ? 0 : 2;
}
