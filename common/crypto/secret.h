// Secret key material: move-only, wiped with sodium_memzero when destroyed or moved from.
#ifndef UNIBUS_COMMON_CRYPTO_SECRET_H_
#define UNIBUS_COMMON_CRYPTO_SECRET_H_

#include <sodium.h>

#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace unibus::common {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(absl::string_view bytes) : bytes_(bytes.data(), bytes.size()) {}
  explicit SecretBytes(size_t size) : bytes_(size, '\0') {}
  ~SecretBytes() { Wipe(); }

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.Wipe(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      Wipe();
      bytes_ = std::move(other.bytes_);
      other.Wipe();
    }
    return *this;
  }

  absl::string_view view() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  unsigned char* data() { return reinterpret_cast<unsigned char*>(bytes_.data()); }
  const unsigned char* data() const { return reinterpret_cast<const unsigned char*>(bytes_.data()); }

 private:
  void Wipe() {
    if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
    bytes_.clear();
  }
  std::string bytes_;
};

}  // namespace unibus::common

#endif  // UNIBUS_COMMON_CRYPTO_SECRET_H_
