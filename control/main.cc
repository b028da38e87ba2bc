// unibusd: the unibus control plane. Parses flags and dispatches to control/cli.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "control/cli/commands.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7443", "host:port to serve on (port 0: any free port)");
ABSL_FLAG(std::string, db, "", "SQLite database file");
ABSL_FLAG(std::string, tls_cert, "", "server certificate chain (PEM)");
ABSL_FLAG(std::string, tls_key, "", "server private key (PEM)");
ABSL_FLAG(std::string, port_file, "", "write the bound port to this file once listening");
ABSL_FLAG(std::string, cleartext_rooms, "auto",
          "auto (allowed only on a loopback listener), allow or deny");
ABSL_FLAG(double, rate_limit, 200,
          "requests per second per identity (service identities such as unibus-authd are exempt)");
ABSL_FLAG(double, rate_burst, 400, "burst of requests per identity");
ABSL_FLAG(int, max_message_bytes, 1 << 20, "largest request or response message");
ABSL_FLAG(std::string, blob_dir, "", "directory of the blobs (default: the --db path + \".blobs\")");
ABSL_FLAG(uint64_t, max_blob_bytes, 16 << 20, "largest blob accepted (bytes of ciphertext)");
ABSL_FLAG(uint64_t, blob_upload_budget_bytes, 64 << 20,
          "memory all blob uploads together may hold; each holds 256 KiB + 2 x "
          "max_message_bytes while it runs and uploads that do not fit are refused at once "
          "(RESOURCE_EXHAUSTED)");
ABSL_FLAG(int, blob_uploads_per_identity, 4, "blob uploads one identity may run at once");
ABSL_FLAG(int, blob_downloads_per_identity, 8, "blob downloads one identity may run at once");
ABSL_FLAG(int, blob_transfer_idle_timeout_ms, 30'000,
          "cancel a blob upload or download that moves nothing for this many milliseconds");
ABSL_FLAG(uint64_t, blob_quota_per_room, uint64_t{2} << 30,
          "bytes of blobs one room may hold (2 GiB); an upload that would exceed it is refused "
          "from its header, before any byte is read (RESOURCE_EXHAUSTED)");
ABSL_FLAG(uint64_t, blob_quota_per_identity, uint64_t{1} << 30,
          "bytes of blobs one identity may have uploaded, over all rooms (1 GiB); an upload that "
          "would exceed it is refused from its header (RESOURCE_EXHAUSTED)");
ABSL_FLAG(int, max_threads, 1024,
          "threads serving calls (one per running call); beyond them calls are refused");
ABSL_FLAG(int, max_health_watches, 16,
          "grpc.health.v1 Watch streams open at once, over all callers; beyond them Watch is "
          "refused at once (RESOURCE_EXHAUSTED)");
ABSL_FLAG(std::string, store, "sqlite",
          "sqlite (one node: --db) or kv (a cluster node: JetStream KV and object store through "
          "--nats; no local state)");
ABSL_FLAG(std::string, nats, "", "kv: NATS URLs of the cluster, comma-separated (failover)");
ABSL_FLAG(std::string, nats_identity, "",
          "kv: identity file of the CONTROL account's NATS user (unibus-authd's control.id)");
ABSL_FLAG(std::string, nats_ca, "", "kv: CA of the nats-servers' TLS listeners (requires TLS)");
ABSL_FLAG(int, replicas, 1, "kv: copies of every record and blob (1-5; 3 on three nodes)");
ABSL_FLAG(std::string, kv_bucket, "unibus_control", "kv: name of the KV bucket");
ABSL_FLAG(std::string, blob_bucket, "unibus_blobs", "kv: name of the object store bucket");
ABSL_FLAG(int, nats_wait_seconds, 60, "kv: wait this long for NATS and a JetStream quorum");
ABSL_FLAG(std::string, node_name, "", "serve: this node's name, reported by the health service");
ABSL_FLAG(std::string, backup, "",
          "migrate-to-kv: backup file to write first (default: --db + .backup-<UTC time>)");
ABSL_FLAG(std::string, identity, "", "admin init: identity file of the first admin");
ABSL_FLAG(std::string, handle, "admin", "admin init: handle of the first admin");
ABSL_FLAG(std::string, out_dir, "", "dev-certs: directory for the CA and server certificate");
ABSL_FLAG(std::string, hosts, "localhost,127.0.0.1", "dev-certs: names in the server certificate");

namespace {

constexpr char kUsage[] = R"(unibusd: the unibus control plane (gRPC over mutual TLS).

  unibusd serve --db=FILE --tls_cert=PEM --tls_key=PEM [--listen=127.0.0.1:7443]
                [--cleartext_rooms=auto|allow|deny] [--rate_limit=200 --rate_burst=400]
                [--max_message_bytes=1048576] [--port_file=FILE]
                [--blob_dir=DIR] [--max_blob_bytes=16777216]
                [--blob_upload_budget_bytes=67108864] [--blob_uploads_per_identity=4]
                [--blob_downloads_per_identity=8] [--blob_transfer_idle_timeout_ms=30000]
                [--blob_quota_per_room=2147483648] [--blob_quota_per_identity=1073741824]
                [--max_threads=1024] [--max_health_watches=16]
  unibusd serve --store=kv --nats=URL[,URL...] --nats_identity=FILE [--replicas=3]
                [--nats_ca=PEM] [--node_name=NAME] --tls_cert=PEM --tls_key=PEM [...]
                (a cluster node: state in JetStream KV and object store, nothing local)
  unibusd migrate-to-kv --db=FILE --nats=URL[,URL...] --nats_identity=FILE [--replicas=3]
                [--backup=FILE]
                (backs up the SQLite file with VACUUM INTO, then copies every user, room,
                membership, sealed key and deleted room id into KV; running it again converges)
  unibusd export --store=sqlite --db=FILE | --store=kv --nats=... --nats_identity=FILE
                (every record in a stable text form, for comparing stores)
  unibusd admin init --db=FILE --identity=FILE [--handle=admin]
  unibusd admin add-service --db=FILE --identity=FILE [--handle=authd]
  unibusd dev-certs --out_dir=DIR [--hosts=localhost,127.0.0.1]

Run `unibusd --helpfull` for every flag.)";

