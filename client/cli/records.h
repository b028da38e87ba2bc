// How the control plane's records (users, rooms, members) look in `unibus` output: JSON objects
// for --json, and short words for the text tables.
//
// Enum values are written as the lower-case word after their prefix: ROLE_ADMIN → "admin",
// ROOM_ROLE_OWNER → "owner", USER_STATUS_REVOKED → "revoked", FRAME_TYPE_REPLY → "reply".
//
// Thread safety: pure functions.
#ifndef UNIBUS_CLIENT_CLI_RECORDS_H_
#define UNIBUS_CLIENT_CLI_RECORDS_H_

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "unibus/v1/frames.pb.h"
#include "unibus/v1/rooms.pb.h"
#include "unibus/v1/users.pb.h"

namespace unibus::client::cli {

std::string RoleName(v1::Role role);
std::string RoomRoleName(v1::RoomRole role);
std::string StatusName(v1::UserStatus status);
std::string FrameTypeName(v1::FrameType type);

// "member" / "admin" → the role; nullopt for anything else.
std::optional<v1::Role> ParseRole(const std::string& word);

// {"sign_pub", "kex_pub", "handle", "role", "status", "created_at_ms"[, "revoked_at_ms"]}
nlohmann::json UserJson(const v1::User& user);
// {"room_id", "name", "owner", "encrypted", "signed_frames", "history", "epoch", "needs_rekey",
//  "member_count", "subject", "created_at_ms"}
nlohmann::json RoomJson(const v1::Room& room);
// {"sign_pub", "handle", "role", "status", "kex_pub", "added_at_ms"}
nlohmann::json MemberJson(const v1::Member& member);

// "e2e,signed,history" / "cleartext,history" / … plus ",needs-rekey".
std::string RoomFlags(const v1::Room& room);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_RECORDS_H_
