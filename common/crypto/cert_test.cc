#include "common/crypto/cert.h"

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

TEST(CertTest, GarbageDoesNotParse) {
  EXPECT_EQ(Ed25519KeyOfCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace unibus::common