bool ParseCleartext(const std::string& value, unibus::control::server::CleartextRooms* out) {
  using unibus::control::server::CleartextRooms;
  if (value == "auto") *out = CleartextRooms::kAuto;
  else if (value == "allow") *out = CleartextRooms::kAllow;
  else if (value == "deny") *out = CleartextRooms::kDeny;
  else return false;
  return true;
}

unibus::control::cli::ClusterFlags GetClusterFlags() {
  unibus::control::cli::ClusterFlags c;
  c.nats_urls = absl::GetFlag(FLAGS_nats);
  c.nats_identity = absl::GetFlag(FLAGS_nats_identity);
  c.nats_ca = absl::GetFlag(FLAGS_nats_ca);
  c.replicas = absl::GetFlag(FLAGS_replicas);
  c.kv_bucket = absl::GetFlag(FLAGS_kv_bucket);
  c.blob_bucket = absl::GetFlag(FLAGS_blob_bucket);
  c.wait = absl::Seconds(absl::GetFlag(FLAGS_nats_wait_seconds));
  return c;
}

int RunServe() {
  unibus::control::cli::ServeFlags flags;
  flags.store = absl::GetFlag(FLAGS_store);
  flags.cluster = GetClusterFlags();
  flags.server.node_name = absl::GetFlag(FLAGS_node_name);
  flags.db = absl::GetFlag(FLAGS_db);
  flags.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  flags.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  flags.port_file = absl::GetFlag(FLAGS_port_file);
  flags.blob_dir = absl::GetFlag(FLAGS_blob_dir);
  flags.server.max_blob_bytes = absl::GetFlag(FLAGS_max_blob_bytes);
  flags.server.blob_upload_budget_bytes = absl::GetFlag(FLAGS_blob_upload_budget_bytes);
  flags.server.blob_uploads_per_identity = absl::GetFlag(FLAGS_blob_uploads_per_identity);
  flags.server.blob_downloads_per_identity = absl::GetFlag(FLAGS_blob_downloads_per_identity);
  flags.server.blob_transfer_idle_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_blob_transfer_idle_timeout_ms));
  flags.server.blob_quota_per_room = absl::GetFlag(FLAGS_blob_quota_per_room);
  flags.server.blob_quota_per_identity = absl::GetFlag(FLAGS_blob_quota_per_identity);
  flags.server.max_threads = absl::GetFlag(FLAGS_max_threads);
  flags.server.max_health_watches = absl::GetFlag(FLAGS_max_health_watches);
  flags.server.listen = absl::GetFlag(FLAGS_listen);
  flags.server.rate_limit_per_second = absl::GetFlag(FLAGS_rate_limit);
  flags.server.rate_limit_burst = absl::GetFlag(FLAGS_rate_burst);
  flags.server.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  if (!ParseCleartext(absl::GetFlag(FLAGS_cleartext_rooms), &flags.server.cleartext_rooms)) {
    std::cerr << "unibusd: --cleartext_rooms must be auto, allow or deny\n";
    return 2;
  }
  return unibus::control::cli::Serve(flags);
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil checks every mutex acquisition for lock-order cycles (a few % of CPU).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> words(args.begin() + 1, args.end());
  if (words == std::vector<std::string>{"serve"}) return RunServe();
  if (words == std::vector<std::string>{"migrate-to-kv"}) {
    return unibus::control::cli::MigrateToKv(absl::GetFlag(FLAGS_db), absl::GetFlag(FLAGS_backup),
                                             GetClusterFlags());
  }
  if (words == std::vector<std::string>{"export"}) {
    return unibus::control::cli::Export(absl::GetFlag(FLAGS_store), absl::GetFlag(FLAGS_db),
                                        GetClusterFlags());
  }
  if (words == std::vector<std::string>{"admin", "init"}) {
    return unibus::control::cli::AdminInit(absl::GetFlag(FLAGS_db), absl::GetFlag(FLAGS_identity),
                                           absl::GetFlag(FLAGS_handle));
  }
  if (words == std::vector<std::string>{"admin", "add-service"}) {
    std::string handle = absl::GetFlag(FLAGS_handle);
    return unibus::control::cli::AddService(absl::GetFlag(FLAGS_db),
                                            absl::GetFlag(FLAGS_identity),
                                            handle == "admin" ? "authd" : handle);
  }
  if (words == std::vector<std::string>{"dev-certs"}) {
    std::vector<std::string> hosts =
        absl::StrSplit(absl::GetFlag(FLAGS_hosts), ',', absl::SkipEmpty());
    return unibus::control::cli::DevCerts(absl::GetFlag(FLAGS_out_dir), hosts);
  }
  std::cerr << kUsage << "\n";
  return words.empty() || words == std::vector<std::string>{"help"} ? 0 : 2;
}
