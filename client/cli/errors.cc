#include "client/cli/errors.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli/exit_code.h"

namespace unibus::client::cli {
namespace {

std::string NotFound(absl::string_view message, const ErrorScope& scope) {
  if (absl::StrContains(message, "user not found")) {
    if (scope.user.empty()) return "no such user";
    return absl::StrCat("no user \"", scope.user, "\" (see: unibus user list)");
  }
  if (absl::StrContains(message, "member not found") && !scope.user.empty()) {
    return absl::StrCat(scope.user, " is not a member of room ", scope.room);
  }
  if (absl::StrContains(message, "no key")) {
    return absl::StrCat("room ", scope.room, ": ", message,
                        " (this identity holds no key for it; ask the room's owner)");
  }
  if (!scope.room.empty()) {
    return absl::StrCat("not a member of room ", scope.room, " (or it does not exist)");
  }
  return std::string(message);
}

std::string NotAllowlisted(const ErrorScope& scope) {
  std::string keys = scope.sign_pub_hex.empty()
                         ? "SIGN_PUB KEX_PUB"
                         : absl::StrCat(scope.sign_pub_hex, " ", scope.kex_pub_hex);
  return absl::StrCat("this identity is not on the allowlist (ask an admin to run `unibus user add ",
                      keys, " --handle NAME`)");
}

std::string Denied(absl::string_view message) {
  if (absl::StrContains(message, "revoked")) {
    return "this identity has been revoked (it can no longer use unibus; ask an admin)";
  }
  if (absl::StrContains(message, "NATS") || absl::StrContains(message, "nats")) {
    return absl::StrCat("nats-server refused this identity (", message,
                        "); if it was added just now, try again in a moment");
  }
  return absl::StrCat("permission denied: ", message);
}

// UNAVAILABLE and DEADLINE_EXCEEDED come from both planes; the library's NATS messages name NATS
// (or the room's history), gRPC's do not.
std::string Unreachable(absl::string_view message, const ErrorScope& scope) {
  if (absl::StrContains(message, "NATS") || absl::StrContains(message, "nats")) {
    return absl::StrCat("cannot reach nats-server at ", scope.nats, " (", message, ")");
  }
  if (absl::StrContains(message, "frame") || absl::StrContains(message, "history")) {
    return std::string(message);
  }
  return absl::StrCat("cannot reach unibusd at ", scope.control, " (", message, ")");
}

}  // namespace

Explained Explain(const absl::Status& status, const ErrorScope& scope) {
  const absl::string_view message = status.message();
  const int code = ExitCodeFor(status.code());
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return {code, NotFound(message, scope)};
    case absl::StatusCode::kUnauthenticated:
      if (absl::StrContains(message, "allowlist")) return {code, NotAllowlisted(scope)};
      return {code, absl::StrCat("not authenticated: ", message)};
    case absl::StatusCode::kPermissionDenied:
      return {code, Denied(message)};
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return {code, Unreachable(message, scope)};
    case absl::StatusCode::kAlreadyExists:
      return {code, absl::StrCat("already exists: ", message)};
    default:
      return {code, std::string(message)};
  }
}

}  // namespace unibus::client::cli
