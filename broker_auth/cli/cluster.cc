// The cluster's shared material: route certificates and the route secret.
#include <sodium.h>
#include <sys/stat.h>

#include <iostream>

#include "absl/strings/escaping.h"
#include "broker_auth/cli/commands.h"
#include "broker_auth/cli/keys.h"
#include "common/crypto/cert.h"
#include "common/files/files.h"

namespace unibus::broker_auth::cli {

int RouteCert(const std::string& ca_dir, const std::vector<std::string>& hosts,
              const std::string& out_dir) {
  if (ca_dir.empty() || out_dir.empty() || hosts.empty()) {
    std::cerr << "unibus-authd route-cert: --ca_dir, --out_dir and --hosts are required\n";
    return 2;
  }
  std::string cert_path = out_dir + "/route.pem";
  std::string key_path = out_dir + "/route.key";
  if (common::FileExists(cert_path) && common::FileExists(key_path)) {
    std::cerr << "unibus-authd route-cert: keeping the existing route certificate in " << out_dir
              << "\n";
    return 0;
  }
  absl::StatusOr<std::string> ca_cert = common::ReadFile(ca_dir + "/ca.pem");
  absl::StatusOr<std::string> ca_key = common::ReadFile(ca_dir + "/ca.key");
  if (!ca_cert.ok() || !ca_key.ok()) {
    std::cerr << "unibus-authd route-cert: "
              << (!ca_cert.ok() ? ca_cert.status() : ca_key.status()).message() << "\n";
    return 1;
  }
  absl::StatusOr<common::PemKeyPair> route =
      common::IssuePeerCertificate(common::PemKeyPair{*ca_cert, *ca_key}, hosts);
  if (!route.ok()) {
    std::cerr << "unibus-authd route-cert: " << route.status().message() << "\n";
    return 1;
  }
  mkdir(out_dir.c_str(), 0700);
  absl::Status s = common::WriteFile(key_path, route->key_pem, 0600);
  if (s.ok()) s = common::WriteFile(cert_path, route->cert_pem, 0644);
  if (!s.ok()) {
    std::cerr << "unibus-authd route-cert: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "unibus-authd route-cert: wrote " << cert_path << " and " << key_path << "\n";
  return 0;
}

int RouteSecret(const std::string& out_file) {
  if (out_file.empty()) {
    std::cerr << "unibus-authd route-secret: --out is required\n";
    return 2;
  }
  if (common::FileExists(out_file)) {
    std::cerr << "unibus-authd route-secret: keeping the existing " << out_file << "\n";
    return 0;
  }
  if (sodium_init() < 0) return 1;
  std::string bytes(32, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  std::string hex = absl::BytesToHexString(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  absl::Status s = WriteSecret(out_file, hex);
  sodium_memzero(hex.data(), hex.size());
  if (!s.ok()) {
    std::cerr << "unibus-authd route-secret: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "unibus-authd route-secret: wrote " << out_file << " (0600)\n";
  return 0;
}

}  // namespace unibus::broker_auth::cli
