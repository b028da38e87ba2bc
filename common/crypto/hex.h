// Lowercase hexadecimal encoding of keys and hashes.
#ifndef UNIBUS_COMMON_CRYPTO_HEX_H_
#define UNIBUS_COMMON_CRYPTO_HEX_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace unibus::common {

std::string HexEncode(absl::string_view bytes);

// Decodes upper- or lower-case hex. std::nullopt on odd length or a non-hex character.
std::optional<std::string> HexDecode(absl::string_view hex);

// True if `hex` is exactly `bytes` bytes of hex (either case).
bool IsHexOfSize(absl::string_view hex, size_t bytes);

// True if `hex` is exactly `bytes` bytes of lowercase hex (the canonical form of ids, keys and
// addresses that name files and subjects).
bool IsLowerHexOfSize(absl::string_view hex, size_t bytes);

// Lower-cases hex input (keys are stored and compared in lower case).
std::string HexNormalize(absl::string_view hex);

}  // namespace unibus::common

#endif  // UNIBUS_COMMON_CRYPTO_HEX_H_
