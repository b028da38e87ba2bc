#include "client/internal/blob_cipher.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/crypto/identity.h"
#include "common/crypto/sha256.h"

namespace unibus::client::internal {
namespace {

static_assert(kBlobHeaderSize == crypto_secretstream_xchacha20poly1305_HEADERBYTES);
static_assert(kBlobRecordOverhead == crypto_secretstream_xchacha20poly1305_ABYTES);
static_assert(kBlobKeySize == crypto_secretstream_xchacha20poly1305_KEYBYTES);

constexpr unsigned char kTagMessage = crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
constexpr unsigned char kTagFinal = crypto_secretstream_xchacha20poly1305_TAG_FINAL;

// The stream state holds the key: wiped whichever way a function leaves.
struct StreamState {
  crypto_secretstream_xchacha20poly1305_state s;
  ~StreamState() { sodium_memzero(&s, sizeof s); }
};

// Upper bound of the plaintext in `records` bytes of records (exact for a well-formed stream).
size_t PlaintextBound(size_t records) {
  size_t tail = records % kBlobRecordSize;
  return records / kBlobRecordSize * kBlobChunkSize +
         (tail > kBlobRecordOverhead ? tail - kBlobRecordOverhead : 0);
}

unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }
const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::Status CheckKey(absl::string_view key) {
  if (key.size() == kBlobKeySize) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("a blob key is ", kBlobKeySize, " bytes"));
}

constexpr size_t kParallelHashBytes = 1 << 20;
// How far the encryption runs ahead before the hasher is woken again.
constexpr size_t kHashStep = 16 * kBlobRecordSize;

// The sha256 of a buffer being filled front to back: on a thread of its own that hashes each
// part once the writer reported it (Produced), or, when not `parallel`, all at once in Finish.
class ProgressiveHasher {
 public:
  ProgressiveHasher(const std::string& buffer, bool parallel) : buffer_(buffer) {
    if (parallel) thread_ = std::thread([this] { Run(); });
  }
  ~ProgressiveHasher() {
    if (thread_.joinable()) {
      Produced(buffer_.size());
      thread_.join();
    }
  }

  // The first `bytes` of the buffer are final.
  void Produced(size_t bytes) {
    if (!thread_.joinable()) return;
    absl::MutexLock lock(&mu_);
    produced_ = bytes;
  }

  // Lowercase hex sha256 of the whole buffer. REQUIRES: every byte was produced.
  std::string Finish() {
    if (!thread_.joinable()) return common::Sha256Hex(buffer_);
    Produced(buffer_.size());
    thread_.join();
    return digest_;
  }

 private:
  void Run() {
    common::Sha256 sha;
    size_t hashed = 0;
    while (hashed < buffer_.size()) {
      size_t until;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [&] {
          return produced_ == buffer_.size() || produced_ >= hashed + kHashStep;
        };
        mu_.Await(absl::Condition(&ready));
        until = produced_;
      }
      sha.Update(absl::string_view(buffer_).substr(hashed, until - hashed));
      hashed = until;
    }
    digest_ = sha.FinishHex();
  }

  const std::string& buffer_;
  absl::Mutex mu_;
  size_t produced_ ABSL_GUARDED_BY(mu_) = 0;
  std::string digest_;
  std::thread thread_;
};

}  // namespace

uint64_t CiphertextSize(uint64_t plain) { return BlobCiphertextSize(plain); }

std::string BlobAddress(absl::string_view ciphertext) { return common::Sha256Hex(ciphertext); }

v1::BlobRef BlobRefOf(const SealedBlob& blob) {
  v1::BlobRef ref;
  ref.set_address(blob.address);
  ref.set_key(std::string(blob.key.view()));
  ref.set_size(blob.plaintext_size);
  return ref;
}

SealedBlob SealBlob(absl::string_view plaintext) {
  common::InitSodium();
  common::SecretBytes key(kBlobKeySize);
  crypto_secretstream_xchacha20poly1305_keygen(key.data());
  return SealBlobWithKey(plaintext, key.view());
}

