#include "common/testing/test_bytes.h"

#include <cstdint>

namespace unibus::common::testing {

std::string TestBytes(size_t n, int seed) {
  std::string s(n, '\0');
  // Knuth's multiplicative hash spreads neighbouring seeds over the state space.
  uint32_t x = 2654435761u * static_cast<uint32_t>(seed + 1);
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

}  // namespace unibus::common::testing
