// Incremental SHA-256 (OpenSSL's, which uses the CPU's SHA extensions where present: several
// times faster than libsodium's portable code, and blob addresses hash every byte).
#ifndef UNIBUS_COMMON_CRYPTO_SHA256_H_
#define UNIBUS_COMMON_CRYPTO_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace unibus::common {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view bytes);
  // The digest of everything so far as 64 lowercase hex characters; the hasher then restarts.
  std::string FinishHex();

 private:
  EVP_MD_CTX* ctx_;
};

// Lowercase hex SHA-256 of `bytes`.
std::string Sha256Hex(absl::string_view bytes);

}  // namespace unibus::common

#endif  // UNIBUS_COMMON_CRYPTO_SHA256_H_
