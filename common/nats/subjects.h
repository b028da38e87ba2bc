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
// The control plane's own account (unibusd's KV buckets and object store in a cluster); no peer
// is ever placed in it.
inline constexpr absl::string_view kControlAccount = "CONTROL";
// The system account (KICK requests).
inline constexpr absl::string_view kSystemAccount = "SYS";
// Auth-callout requests arrive here (in kAuthAccount).
inline constexpr absl::string_view kAuthCalloutSubject = "$SYS.REQ.USER.AUTH";
// JetStream stream holding the history of every room that keeps history. It captures exactly
// the three-token subjects "ub.room.<id>", so nothing below a room subject is ever persisted.
inline constexpr absl::string_view kRoomStream = "UB_ROOMS";
inline constexpr absl::string_view kRoomStreamSubjects = "ub.room.*";

// The inbox prefix of unibus-authd's stream-provisioning user (peer inboxes are per identity).
inline constexpr absl::string_view kStreamUserInbox = "_UB_PROVISION";
// The inbox prefix of unibus-authd's system-account user (connection queries and kicks).
inline constexpr absl::string_view kKickUserInbox = "_UB_KICK";
// The inbox prefix of unibus-authd's feeds user (creates and deletes history consumers).
inline constexpr absl::string_view kFeedsUserInbox = "_UB_FEEDS";
// Peers ask unibus-authd for a history feed of a room on FeedRequestSubject(own sign_pub, room);
// authd answers in queue group kFeedsQueue. An identity may publish only on its own subjects of
// the rooms with history its connection was granted, so the subject names the requester and
// proves the connection's grant.
inline constexpr absl::string_view kFeedRequestPrefix = "ub.feeds";
inline constexpr absl::string_view kFeedsQueue = "unibus-authd-feeds";

// A room's subject. Only members of rooms that keep history may publish on it (the stream stores
// it); RoomSubject(id) + ".>" is the room's own space for anything that is not persisted.
inline std::string RoomSubject(absl::string_view room_id) {
  return absl::StrCat("ub.room.", room_id);
}

// Where frames of a room are published: the stored room subject for rooms with history, else a
// live-only subject below it.
inline std::string FrameSubject(absl::string_view room_id, bool history) {
  return history ? RoomSubject(room_id) : absl::StrCat(RoomSubject(room_id), ".live");
}

// The private inbox prefix of an identity (hex sign_pub); clients must set it with
// natsOptions_SetCustomInboxPrefix.
inline std::string InboxPrefix(absl::string_view sign_pub_hex) {
  return absl::StrCat("_INBOX_", sign_pub_hex);
}

// Where a peer asks for a history feed of a room (see kFeedRequestPrefix).
inline std::string FeedRequestSubject(absl::string_view sign_pub_hex, absl::string_view room_id) {
  return absl::StrCat(kFeedRequestPrefix, ".", sign_pub_hex, ".", room_id);
}

// Where a history feed of `sign_pub_hex` named by `nonce` is delivered: inside its own inbox.
inline std::string FeedDeliverSubject(absl::string_view sign_pub_hex, absl::string_view nonce) {
  return absl::StrCat(InboxPrefix(sign_pub_hex), ".feed.", nonce);
}

}  // namespace unibus::common::nats

#endif  // UNIBUS_COMMON_NATS_SUBJECTS_H_
