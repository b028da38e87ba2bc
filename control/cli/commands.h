// unibusd's subcommands, callable from main.cc and from tests. Each returns a process exit code
// (0 ok, 1 runtime failure, 2 usage error) and writes human messages to stderr.
#ifndef UNIBUS_CONTROL_CLI_COMMANDS_H_
#define UNIBUS_CONTROL_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "control/cli/backends.h"
#include "control/server/control_server.h"

namespace unibus::control::cli {

struct ServeFlags {
  // "sqlite" (one node: --db and a blob directory) or "kv" (a cluster node: JetStream KV and
  // object store through `cluster`; no local state).
  std::string store = "sqlite";
  ClusterFlags cluster;
  std::string db;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Blob directory; empty: `db` + ".blobs".
  std::string blob_dir;
  // Written with the bound port once the server is listening (for --listen=…:0).
  std::string port_file;
  server::ServerOptions server;
};

// Serves until SIGINT or SIGTERM.
int Serve(const ServeFlags& flags);

// Copies everything from the SQLite store at `db` into the cluster's KV store, after writing a
// backup of `db` to `backup` (VACUUM INTO; empty: `db` + ".backup-<UTC time>"). Idempotent: a
// second run converges to the same state. Prints both stores' record counts.
int MigrateToKv(const std::string& db, const std::string& backup, const ClusterFlags& cluster);

// Prints every record of a store (sqlite at `db`, or the cluster's kv) in the canonical text of
// store_dump.h, so that two stores can be compared with diff.
int Export(const std::string& store, const std::string& db, const ClusterFlags& cluster);

// Puts the first admin on the allowlist of the store at `db`: the key of the identity file at
// `identity_file`. Succeeds without change if that key already is an active admin; refuses if
// another admin exists (add more admins over the API).
int AdminInit(const std::string& db, const std::string& identity_file, const std::string& handle);

// Puts the identity file's key on the allowlist of the store at `db` with role SERVICE (for
// unibus-authd). Succeeds without change if it already is an active service identity.
int AddService(const std::string& db, const std::string& identity_file, const std::string& handle);

// Writes a development CA and a server certificate for `hosts` into `out_dir` (ca.pem, ca.key,
// server.pem, server.key; keys 0600), keeping files that already exist.
int DevCerts(const std::string& out_dir, const std::vector<std::string>& hosts);

}  // namespace unibus::control::cli

#endif  // UNIBUS_CONTROL_CLI_COMMANDS_H_
