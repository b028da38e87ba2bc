// Exit codes of the `unibus` CLI, so that scripts can tell what failed.
#ifndef UNIBUS_CLIENT_CLI_EXIT_CODE_H_
#define UNIBUS_CLIENT_CLI_EXIT_CODE_H_

namespace unibus::client::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitOther = 1,  // anything not listed below
  kExitUsage = 2,  // bad command line: unknown command or flag, missing value
  kExitFile = 3,   // a local file is missing, corrupt, already exists or has unsafe permissions
};

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_EXIT_CODE_H_
