#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/files/files.h"
#include "common/process/stop_signals.h"
#include "common/time/clock.h"
#include "control/blob/disk_blob_store.h"
#include "control/cli/commands.h"
#include "control/store/sqlite/sqlite_store.h"

namespace unibus::control::cli {
namespace {

const char* CleartextPolicy(const server::ServerOptions& options) {
  switch (options.cleartext_rooms) {
    case server::CleartextRooms::kAllow:
      return "allowed";
    case server::CleartextRooms::kDeny:
      return "denied";
    case server::CleartextRooms::kAuto:
      break;
  }
  return server::IsLoopbackListen(options.listen) ? "allowed (loopback listener)" : "denied";
}

// One node: SQLite and a blob directory.
absl::Status OpenLocal(const ServeFlags& flags, const common::Clock& clock, store::StorePtr* store,
                       blob::BlobStorePtr* blobs, std::string* where) {
  auto sqlite = store::SqliteStore::Open(flags.db, clock);
  if (!sqlite.ok()) {
    return absl::Status(sqlite.status().code(), absl::StrCat("cannot open the database ", flags.db,
                                                             ": ", sqlite.status().message()));
  }
  std::string blob_dir = flags.blob_dir.empty() ? flags.db + ".blobs" : flags.blob_dir;
  int orphans = 0;
  auto disk = blob::DiskBlobStore::Open(blob_dir, &orphans);
  if (!disk.ok()) {
    return absl::Status(disk.status().code(), absl::StrCat("cannot use the blob directory ",
                                                           blob_dir, ": ", disk.status().message()));
  }
  if (orphans > 0) {
    std::cerr << "unibusd: removed " << orphans << " unfinished upload(s) left by an earlier run\n";
  }
  *store = *std::move(sqlite);
  *blobs = *std::move(disk);
  *where = absl::StrCat("store sqlite ", flags.db, ", blobs in ", blob_dir);
  return absl::OkStatus();
}

}  // namespace

int Serve(const ServeFlags& flags) {
  const bool cluster = flags.store == "kv";
  if (flags.store != "sqlite" && !cluster) {
    std::cerr << "unibusd serve: --store must be sqlite or kv\n";
    return 2;
  }
  if (flags.tls_cert_file.empty() || flags.tls_key_file.empty()) {
    std::cerr << "unibusd serve: --tls_cert and --tls_key are required\n";
    return 2;
  }
  if (!cluster && flags.db.empty()) {
    std::cerr << "unibusd serve: --db is required (or --store=kv for a cluster node)\n";
    return 2;
  }
  if (cluster && (!flags.db.empty() || !flags.blob_dir.empty())) {
    std::cerr << "unibusd serve: a cluster node (--store=kv) keeps no local state; drop --db "
                 "and --blob_dir (use `unibusd migrate-to-kv` to move a SQLite store)\n";
    return 2;
  }
  if (cluster) {
    if (absl::Status s = ValidateClusterFlags(flags.cluster); !s.ok()) {
      std::cerr << "unibusd serve: " << s.message() << "\n";
      return 2;
    }
  }
  server::ServerOptions options = flags.server;
  absl::StatusOr<std::string> cert = common::ReadFile(flags.tls_cert_file);
  absl::StatusOr<std::string> key = common::ReadFile(flags.tls_key_file);
  if (!cert.ok() || !key.ok()) {
    std::cerr << "unibusd: " << (cert.ok() ? key.status() : cert.status()).message() << "\n";
    return 1;
  }
  options.tls_cert_pem = *cert;
  options.tls_key_pem = *key;
  const common::Clock& clock = common::RealClock::Get();
  store::StorePtr store;
  blob::BlobStorePtr blobs;
  std::string where;
  // Declared before the server: the stores borrow its connection.
  std::unique_ptr<ClusterBackends> backends;
  if (cluster) {
    absl::StatusOr<std::unique_ptr<ClusterBackends>> opened =
        ClusterBackends::Open(flags.cluster, clock);
    if (!opened.ok()) {
      std::cerr << "unibusd: " << opened.status().message() << "\n";
      return 1;
    }
    backends = *std::move(opened);
    store = backends->TakeStore();
    blobs = backends->TakeBlobs();
    options.store_backend = "kv";
    options.blob_backend = "object";
    options.cluster = true;
    options.nats_link_secure = backends->link_secure();
    where = absl::StrCat("store kv (JetStream, ", flags.cluster.replicas, " replica(s)) on ",
                         flags.cluster.nats_urls, ", blobs in the object store");
  } else if (absl::Status s = OpenLocal(flags, clock, &store, &blobs, &where); !s.ok()) {
    std::cerr << "unibusd: " << s.message() << "\n";
    return 1;
  }
  sigset_t stop_signals = common::BlockStopSignals();
  auto server = server::ControlServer::Start(options, std::move(store), std::move(blobs), clock);
  if (!server.ok()) {
    std::cerr << "unibusd: " << server.status().message() << "\n";
    return 1;
  }
  if (backends) {
    // Writes on other nodes wake this node's change-feed watchers at once.
    server::ControlServer* raw = server->get();
    backends->OnChanges([raw] { raw->NotifyChanges(); });
  }
  std::cerr << "unibusd: listening on " << options.listen << " (port " << (*server)->port()
            << ", mutual TLS required, cleartext rooms " << CleartextPolicy(options) << ", posture "
            << ((*server)->posture().ok() ? "ok" : "NOT OK") << ")\n"
            << "unibusd: " << where << " (blobs at most " << options.max_blob_bytes
            << " bytes each, upload budget " << options.blob_upload_budget_bytes
            << " bytes, quotas " << options.blob_quota_per_room << " bytes per room and "
            << options.blob_quota_per_identity << " per identity)\n";
  if (!flags.port_file.empty()) {
    absl::Status s =
        common::WriteFile(flags.port_file, absl::StrCat((*server)->port(), "\n"), 0644);
    if (!s.ok()) std::cerr << "unibusd: " << s.message() << "\n";
  }
  int signal_number = common::WaitForStopSignal(stop_signals);
  std::cerr << "unibusd: signal " << signal_number << ", shutting down\n";
  (*server)->Shutdown();
  if (backends) backends->OnChanges(nullptr);
  server->reset();
  return 0;
}

}  // namespace unibus::control::cli
