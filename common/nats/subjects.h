// NATS names shared by unibusd, unibus-authd and clients.
#ifndef UNIBUS_COMMON_NATS_SUBJECTS_H_
#define UNIBUS_COMMON_NATS_SUBJECTS_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace unibus::common::nats {

// Every peer lives in this account; auth-callout users are placed here.
inline constexpr absl::string_view kPeerAccount = "UNIBUS";
// The account unibus-authd's callout connection lives in.
inline constexpr absl::string_view kAuthAccount = "AUTH";
// The system account (KICK requests).
inline constexpr absl::string_view kSystemAccount = "SYS";
// Auth-callout requests arrive here (in kAuthAccount).
inline constexpr absl::string_view kAuthCalloutSubject = "$SYS.REQ.USER.AUTH";
// JetStream stream holding the history of every room that keeps history: subjects "ub.room.*".
inline constexpr absl::string_view kRoomStream = "UB_ROOMS";

// Frames of a room are published on RoomSubject(id); RoomSubject(id) + ".>" is the room's own
// space for anything else (not persisted).
inline std::string RoomSubject(absl::string_view room_id) {
  return absl::StrCat("ub.room.", room_id);
}

// The private inbox prefix of an identity (hex sign_pub); clients must set it with
// natsOptions_SetCustomInboxPrefix.
inline std::string InboxPrefix(absl::string_view sign_pub_hex) {
  return absl::StrCat("_INBOX_", sign_pub_hex);
}

}  // namespace unibus::common::nats

#endif  // UNIBUS_COMMON_NATS_SUBJECTS_H_
