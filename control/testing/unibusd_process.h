// Test harness: the real unibusd binary on a free port, with a dev CA, a real SQLite file in a
// temp dir, and a first admin made by `unibusd admin init`. Channels use real mutual TLS.
//
// Not thread-safe (one test thread drives it). The process is stopped by the destructor.
#ifndef UNIBUS_CONTROL_TESTING_UNIBUSD_PROCESS_H_
#define UNIBUS_CONTROL_TESTING_UNIBUSD_PROCESS_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/cert.h"
#include "common/crypto/identity.h"
#include "common/testing/child_process.h"
#include "unibus/v1/users.pb.h"

namespace unibus::control::testing {

// Path of a binary in this test's runfiles, e.g. Runfile("control/unibusd").
std::string Runfile(const std::string& path);

// A fresh directory under TEST_TMPDIR.
std::string NewTempDir(const std::string& prefix);

// A mutual-TLS channel to `target` presenting `pair`, trusting `ca_pem`; not shared with other
// channels (each test peer has its own connection).
std::shared_ptr<grpc::Channel> MutualTlsChannel(const std::string& target,
                                                const std::string& ca_pem,
                                                const common::PemKeyPair& pair);

// AddUser of `identity` over `admin_channel` (a channel presenting an admin's certificate).
absl::StatusOr<v1::User> AddUserOver(const std::shared_ptr<grpc::Channel>& admin_channel,
                                     const common::Identity& identity, v1::Role role,
                                     const std::string& handle);

class UnibusdProcess {
 public:
  // Starts unibusd with `extra_flags` added to `serve`. The state lives in `dir`.
  static absl::StatusOr<std::unique_ptr<UnibusdProcess>> Start(
      const std::string& dir, std::vector<std::string> extra_flags = {});
  ~UnibusdProcess();

  // Stops the process (SIGTERM) and starts it again on the same database and port.
  absl::Status Restart();
  void Stop();
  // SIGKILL: a crash, with no chance to clean up.
  void Crash();
  pid_t pid() const { return process_.pid(); }
  std::string LogTail() const { return process_.LogTail(); }

  int port() const { return port_; }
  std::string target() const;
  const std::string& dir() const { return dir_; }
  const std::string& db_path() const { return db_; }
  // Where the blobs live (unibusd's default --blob_dir: the database path + ".blobs"); a blob is
  // the file rooms/<room_id>/<address> in it.
  std::string blob_dir() const { return db_ + ".blobs"; }
  const std::string& ca_pem() const { return ca_pem_; }
  const common::Identity& admin() const { return admin_; }

  // A channel that presents `identity`'s self-signed Ed25519 certificate.
  std::shared_ptr<grpc::Channel> ChannelFor(const common::Identity& identity) const;
  // A channel presenting an arbitrary certificate (e.g. a non-Ed25519 one).
  std::shared_ptr<grpc::Channel> ChannelWithCertificate(const common::PemKeyPair& pair) const;
  // A TLS channel with no client certificate.
  std::shared_ptr<grpc::Channel> ChannelWithoutCertificate() const;

  // Puts `identity` on the allowlist through the admin's AddUser call.
  absl::StatusOr<v1::User> AddUser(const common::Identity& identity, v1::Role role,
                                   const std::string& handle) const;

 private:
  UnibusdProcess(std::string dir, std::vector<std::string> extra_flags, common::Identity admin);
  absl::Status Launch();

  std::string dir_;
  std::string db_;
  std::vector<std::string> extra_flags_;
  common::Identity admin_;
  std::string ca_pem_;
  common::testing::ChildProcess process_;
  int port_ = 0;
};

}  // namespace unibus::control::testing

#endif  // UNIBUS_CONTROL_TESTING_UNIBUSD_PROCESS_H_
