// Byte counts for people, in binary units with one decimal: "512 B", "1.2 KiB", "16.0 MiB".
// Used for file sizes in transcripts and messages and in progress bars.
//
// Thread safety: pure functions.
#ifndef UNIBUS_CLIENT_CLI_BYTE_SIZE_H_
#define UNIBUS_CLIENT_CLI_BYTE_SIZE_H_

#include <cstdint>
#include <string>

namespace unibus::client::cli {

// "0 B", "1023 B", "1.0 KiB", "1.2 MiB", "3.0 GiB", ... up to EiB.
std::string FormatByteSize(uint64_t bytes);

// `done` and `total` in the unit that suits `total`, the unit written once: "6.7/16.0 MiB",
// "100/512 B".
std::string FormatByteRatio(uint64_t done, uint64_t total);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_BYTE_SIZE_H_
