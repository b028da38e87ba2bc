// Test helper: reproducible, incompressible-looking bytes of any length, for tests that move
// data (blobs, files) and need every byte and every chunk to differ from the next.
#ifndef UNIBUS_COMMON_TESTING_TEST_BYTES_H_
#define UNIBUS_COMMON_TESTING_TEST_BYTES_H_

#include <cstddef>
#include <string>

namespace unibus::common::testing {

// `n` pseudo-random bytes (the top byte of a 32-bit linear congruential generator), the same
// for the same (n, seed) on every run and machine; another seed gives other bytes, and
// TestBytes(m, seed) is a prefix of TestBytes(n, seed) for m <= n. Not for cryptography.
std::string TestBytes(size_t n, int seed);

}  // namespace unibus::common::testing

#endif  // UNIBUS_COMMON_TESTING_TEST_BYTES_H_
