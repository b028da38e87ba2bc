#include "client/cli/args.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace unibus::client::cli {

absl::StatusOr<ParsedArgs> ParsedArgs::Parse(const std::vector<std::string>& args,
                                             const FlagSpec& spec) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.positional_.insert(parsed.positional_.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg == "-h" || arg == "--help") {
      parsed.bools_.insert("help");
      continue;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      parsed.positional_.push_back(arg);
      continue;
    }
    std::string name;
    if (absl::StartsWith(arg, "--")) {
      name = arg.substr(2);
    } else if (auto alias = spec.short_flags.find(arg[1]);
               arg.size() == 2 && alias != spec.short_flags.end()) {
      name = alias->second;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag ", arg, " (flags are spelled --name)"));
    }
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (parsed.values_.count(name) > 0 || parsed.bools_.count(name) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("flag --", name, " given twice"));
    }
    if (spec.bool_flags.count(name) > 0) {
      if (value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " takes no value"));
      }
      parsed.bools_.insert(name);
    } else if (spec.value_flags.count(name) > 0) {
      if (!value.has_value()) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
        }
        value = args[++i];
      }
      parsed.values_[name] = *value;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
  }
  return parsed;
}

std::optional<std::string> ParsedArgs::Value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool ParsedArgs::Has(const std::string& name) const { return bools_.count(name) > 0; }

}  // namespace unibus::client::cli
