// Encrypts and decrypts blobs (files and media; docs/frames.md §12).
//
//   key        = 32 random bytes, fresh per blob
//   ciphertext = secretstream header (24 bytes) ‖ record 0 ‖ record 1 ‖ …
//   record i   = crypto_secretstream_xchacha20poly1305_push(plaintext chunk i, no ad,
//                tag MESSAGE, or FINAL for the last chunk); chunks are 65,536 bytes, the last
//                one shorter (an empty plaintext is one empty chunk)
//   address    = lowercase hex sha256(ciphertext)
//
// Pure functions, thread-safe. Decryption never returns part of a blob: DATA_LOSS for anything
// that is not exactly the stream the sender wrote.
#ifndef UNIBUS_CLIENT_INTERNAL_BLOB_CIPHER_H_
#define UNIBUS_CLIENT_INTERNAL_BLOB_CIPHER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/blob_limits.h"
#include "common/crypto/secret.h"
#include "unibus/v1/frames.pb.h"

namespace unibus::client::internal {

inline constexpr size_t kBlobKeySize = 32;
inline constexpr size_t kBlobHeaderSize = 24;       // crypto_secretstream_…_HEADERBYTES
inline constexpr size_t kBlobChunkSize = kBlobRecordPlaintext;  // plaintext bytes per record
inline constexpr size_t kBlobRecordSize = kBlobChunkSize + kBlobRecordOverhead;

// = BlobCiphertextSize (client/blob_limits.h).
uint64_t CiphertextSize(uint64_t plain);

// Lowercase hex sha256 of `ciphertext`.
std::string BlobAddress(absl::string_view ciphertext);

struct SealedBlob {
  common::SecretBytes key;  // kBlobKeySize bytes
  std::string ciphertext;   // CiphertextSize(plaintext size) bytes
  std::string address;      // BlobAddress(ciphertext)
  uint64_t plaintext_size = 0;
};

// The reference that announces `blob` (address, key, size; no name or type).
v1::BlobRef BlobRefOf(const SealedBlob& blob);

// Encrypts `plaintext` under a fresh random key.
SealedBlob SealBlob(absl::string_view plaintext);

// The same under a given key (test vectors, tests). The secretstream header is still random, so
// two calls give different ciphertexts. REQUIRES: key.size() == kBlobKeySize.
SealedBlob SealBlobWithKey(absl::string_view plaintext, absl::string_view key);

// DATA_LOSS unless a ciphertext of `length` bytes whose sha256 is `address` is the one `ref`
// announces: length == CiphertextSize(ref.size()) and address == ref.address().
absl::Status CheckBlobIdentity(uint64_t length, absl::string_view address,
                               const v1::BlobRef& ref);

// Checks `ciphertext` against `ref` (CheckBlobIdentity) before decrypting anything, then
// decrypts it with ref.key(). DATA_LOSS for a blob that is not the one announced or whose
// encryption is broken; INVALID_ARGUMENT for a key that is not 32 bytes.
absl::StatusOr<std::string> OpenBlob(absl::string_view ciphertext, const v1::BlobRef& ref);

// The same for a caller that hashed the ciphertext while receiving it.
// REQUIRES: `address` is BlobAddress(ciphertext).
absl::StatusOr<std::string> OpenHashedBlob(absl::string_view ciphertext, absl::string_view address,
                                           const v1::BlobRef& ref);

// Decrypts without the length and address checks, relying on the secretstream alone: every
// record must authenticate in order, every record but the last must carry tag MESSAGE and the
// last FINAL, with nothing after it. DATA_LOSS naming the first failure (records count from 0);
// INVALID_ARGUMENT for a key that is not 32 bytes. OpenBlob is what receivers call; this is
// exposed so tests can show the stream layer rejects tampering on its own.
absl::StatusOr<std::string> DecryptBlob(absl::string_view ciphertext, absl::string_view key);

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_BLOB_CIPHER_H_
