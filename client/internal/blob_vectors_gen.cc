// Prints the blob test vectors (testdata/blob_v1.json, docs/frames.md §12) to stdout.
//
// The key is fixed, and libsodium's random source is replaced by a seeded deterministic one
// before first use, so the secretstream header (random in real blobs) and therefore the output
// are the same on every run. Regenerate with
//   bazel run //client/internal:blob_vectors_gen > testdata/blob_v1.json
// and check the diff: a change means the format changed.
#include <sodium.h>

#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "client/internal/blob_cipher.h"
#include "common/crypto/hex.h"
#include "common/crypto/identity.h"

namespace unibus::client::internal {
namespace {

using nlohmann::ordered_json;

// randombytes_buf_deterministic under a fixed seed, with a call counter mixed into the seed so
// that successive calls differ.
uint64_t draws = 0;

void DeterministicBuf(void* buf, size_t size) {
  unsigned char seed[randombytes_SEEDBYTES];
  std::memset(seed, 0x5e, sizeof seed);
  ++draws;
  std::memcpy(seed, &draws, sizeof draws);
  randombytes_buf_deterministic(buf, size, seed);
}

uint32_t DeterministicRandom() {
  uint32_t r = 0;
  DeterministicBuf(&r, sizeof r);
  return r;
}

const char* DeterministicName() { return "unibus-blob-vectors"; }

randombytes_implementation deterministic = {
    DeterministicName, DeterministicRandom, nullptr, nullptr, DeterministicBuf, nullptr};

// Byte i of the 70,000-byte plaintext: (i × 131) mod 251, so every record differs.
std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 131 % 251);
  return s;
}

std::string Key() {
  std::string key(kBlobKeySize, '\0');
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<char>(i);
  return key;
}

ordered_json CaseJson(const std::string& name, const std::string& comment,
                      const std::string& plain) {
  SealedBlob blob = SealBlobWithKey(plain, Key());
  size_t records = (blob.ciphertext.size() - kBlobHeaderSize + kBlobRecordSize - 1) /
                   kBlobRecordSize;
  return {{"name", name},
          {"comment", comment},
          {"key_hex", common::HexEncode(blob.key.view())},
          {"size", plain.size()},
          {"records", records},
          {"plaintext_hex", common::HexEncode(plain)},
          {"ciphertext_hex", common::HexEncode(blob.ciphertext)},
          {"address", blob.address}};
}

int Main() {
  if (randombytes_set_implementation(&deterministic) != 0) return 1;
  common::InitSodium();
  ordered_json cases = ordered_json::array();
  cases.push_back(CaseJson("empty", "an empty blob: one empty FINAL record", ""));
  cases.push_back(CaseJson("short", "one FINAL record", "hello, blob"));
  cases.push_back(CaseJson("two_records",
                           "70,000 bytes, byte i = (i * 131) mod 251: a full MESSAGE record of "
                           "65,536 bytes, then a FINAL record of 4,464",
                           Pattern(70000)));
  ordered_json out = {
      {"description",
       "unibus blob test vectors v1 (docs/frames.md §12). Decrypt-only: real blobs draw the "
       "key and the secretstream header at random; here both are fixed so the file is "
       "reproducible. A reader checks len(ciphertext) = 24 + size + 17 * max(1, ceil(size / "
       "65536)), sha256(ciphertext) = address, and that the records decrypt with key to the "
       "plaintext, the last one tagged FINAL and all others MESSAGE."},
      {"version", 1},
      {"chunk_size", kBlobChunkSize},
      {"cases", cases}};
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace unibus::client::internal

int main() { return unibus::client::internal::Main(); }
