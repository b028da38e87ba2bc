#include "client/cli/exit_code.h"

namespace unibus::client::cli {

int ExitCodeFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kExitDenied;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnreachable;
    default:
      return kExitOther;
  }
}

const char* ExitCodeHelp() {
  return "  0  ok\n"
         "  1  other error\n"
         "  2  usage error (unknown command or flag, missing or malformed argument)\n"
         "  3  local file problem (identity or CA file missing, corrupt, readable by others;\n"
         "     a file to send missing, unreadable or too large; a file to write exists)\n"
         "  4  timeout (recv --count N --timeout S got fewer than N messages)\n"
         "  5  not found (no such room or user, or not a member of the room)\n"
         "  6  denied (not on the allowlist, revoked, or not allowed to do this)\n"
         "  7  server unreachable (unibusd or nats-server down, or no answer in time)\n"
         "  8  integrity check failed (a downloaded file is not what its sender uploaded;\n"
         "     nothing of it was saved)\n"
         "  130  interrupted (Ctrl-C during recv --count)\n";
}

}  // namespace unibus::client::cli
