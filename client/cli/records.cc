#include "client/cli/records.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace unibus::client::cli {
namespace {

// "ROOM_ROLE_OWNER" without "ROOM_ROLE_" → "owner"; "UNSPECIFIED" → "unspecified".
std::string Word(const std::string& name, absl::string_view prefix) {
  absl::string_view rest = name;
  absl::ConsumePrefix(&rest, prefix);
  if (rest.empty()) return "unknown";
  return absl::AsciiStrToLower(rest);
}

}  // namespace

std::string RoleName(v1::Role role) { return Word(v1::Role_Name(role), "ROLE_"); }
std::string RoomRoleName(v1::RoomRole role) {
  return Word(v1::RoomRole_Name(role), "ROOM_ROLE_");
}
std::string StatusName(v1::UserStatus status) {
  return Word(v1::UserStatus_Name(status), "USER_STATUS_");
}
std::string FrameTypeName(v1::FrameType type) {
  return Word(v1::FrameType_Name(type), "FRAME_TYPE_");
}

std::optional<v1::Role> ParseRole(const std::string& word) {
  if (word == "member") return v1::ROLE_MEMBER;
  if (word == "admin") return v1::ROLE_ADMIN;
  return std::nullopt;
}

nlohmann::json UserJson(const v1::User& user) {
  nlohmann::json j = {
      {"sign_pub", user.sign_pub()}, {"kex_pub", user.kex_pub()},
      {"handle", user.handle()},     {"role", RoleName(user.role())},
      {"status", StatusName(user.status())}, {"created_at_ms", user.created_at_ms()},
  };
  if (user.revoked_at_ms() != 0) j["revoked_at_ms"] = user.revoked_at_ms();
  return j;
}

nlohmann::json RoomJson(const v1::Room& room) {
  return {
      {"room_id", room.room_id()},
      {"name", room.name()},
      {"owner", room.owner()},
      {"encrypted", room.policy().encrypted()},
      {"signed_frames", room.policy().signed_frames()},
      {"history", room.policy().history()},
      {"epoch", room.epoch()},
      {"needs_rekey", room.needs_rekey()},
      {"member_count", room.member_count()},
      {"subject", room.subject()},
      {"created_at_ms", room.created_at_ms()},
  };
}

nlohmann::json MemberJson(const v1::Member& member) {
  return {
      {"sign_pub", member.sign_pub()},
      {"handle", member.handle()},
      {"role", RoomRoleName(member.role())},
      {"status", StatusName(member.status())},
      {"kex_pub", member.kex_pub()},
      {"added_at_ms", member.added_at_ms()},
  };
}

std::string RoomFlags(const v1::Room& room) {
  std::vector<std::string> flags;
  flags.push_back(room.policy().encrypted() ? "e2e" : "cleartext");
  if (room.policy().signed_frames()) flags.push_back("signed");
  flags.push_back(room.policy().history() ? "history" : "no-history");
  if (room.needs_rekey()) flags.push_back("needs-rekey");
  return absl::StrJoin(flags, ",");
}

}  // namespace unibus::client::cli
