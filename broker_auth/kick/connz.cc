#include "broker_auth/kick/connz.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace unibus::broker_auth::kick {
namespace {

using nlohmann::json;

bool ParseRfc3339(const json& value, absl::Time* out) {
  if (!value.is_string()) return false;
  std::string error;
  return absl::ParseTime(absl::RFC3339_full, value.get<std::string>(), out, &error);
}

}  // namespace

std::string ConnzRequestJson(absl::string_view user_nkey, absl::string_view account,
                             uint64_t offset, int limit) {
  // Open connections (the default), with their authorized users.
  json request = {{"offset", offset}, {"limit", limit}, {"auth", true}};
  if (!user_nkey.empty()) request["user"] = std::string(user_nkey);
  if (!account.empty()) request["acc"] = std::string(account);
  return request.dump();
}

absl::StatusOr<ServerConnections> ParseConnz(absl::string_view answer, int limit) {
  json j = json::parse(answer.begin(), answer.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the server refused the query: ", j["error"].value("description", "")));
  }
  if (!j.is_object() || !j.contains("data") || !j["data"].is_object()) {
    return absl::InvalidArgumentError("not a CONNZ answer");
  }
  const json& data = j["data"];
  ServerConnections out;
  if (!data.contains("server_id") || !data["server_id"].is_string()) {
    return absl::InvalidArgumentError("CONNZ answer without a server id");
  }
  out.server_id = data["server_id"].get<std::string>();
  absl::Time now;
  if (!data.contains("now") || !ParseRfc3339(data["now"], &now)) {
    return absl::InvalidArgumentError("CONNZ answer without a time");
  }
  if (data.contains("offset") && data["offset"].is_number_unsigned()) {
    out.offset = data["offset"].get<uint64_t>();
  }
  if (!data.contains("connections") || !data["connections"].is_array()) return out;
  for (const json& c : data["connections"]) {
    absl::Time start;
    if (!c.is_object() || !c.contains("cid") || !c["cid"].is_number_unsigned() ||
        !c.contains("start") || !ParseRfc3339(c["start"], &start)) {
      return absl::InvalidArgumentError("CONNZ answer with an unreadable connection");
    }
    std::string user = c.contains("authorized_user") && c["authorized_user"].is_string()
                           ? c["authorized_user"].get<std::string>()
                           : "";
    out.connections.push_back({c["cid"].get<uint64_t>(), now - start, std::move(user)});
  }
  out.more = static_cast<int>(out.connections.size()) >= limit;
  return out;
}

}  // namespace unibus::broker_auth::kick
