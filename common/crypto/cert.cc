#include "common/crypto/cert.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace unibus::common {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

absl::Status OpensslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("certificate error: ", what));
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return OpensslError("encode certificate");
  return BioToString(bio.get());
}

absl::StatusOr<std::string> KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpensslError("encode key");
  }
  return BioToString(bio.get());
}

PkeyPtr NewP256Key() { return PkeyPtr(EVP_EC_gen("P-256")); }

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext != nullptr) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

// A certificate for `key`, subject CN = common_name, not yet signed.
X509Ptr NewCertificate(EVP_PKEY* key, absl::string_view common_name, absl::Duration validity) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), absl::ToInt64Seconds(validity));
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

absl::StatusOr<PemKeyPair> Finish(X509* cert, EVP_PKEY* key) {
  absl::StatusOr<std::string> cert_pem = CertToPem(cert);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = KeyToPem(key);
  if (!key_pem.ok()) return key_pem.status();
  return PemKeyPair{*std::move(cert_pem), *std::move(key_pem)};
}

}  // namespace

absl::StatusOr<PemKeyPair> MakeClientCertificate(const Identity& identity,
                                                 absl::Duration validity) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, identity.seed().data(),
                                           identity.seed().size()));
  if (!key) return OpensslError("load Ed25519 key");
  X509Ptr cert = NewCertificate(key.get(), identity.sign_pub_hex(), validity);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,digitalSignature");
  AddExtension(cert.get(), cert.get(), NID_ext_key_usage, "clientAuth");
  if (X509_sign(cert.get(), key.get(), nullptr) <= 0) return OpensslError("sign");
  return Finish(cert.get(), key.get());
}

absl::StatusOr<PemKeyPair> MakeCertificateAuthority(absl::string_view common_name,
                                                    absl::Duration validity) {
  PkeyPtr key = NewP256Key();
  if (!key) return OpensslError("generate P-256 key");
  X509Ptr cert = NewCertificate(key.get(), common_name, validity);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return OpensslError("sign");
  return Finish(cert.get(), key.get());
}

namespace {

absl::StatusOr<PemKeyPair> IssueCertificate(const PemKeyPair& ca,
                                            const std::vector<std::string>& hosts,
                                            absl::Duration validity, const char* usage) {
  BioPtr ca_cert_bio(BIO_new_mem_buf(ca.cert_pem.data(), static_cast<int>(ca.cert_pem.size())));
  BioPtr ca_key_bio(BIO_new_mem_buf(ca.key_pem.data(), static_cast<int>(ca.key_pem.size())));
  X509Ptr ca_cert(PEM_read_bio_X509(ca_cert_bio.get(), nullptr, nullptr, nullptr));
  PkeyPtr ca_key(PEM_read_bio_PrivateKey(ca_key_bio.get(), nullptr, nullptr, nullptr));
  if (!ca_cert || !ca_key) return absl::InvalidArgumentError("CA certificate or key does not parse");
  if (hosts.empty()) return absl::InvalidArgumentError("a server certificate needs a host name");
  PkeyPtr key = NewP256Key();
  if (!key) return OpensslError("generate P-256 key");
  X509Ptr cert = NewCertificate(key.get(), hosts.front(), validity);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
  std::string san;
  for (const std::string& host : hosts) {
    bool is_ip = !host.empty() && (absl::StrContains(host, ':') ||
                                   host.find_first_not_of("0123456789.") == std::string::npos);
    absl::StrAppend(&san, san.empty() ? "" : ",", is_ip ? "IP:" : "DNS:", host);
  }
  AddExtension(cert.get(), ca_cert.get(), NID_subject_alt_name, san.c_str());
  AddExtension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
  AddExtension(cert.get(), ca_cert.get(), NID_ext_key_usage, usage);
  AddExtension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0) return OpensslError("sign");
  return Finish(cert.get(), key.get());
}

}  // namespace

absl::StatusOr<PemKeyPair> IssueServerCertificate(const PemKeyPair& ca,
                                                  const std::vector<std::string>& hosts,
                                                  absl::Duration validity) {
  return IssueCertificate(ca, hosts, validity, "serverAuth");
}

absl::StatusOr<PemKeyPair> IssuePeerCertificate(const PemKeyPair& ca,
                                                const std::vector<std::string>& hosts,
                                                absl::Duration validity) {
  return IssueCertificate(ca, hosts, validity, "serverAuth,clientAuth");
}

absl::StatusOr<std::string> Ed25519KeyOfCertificate(absl::string_view cert_pem) {
  BioPtr bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return absl::InvalidArgumentError("client certificate does not parse");
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr || EVP_PKEY_id(key) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("client certificate key is not Ed25519");
  }
  std::string raw(32, '\0');
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &len) != 1 ||
      len != 32) {
    return absl::InvalidArgumentError("client certificate key is not Ed25519");
  }
  return raw;
}

}  // namespace unibus::common
