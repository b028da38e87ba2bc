// File names that peers choose (BlobRef.name) made safe to create in a directory of ours and to
// print on a terminal. A name from a frame or a token is hostile input: "../../.bashrc",
// "/etc/passwd", ".ssh", "-rf", "invoice\u202Efdp.exe" (a right-to-left override that shows it
// as "invoiceexe.pdf"), escape sequences, thousands of bytes.
//
// Thread safety: pure functions.
#ifndef UNIBUS_CLIENT_CLI_FILE_NAME_H_
#define UNIBUS_CLIENT_CLI_FILE_NAME_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace unibus::client::cli {

// Longest name SafeFileName returns, in bytes: under the usual NAME_MAX of 255, with room for a
// " (N)" that NumberedFileName adds.
inline constexpr size_t kMaxFileNameBytes = 200;

// One path component that is safe to create:
//   - only what follows the last '/' or '\' is kept;
//   - control characters (C0, DEL, C1), Unicode direction controls (U+200E, U+200F,
//     U+202A..U+202E, U+2066..U+2069) and bytes that are not UTF-8 become '_';
//   - surrounding white space is dropped;
//   - a name starting with '.' (".", "..", hidden files) or '-' (taken for an option by a later
//     shell command) gets a "_" in front;
//   - names over kMaxFileNameBytes are cut (at a character boundary) before the extension, which
//     is kept if it is short;
//   - nothing left: "blob-" and the first 12 hex characters of `address` ("blob" without any).
std::string SafeFileName(absl::string_view name, absl::string_view address);

// The n-th alternative to `name` when it is taken: n = 0 is `name` itself, then
// "report (1).pdf", "report (2).pdf", ...; a name without an extension: "notes (1)".
std::string NumberedFileName(absl::string_view name, int n);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_FILE_NAME_H_
