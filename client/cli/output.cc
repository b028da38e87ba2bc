#include "client/cli/output.h"

namespace unibus::client::cli {

std::string JsonLine(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Output::Line(absl::string_view text) { *ctx_.out << text << "\n" << std::flush; }

void Output::Json(const nlohmann::json& object) {
  *ctx_.out << JsonLine(object) << "\n" << std::flush;
}

void Output::Note(absl::string_view text) {
  if (!json_) *ctx_.err << text << "\n" << std::flush;
}

void Output::Warn(absl::string_view text) {
  if (json_) {
    *ctx_.err << JsonLine({{"warning", std::string(text)}}) << "\n" << std::flush;
  } else {
    *ctx_.err << "unibus: warning: " << text << "\n" << std::flush;
  }
}

int Output::Fail(int exit_code, absl::string_view message) {
  if (json_) {
    *ctx_.err << JsonLine({{"error", std::string(message)}, {"exit_code", exit_code}}) << "\n";
  } else {
    *ctx_.err << "unibus: " << message << "\n";
  }
  ctx_.err->flush();
  return exit_code;
}

}  // namespace unibus::client::cli
