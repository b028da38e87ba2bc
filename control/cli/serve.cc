#include <signal.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/time/clock.h"
#include "control/cli/commands.h"
#include "control/cli/files.h"
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

// Blocks SIGINT/SIGTERM in every thread (call before gRPC starts its threads) and returns the set.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

int Serve(const ServeFlags& flags) {
  if (flags.db.empty() || flags.tls_cert_file.empty() || flags.tls_key_file.empty()) {
    std::cerr << "unibusd serve: --db, --tls_cert and --tls_key are required\n";
    return 2;
  }
  server::ServerOptions options = flags.server;
  absl::StatusOr<std::string> cert = ReadFile(flags.tls_cert_file);
  absl::StatusOr<std::string> key = ReadFile(flags.tls_key_file);
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
  sigset_t stop_signals = BlockStopSignals();
  auto server = server::ControlServer::Start(options, *std::move(store), clock);
  if (!server.ok()) {
    std::cerr << "unibusd: " << server.status().message() << "\n";
    return 1;
  }
  std::cerr << "unibusd: listening on " << options.listen << " (port " << (*server)->port()
            << ", mutual TLS required, store sqlite, cleartext rooms " << CleartextPolicy(options)
            << ", posture " << ((*server)->posture().ok() ? "ok" : "NOT OK") << ")\n";
  if (!flags.port_file.empty()) {
    absl::Status s = WriteFile(flags.port_file, absl::StrCat((*server)->port(), "\n"), 0644);
    if (!s.ok()) std::cerr << "unibusd: " << s.message() << "\n";
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cerr << "unibusd: signal " << signal_number << ", shutting down\n";
  (*server)->Shutdown();
  return 0;
}

}  // namespace unibus::control::cli
