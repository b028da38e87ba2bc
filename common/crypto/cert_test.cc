#include "common/crypto/cert.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "gtest/gtest.h"

namespace unibus::common {
namespace {

TEST(CertTest, ClientCertificateCarriesTheIdentityKey) {
  Identity id = Identity::Generate();
  absl::StatusOr<PemKeyPair> pair = MakeClientCertificate(id);
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(Ed25519KeyOfCertificate(pair->cert_pem).value(), id.sign_pub());
}

TEST(CertTest, ServerCertificateIsNotEd25519) {
  absl::StatusOr<PemKeyPair> ca = MakeCertificateAuthority("test CA");
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<PemKeyPair> server = IssueServerCertificate(*ca, {"localhost", "127.0.0.1"});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(Ed25519KeyOfCertificate(server->cert_pem).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The extended key usage bits (XKU_SSL_SERVER, XKU_SSL_CLIENT) of a PEM certificate.
uint32_t ExtendedKeyUsage(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return 0;
  uint32_t usage = X509_get_extended_key_usage(cert);
  X509_free(cert);
  return usage;
}

TEST(CertTest, PeerCertificateServesBothEndsOfMutualTls) {
  absl::StatusOr<PemKeyPair> ca = MakeCertificateAuthority("test CA");
  ASSERT_TRUE(ca.ok()) << ca.status();
  absl::StatusOr<PemKeyPair> peer = IssuePeerCertificate(*ca, {"127.0.0.1", "localhost"});
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ(ExtendedKeyUsage(peer->cert_pem) & (XKU_SSL_SERVER | XKU_SSL_CLIENT),
            XKU_SSL_SERVER | XKU_SSL_CLIENT);
  absl::StatusOr<PemKeyPair> server = IssueServerCertificate(*ca, {"localhost"});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(ExtendedKeyUsage(server->cert_pem) & XKU_SSL_CLIENT, 0u);
}

TEST(CertTest, GarbageDoesNotParse) {
  EXPECT_EQ(Ed25519KeyOfCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace unibus::common
