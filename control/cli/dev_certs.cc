#include <sys/stat.h>

#include <iostream>

#include "common/crypto/cert.h"
#include "control/cli/commands.h"
#include "common/files/files.h"

namespace unibus::control::cli {
namespace {

absl::StatusOr<common::PemKeyPair> LoadOrMakeCa(const std::string& dir) {
  std::string cert_path = dir + "/ca.pem";
  std::string key_path = dir + "/ca.key";
  if (common::FileExists(cert_path) && common::FileExists(key_path)) {
    absl::StatusOr<std::string> cert = common::ReadFile(cert_path);
    absl::StatusOr<std::string> key = common::ReadFile(key_path);
    if (!cert.ok()) return cert.status();
    if (!key.ok()) return key.status();
    return common::PemKeyPair{*cert, *key};
  }
  absl::StatusOr<common::PemKeyPair> ca = common::MakeCertificateAuthority("unibus dev CA");
  if (!ca.ok()) return ca.status();
  if (absl::Status s = common::WriteFile(key_path, ca->key_pem, 0600); !s.ok()) return s;
  if (absl::Status s = common::WriteFile(cert_path, ca->cert_pem, 0644); !s.ok()) return s;
  return ca;
}

}  // namespace

int DevCerts(const std::string& out_dir, const std::vector<std::string>& hosts) {
  if (out_dir.empty() || hosts.empty()) {
    std::cerr << "unibusd dev-certs: --out_dir and --hosts are required\n";
    return 2;
  }
  mkdir(out_dir.c_str(), 0700);
  absl::StatusOr<common::PemKeyPair> ca = LoadOrMakeCa(out_dir);
  if (!ca.ok()) {
    std::cerr << "unibusd dev-certs: " << ca.status().message() << "\n";
    return 1;
  }
  std::string cert_path = out_dir + "/server.pem";
  std::string key_path = out_dir + "/server.key";
  if (common::FileExists(cert_path) && common::FileExists(key_path)) {
    std::cerr << "unibusd dev-certs: keeping the existing certificates in " << out_dir << "\n";
    return 0;
  }
  absl::StatusOr<common::PemKeyPair> server = common::IssueServerCertificate(*ca, hosts);
  if (!server.ok()) {
    std::cerr << "unibusd dev-certs: " << server.status().message() << "\n";
    return 1;
  }
  absl::Status s = common::WriteFile(key_path, server->key_pem, 0600);
  if (s.ok()) s = common::WriteFile(cert_path, server->cert_pem, 0644);
  if (!s.ok()) {
    std::cerr << "unibusd dev-certs: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "unibusd dev-certs: wrote a dev CA and a server certificate to " << out_dir << "\n";
  return 0;
}

}  // namespace unibus::control::cli
