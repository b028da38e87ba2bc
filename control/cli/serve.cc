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

}  // namespace

int Serve(const ServeFlags& flags) {
  if (flags.db.empty() || flags.tls_cert_file.empty() || flags.tls_key_file.empty()) {
    std::cerr << "unibusd serve: --db, --tls_cert and --tls_key are required\n";
    return 2;
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
  auto store = store::SqliteStore::Open(flags.db, clock);
  if (!store.ok()) {
    std::cerr << "unibusd: cannot open the database " << flags.db << ": "
              << store.status().message() << "\n";
    return 1;
  }
  std::string blob_dir = flags.blob_dir.empty() ? flags.db + ".blobs" : flags.blob_dir;
  int orphans = 0;
  auto blobs = blob::DiskBlobStore::Open(blob_dir, &orphans);
  if (!blobs.ok()) {
    std::cerr << "unibusd: cannot use the blob directory " << blob_dir << ": "
              << blobs.status().message() << "\n";
    return 1;
  }
  if (orphans > 0) {
    std::cerr << "unibusd: removed " << orphans << " unfinished upload(s) left by an earlier run\n";
  }
  sigset_t stop_signals = common::BlockStopSignals();
  auto server =
      server::ControlServer::Start(options, *std::move(store), *std::move(blobs), clock);
  if (!server.ok()) {
    std::cerr << "unibusd: " << server.status().message() << "\n";
    return 1;
  }
  std::cerr << "unibusd: listening on " << options.listen << " (port " << (*server)->port()
            << ", mutual TLS required, store sqlite, cleartext rooms " << CleartextPolicy(options)
            << ", posture " << ((*server)->posture().ok() ? "ok" : "NOT OK") << ")\n"
            << "unibusd: blobs in " << blob_dir << " (at most " << options.max_blob_bytes
            << " bytes each, upload budget " << options.blob_upload_budget_bytes << " bytes)\n";
  if (!flags.port_file.empty()) {
    absl::Status s = common::WriteFile(flags.port_file, absl::StrCat((*server)->port(), "\n"), 0644);
    if (!s.ok()) std::cerr << "unibusd: " << s.message() << "\n";
  }
  int signal_number = common::WaitForStopSignal(stop_signals);
  std::cerr << "unibusd: signal " << signal_number << ", shutting down\n";
  (*server)->Shutdown();
  return 0;
}

}  // namespace unibus::control::cli
