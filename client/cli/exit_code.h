// Exit codes of the `unibus` CLI, so that scripts can tell what failed, and the one mapping from
// an absl::StatusCode (the client library's and the control plane's errors) to an exit code.
#ifndef UNIBUS_CLIENT_CLI_EXIT_CODE_H_
#define UNIBUS_CLIENT_CLI_EXIT_CODE_H_

#include "absl/status/status.h"

namespace unibus::client::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitOther = 1,        // anything not listed below
  kExitUsage = 2,        // bad command line: unknown command or flag, missing value, bad argument
  kExitFile = 3,         // a local file is missing, corrupt, already exists or has unsafe
                         // permissions, or a file to send is unreadable or too large
  kExitTimeout = 4,      // `recv --count N --timeout S`: fewer than N messages within S seconds
  kExitNotFound = 5,     // no such room / user, or not a member of the room
  kExitDenied = 6,       // not on the allowlist, revoked, or not allowed to do this
  kExitUnreachable = 7,  // unibusd or nats-server cannot be reached (or did not answer in time)
  kExitIntegrity = 8,    // a downloaded file is not what its sender uploaded (DATA_LOSS from
                         // GetBlob: tampered, truncated or corrupted); nothing of it was saved
  kExitInterrupted = 130,  // Ctrl-C / SIGTERM during `recv --count` (128 + SIGINT, as shells do)
};

// The exit code for an error of this code:
//   OK → 0; INVALID_ARGUMENT, OUT_OF_RANGE → 2; NOT_FOUND → 5;
//   UNAUTHENTICATED, PERMISSION_DENIED → 6; UNAVAILABLE, DEADLINE_EXCEEDED → 7; else 1.
// Local file problems (kExitFile) are decided where the file is read, not from a status code;
// kExitIntegrity where a blob is downloaded (blob_transfer.h), because DATA_LOSS also stands for
// local I/O errors (atomic_file.h).
int ExitCodeFor(absl::StatusCode code);

// The help text's summary of the codes above (one line per code, indented by two spaces).
const char* ExitCodeHelp();

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_EXIT_CODE_H_
