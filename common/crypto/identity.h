// A peer's identity: one Ed25519 key pair, plus the X25519 key pair derived from the same seed.
//
// The Ed25519 public key (hex) is the user id; the same key is the NATS nkey ("U…") and the key of
// the TLS client certificate. The X25519 key (kex) is derived as
//   kex_seed = crypto_kdf_derive_from_key(32, subkey_id = 1, ctx = "unibuskx", seed)
//   (kex_pub, kex_secret) = crypto_box_seed_keypair(kex_seed)
//
// The identity file holds the NATS user seed ("SU…") on its first line, so NATS tools can use it
// as it is. It is created 0600 and refused when others may read it; a corrupt file is an error,
// never silently replaced.
//
// Thread safety: immutable after construction; safe to share.
#ifndef UNIBUS_COMMON_CRYPTO_IDENTITY_H_
#define UNIBUS_COMMON_CRYPTO_IDENTITY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/secret.h"

namespace unibus::common {

// Calls sodium_init() once; aborts if libsodium cannot initialise.
void InitSodium();

class Identity {
 public:
  // A fresh random identity.
  static Identity Generate();
  // INVALID_ARGUMENT unless seed is 32 bytes.
  static absl::StatusOr<Identity> FromSeed(absl::string_view seed);
  // NOT_FOUND (no file), FAILED_PRECONDITION (readable by group/others),
  // INVALID_ARGUMENT (not an identity file: no valid "SU…" seed on the first line).
  static absl::StatusOr<Identity> Load(const std::string& path);

  Identity(Identity&&) = default;
  Identity& operator=(Identity&&) = default;

  // Writes the file with mode 0600. ALREADY_EXISTS if it exists (never overwrites).
  absl::Status Save(const std::string& path) const;

  // Raw 32-byte public keys and their hex forms.
  const std::string& sign_pub() const { return sign_pub_; }
  const std::string& kex_pub() const { return kex_pub_; }
  std::string sign_pub_hex() const;
  std::string kex_pub_hex() const;
  // "U…" and "SU…".
  std::string nkey_public() const;
  SecretBytes nkey_seed() const;

  // The 32-byte seed (for certificate keys); libsodium's 64-byte secret key; the X25519 secret.
  const SecretBytes& seed() const { return seed_; }
  const SecretBytes& kex_secret() const { return kex_secret_; }

  // Detached Ed25519 signature (64 bytes).
  std::string Sign(absl::string_view message) const;

 private:
  Identity() = default;

  SecretBytes seed_;
  SecretBytes sign_secret_;  // libsodium form: seed ‖ public key
  SecretBytes kex_secret_;
  std::string sign_pub_;
  std::string kex_pub_;
};

// True if `signature` is a valid Ed25519 signature of `message` by the raw 32-byte `public_key`.
bool VerifySignature(absl::string_view public_key, absl::string_view message,
                     absl::string_view signature);

}  // namespace unibus::common

#endif  // UNIBUS_COMMON_CRYPTO_IDENTITY_H_
