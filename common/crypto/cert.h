// X.509 certificates for the control plane's mutual TLS (OpenSSL 3).
//
// - Client certificates are self-signed by the identity's Ed25519 key; the server reads only the
//   key out of them (the allowlist, not the certificate, says who may call).
// - Server and CA certificates are ECDSA P-256, because some TLS stacks (BoringSSL inside gRPC
//   for Python and others) do not verify Ed25519 server certificates by default.
#ifndef UNIBUS_COMMON_CRYPTO_CERT_H_
#define UNIBUS_COMMON_CRYPTO_CERT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/crypto/identity.h"

namespace unibus::common {

struct PemKeyPair {
  std::string cert_pem;
  std::string key_pem;  // PKCS#8, unencrypted: keep it 0600.
};

// Self-signed Ed25519 certificate for `identity`, CN = its sign_pub in hex.
absl::StatusOr<PemKeyPair> MakeClientCertificate(const Identity& identity,
                                                 absl::Duration validity = absl::Hours(24 * 3650));

// A self-signed ECDSA P-256 CA.
absl::StatusOr<PemKeyPair> MakeCertificateAuthority(absl::string_view common_name,
                                                    absl::Duration validity = absl::Hours(24 * 3650));

// An ECDSA P-256 server certificate signed by `ca`, valid for `hosts` (DNS names or IP addresses,
// put in subjectAltName).
absl::StatusOr<PemKeyPair> IssueServerCertificate(const PemKeyPair& ca,
                                                  const std::vector<std::string>& hosts,
                                                  absl::Duration validity = absl::Hours(24 * 825));

// Like IssueServerCertificate, but usable at both ends of a mutual-TLS link (extended key usage
// serverAuth and clientAuth): nats-server route certificates, where every node dials and
// accepts.
absl::StatusOr<PemKeyPair> IssuePeerCertificate(const PemKeyPair& ca,
                                                const std::vector<std::string>& hosts,
                                                absl::Duration validity = absl::Hours(24 * 825));

// The raw 32-byte Ed25519 public key of a PEM certificate. INVALID_ARGUMENT if the PEM does not
// parse or its key is not Ed25519.
absl::StatusOr<std::string> Ed25519KeyOfCertificate(absl::string_view cert_pem);

}  // namespace unibus::common

#endif  // UNIBUS_COMMON_CRYPTO_CERT_H_
