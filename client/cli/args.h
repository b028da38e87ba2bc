// A small command-line parser for `unibus` subcommands: GNU-style long flags and positional
// arguments, e.g. `--out PATH`, `--out=PATH`, `--json`, `--` (ends flags). A command may also
// declare one-letter aliases (`-o PATH` for `--out PATH`); "-" alone is a positional argument.
//
// Each subcommand declares the flags it accepts; anything else is a usage error, so a typo never
// silently falls back to a default. `-h` and `--help` are always accepted (as flag "help").
//
// Thread safety: ParsedArgs is immutable after Parse(); safe to share.
#ifndef UNIBUS_CLIENT_CLI_ARGS_H_
#define UNIBUS_CLIENT_CLI_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace unibus::client::cli {

struct FlagSpec {
  std::set<std::string> value_flags;  // names without "--", each takes one value
  std::set<std::string> bool_flags;   // names without "--", take no value
  std::map<char, std::string> short_flags = {};  // 'o' → "out": `-o X` means `--out X`
};

class ParsedArgs {
 public:
  // INVALID_ARGUMENT (message fit for the user) for an unknown flag, a value flag without a
  // value, a value given to a bool flag, or a flag given twice.
  static absl::StatusOr<ParsedArgs> Parse(const std::vector<std::string>& args,
                                          const FlagSpec& spec);

  // The value of a value flag, if given.
  std::optional<std::string> Value(const std::string& name) const;
  // True if a bool flag (or "help") was given.
  bool Has(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> bools_;
  std::vector<std::string> positional_;
};

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_ARGS_H_