SealedBlob SealBlobWithKey(absl::string_view plaintext, absl::string_view key) {
  if (key.size() != kBlobKeySize) std::abort();  // a caller bug, see REQUIRES
  common::InitSodium();
  SealedBlob blob{common::SecretBytes(key), std::string(), std::string(), plaintext.size()};
  // Records are written straight into the final buffer: the plaintext is read once, and the
  // ciphertext is never copied or reallocated.
  blob.ciphertext.resize(CiphertextSize(plaintext.size()));
  unsigned char* out = Bytes(blob.ciphertext);
  StreamState state;
  crypto_secretstream_xchacha20poly1305_init_push(&state.s, out, Bytes(key));
  // Large blobs are hashed on a second thread that follows the encryption record by record:
  // the two overlap (bench/blob_bench: sealing 16 MiB took encrypt 25 ms + sha256 13 ms one
  // after the other). Small ones are not worth a thread.
  ProgressiveHasher hasher(blob.ciphertext, plaintext.size() >= kParallelHashBytes);
  out += kBlobHeaderSize;
  size_t offset = 0;
  do {
    size_t n = std::min(kBlobChunkSize, plaintext.size() - offset);
    bool last = offset + n == plaintext.size();
    unsigned long long written = 0;
    crypto_secretstream_xchacha20poly1305_push(&state.s, out, &written,
                                               Bytes(plaintext) + offset, n, nullptr, 0,
                                               last ? kTagFinal : kTagMessage);
    out += written;
    offset += n;
    hasher.Produced(static_cast<size_t>(out - Bytes(blob.ciphertext)));
  } while (offset < plaintext.size());
  blob.address = hasher.Finish();
  return blob;
}

absl::Status CheckBlobIdentity(uint64_t length, absl::string_view address,
                               const v1::BlobRef& ref) {
  uint64_t expected = CiphertextSize(ref.size());
  if (length != expected) {
    return absl::DataLossError(absl::StrCat("blob is ", length, " bytes, its reference announces ",
                                            expected, " (", ref.size(), " bytes of plaintext)"));
  }
  if (address != ref.address()) {
    return absl::DataLossError("blob's sha256 differs from the address its reference announces");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> OpenBlob(absl::string_view ciphertext, const v1::BlobRef& ref) {
  // The length check first: it is free, and spares hashing a blob of the wrong size.
  uint64_t expected = CiphertextSize(ref.size());
  if (ciphertext.size() != expected) return CheckBlobIdentity(ciphertext.size(), "", ref);
  return OpenHashedBlob(ciphertext, BlobAddress(ciphertext), ref);
}

absl::StatusOr<std::string> OpenHashedBlob(absl::string_view ciphertext, absl::string_view address,
                                           const v1::BlobRef& ref) {
  if (absl::Status s = CheckKey(ref.key()); !s.ok()) return s;
  if (absl::Status s = CheckBlobIdentity(ciphertext.size(), address, ref); !s.ok()) return s;
  absl::StatusOr<std::string> plain = DecryptBlob(ciphertext, ref.key());
  if (plain.ok() && plain->size() != ref.size()) {
    // Unreachable for a stream of the checked length; kept so the size is never taken on trust.
    sodium_memzero(plain->data(), plain->size());
    return absl::DataLossError("blob decrypts to a size other than its reference announces");
  }
  return plain;
}

absl::StatusOr<std::string> DecryptBlob(absl::string_view ciphertext, absl::string_view key) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  if (ciphertext.size() < kBlobHeaderSize) {
    return absl::DataLossError("blob is shorter than its header");
  }
  common::InitSodium();
  StreamState state;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&state.s, Bytes(ciphertext),
                                                      Bytes(key)) != 0) {
    return absl::DataLossError("blob header is invalid");
  }
  absl::string_view records = ciphertext.substr(kBlobHeaderSize);
  std::string plain;
  plain.resize(PlaintextBound(records.size()));
  // A stream that fails part-way leaves no decrypted bytes behind in freed memory.
  struct WipeOnFailure {
    std::string& bytes;
    bool done = false;
    ~WipeOnFailure() {
      if (!done) sodium_memzero(bytes.data(), bytes.size());
    }
  } wipe{plain};
  size_t written = 0;
  for (uint64_t i = 0;; ++i) {
    if (records.empty()) return absl::DataLossError("blob ends before its final chunk");
    size_t n = std::min(records.size(), kBlobRecordSize);
    unsigned long long out = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&state.s, Bytes(plain) + written, &out, &tag,
                                                   Bytes(records), n, nullptr, 0) != 0) {
      return absl::DataLossError(absl::StrCat("blob chunk ", i, " failed authentication"));
    }
    written += out;
    records.remove_prefix(n);
    if (tag == kTagFinal) break;
    if (tag != kTagMessage) {
      return absl::DataLossError(absl::StrCat("blob chunk ", i, " has the unexpected tag ",
                                              static_cast<int>(tag)));
    }
  }
  if (!records.empty()) return absl::DataLossError("blob has bytes after its final chunk");
  plain.resize(written);
  wipe.done = true;
  return plain;
}

}  // namespace unibus::client::internal
