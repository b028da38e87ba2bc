// NATS xkeys: X25519 keys ("X…" public, "SX…" seed) and the sealed-message format
//   "xkv1" ‖ 24-byte nonce ‖ crypto_box_easy(message, nonce, their_public, my_secret)
// used to encrypt auth-callout requests and responses.
//
// Thread-safe after construction. The secret is wiped on destruction.
#ifndef UNIBUS_BROKER_AUTH_CALLOUT_XKEY_H_
#define UNIBUS_BROKER_AUTH_CALLOUT_XKEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/secret.h"

namespace unibus::broker_auth::callout {

class CurveKey {
 public:
  static CurveKey Generate();
  // From "SX…". INVALID_ARGUMENT if it is not a curve seed.
  static absl::StatusOr<CurveKey> FromSeed(absl::string_view seed_text);

  CurveKey(CurveKey&&) = default;
  CurveKey& operator=(CurveKey&&) = default;

  // "X…".
  std::string PublicText() const;
  common::SecretBytes SeedText() const;

  // Seals `message` for `recipient` ("X…"). INVALID_ARGUMENT on a bad recipient key.
  absl::StatusOr<std::string> Seal(absl::string_view message, absl::string_view recipient) const;
  // Opens a message sealed by `sender` ("X…") for this key. INVALID_ARGUMENT if it is not in the
  // xkv1 format, UNAUTHENTICATED if it does not open.
  absl::StatusOr<std::string> Open(absl::string_view sealed, absl::string_view sender) const;

 private:
  explicit CurveKey(common::SecretBytes secret);

  common::SecretBytes secret_;
  std::string public_;
};

}  // namespace unibus::broker_auth::callout

#endif  // UNIBUS_BROKER_AUTH_CALLOUT_XKEY_H_
