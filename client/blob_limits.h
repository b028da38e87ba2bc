// Blob sizes (docs/frames.md §12): a blob's ciphertext is its plaintext plus a 24-byte header and
// 17 bytes per record of up to 65,536 plaintext bytes. Size limits (unibusd --max_blob_bytes,
// ClientOptions::max_blob_bytes) count ciphertext, which is what the server stores.
#ifndef UNIBUS_CLIENT_BLOB_LIMITS_H_
#define UNIBUS_CLIENT_BLOB_LIMITS_H_

#include <algorithm>
#include <cstdint>
#include <limits>

namespace unibus::client {

inline constexpr uint64_t kBlobRecordPlaintext = 65536;
inline constexpr uint64_t kBlobStreamHeader = 24;
inline constexpr uint64_t kBlobRecordOverhead = 17;

// Ciphertext bytes of a `plain`-byte blob: 24 + plain + 17 × max(1, ceil(plain / 65536)).
// Saturates at UINT64_MAX.
constexpr uint64_t BlobCiphertextSize(uint64_t plain) {
  uint64_t records = plain == 0 ? 1 : plain / kBlobRecordPlaintext +
                                          (plain % kBlobRecordPlaintext != 0 ? 1 : 0);
  uint64_t overhead = kBlobStreamHeader + kBlobRecordOverhead * records;
  return plain > std::numeric_limits<uint64_t>::max() - overhead
             ? std::numeric_limits<uint64_t>::max()
             : plain + overhead;
}

// The largest plaintext whose ciphertext fits in `max_ciphertext` bytes (0 if not even an empty
// blob fits).
constexpr uint64_t LargestBlobPlaintext(uint64_t max_ciphertext) {
  if (max_ciphertext < kBlobStreamHeader + kBlobRecordOverhead) return 0;
  const uint64_t room = max_ciphertext - kBlobStreamHeader;
  const uint64_t record = kBlobRecordPlaintext + kBlobRecordOverhead;
  // With n records the plaintext is at most min(65,536 n, room − 17 n); the best n is the
  // smallest that covers `room`, or one fewer.
  const uint64_t n = room / record + (room % record != 0 ? 1 : 0);
  uint64_t best = std::min(kBlobRecordPlaintext * n, room - kBlobRecordOverhead * n);
  if (n > 1) best = std::max(best, kBlobRecordPlaintext * (n - 1));
  return best;
}

}  // namespace unibus::client

#endif  // UNIBUS_CLIENT_BLOB_LIMITS_H_
