// Test helpers: run a `unibus` command in-process with a fake environment, scripted standard
// input and captured output, either to completion (RunCli) or on a thread of its own while the
// test watches its output and types lines (BackgroundCli).
#ifndef UNIBUS_CLIENT_CLI_CLI_TESTING_H_
#define UNIBUS_CLIENT_CLI_CLI_TESTING_H_

#include <deque>
#include <map>
#include <memory>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/cli/command.h"
#include "client/cli/context.h"

namespace unibus::client::cli::testing {

using Env = std::map<std::string, std::string>;

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

// A fresh directory under TEST_TMPDIR, named after `prefix`.
std::string NewTempDir(const std::string& prefix);

// Runs `fn(args)` with `env` as the whole environment and `input` as standard input.
CliResult RunCli(CommandFn fn, const std::vector<std::string>& args, const Env& env,
                 const std::vector<std::string>& input = {});

// A string sink that several threads may write to while another reads it. Thread-safe.
class SharedBuffer : public std::streambuf {
 public:
  std::string contents() const;
  // Waits until the contents contain `needle`; false after `timeout`.
  bool WaitFor(absl::string_view needle, absl::Duration timeout) const;

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;

 private:
  mutable absl::Mutex mu_;
  std::string data_ ABSL_GUARDED_BY(mu_);
};

// A command running on its own thread. Its input blocks until Type() or CloseInput().
class BackgroundCli {
 public:
  BackgroundCli(CommandFn fn, std::vector<std::string> args, Env env);
  ~BackgroundCli();  // closes the input, interrupts and joins

  // A line of standard input.
  void Type(const std::string& line);
  void CloseInput();
  // Makes ctx.interrupted() true (Ctrl-C).
  void Interrupt();
  // Waits until stdout / stderr contain `needle`.
  bool WaitForOut(absl::string_view needle, absl::Duration timeout = absl::Seconds(20)) const {
    return out_.WaitFor(needle, timeout);
  }
  bool WaitForErr(absl::string_view needle, absl::Duration timeout = absl::Seconds(20)) const {
    return err_.WaitFor(needle, timeout);
  }
  // Waits for the command to end.
  CliResult Finish();

 private:
  bool ReadLine(std::string* line);

  SharedBuffer out_, err_;
  std::ostream out_stream_{&out_};
  std::ostream err_stream_{&err_};
  absl::Mutex mu_;
  std::deque<std::string> input_ ABSL_GUARDED_BY(mu_);
  bool input_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool interrupted_ ABSL_GUARDED_BY(mu_) = false;
  int code_ = -1;
  std::thread thread_;
};

}  // namespace unibus::client::cli::testing

#endif  // UNIBUS_CLIENT_CLI_CLI_TESTING_H_
