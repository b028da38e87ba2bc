// A small reader of nats-server's config syntax, enough for the hygiene checks: the entries at
// one nesting level of a config text (key, then a { block }, a [ list ] or a scalar), with
// quotes, `#` and `//` comments understood. It does not evaluate `include` or variables.
// Pure functions; thread-safe.
#ifndef UNIBUS_BROKER_AUTH_CONFIG_CONFIG_BLOCKS_H_
#define UNIBUS_BROKER_AUTH_CONFIG_CONFIG_BLOCKS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace unibus::broker_auth::config {

struct ConfEntry {
  enum class Kind { kBlock, kList, kScalar };
  std::string key;
  Kind kind = Kind::kScalar;
  std::string value;  // the text inside { } or [ ], or the scalar without quotes
  bool quoted = false;  // a scalar written as a string ("2s", "2")
};

// The entries directly in `body` (not those nested in their blocks), in order. Keys are
// lowercased, as nats-server reads them.
std::vector<ConfEntry> Entries(absl::string_view body);

// FAILED_PRECONDITION if a key appears twice at one level (nats-server takes the last, a check
// would read the first) or an `include` appears anywhere (its content cannot be checked).
absl::Status CheckUnambiguous(absl::string_view body);

// The body of the first block `key { … }` directly in `body` (std::nullopt if there is none).
std::optional<std::string> OwnBlock(absl::string_view body, absl::string_view key);
inline std::optional<std::string> TopLevelBlock(absl::string_view text, absl::string_view key) {
  return OwnBlock(text, key);
}
// The first scalar entry `key` directly in `body`.
std::optional<ConfEntry> OwnScalar(absl::string_view body, absl::string_view key);
// The scalar value of `key` directly in `body`; "" if there is none.
std::string OwnValue(absl::string_view body, absl::string_view key);

}  // namespace unibus::broker_auth::config

#endif  // UNIBUS_BROKER_AUTH_CONFIG_CONFIG_BLOCKS_H_
