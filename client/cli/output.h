// How a `unibus` command talks to its user: results on ctx.out as text for people or, with
// --json, as one JSON object per line for scripts; errors and notes on ctx.err, as
// "unibus: MESSAGE" lines or, with --json, as {"error": MESSAGE, "exit_code": N} objects.
//
// Thread safety: not thread-safe; a command that prints from several threads (chat) serialises
// its calls.
#ifndef UNIBUS_CLIENT_CLI_OUTPUT_H_
#define UNIBUS_CLIENT_CLI_OUTPUT_H_

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "client/cli/context.h"

namespace unibus::client::cli {

class Output {
 public:
  // `ctx` must outlive the Output.
  Output(const Context& ctx, bool json) : ctx_(ctx), json_(json) {}

  bool json() const { return json_; }

  // A line of text for people (only call in text mode); flushed, so pipes see it at once.
  void Line(absl::string_view text);
  // One JSON object on one line (invalid UTF-8 is replaced, never an error); flushed.
  void Json(const nlohmann::json& object);
  // A note for people on ctx.err ("created room …"); nothing in JSON mode.
  void Note(absl::string_view text);
  // A problem that does not end the command: "unibus: warning: …" or {"warning": …} on ctx.err.
  void Warn(absl::string_view text);
  // Reports an error that ends the command and returns `exit_code`, for `return out.Fail(…)`.
  int Fail(int exit_code, absl::string_view message);

 private:
  const Context& ctx_;
  const bool json_;
};

// `value` as a single JSON line (what Output::Json prints, without the newline).
std::string JsonLine(const nlohmann::json& value);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_OUTPUT_H_
