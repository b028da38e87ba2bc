// Base64 as NATS JWTs use it: URL-safe alphabet without padding. Decoding also accepts the
// standard alphabet and padding, as nats-server does for client signatures.
#ifndef UNIBUS_BROKER_AUTH_CALLOUT_BASE64URL_H_
#define UNIBUS_BROKER_AUTH_CALLOUT_BASE64URL_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace unibus::broker_auth::callout {

std::string Base64UrlEncode(absl::string_view bytes);

// Raw URL-safe first, then standard (with or without padding). std::nullopt if neither parses.
std::optional<std::string> Base64Decode(absl::string_view text);

}  // namespace unibus::broker_auth::callout

#endif  // UNIBUS_BROKER_AUTH_CALLOUT_BASE64URL_H_
