#include "broker_auth/policy/permissions.h"

#include "absl/strings/str_cat.h"
#include "common/nats/subjects.h"

namespace unibus::broker_auth::policy {

callout::Permissions PermissionsFor(const v1::Grants& grants) {
  namespace nats = common::nats;
  callout::Permissions p;
  if (!grants.active()) return p;  // never minted: the service refuses revoked identities
  bool any_history = false;
  for (const v1::RoomGrant& room : grants.rooms()) {
    std::string subject = nats::RoomSubject(room.room_id());
    p.pub_allow.push_back(absl::StrCat(subject, ".>"));
    p.sub_allow.push_back(subject);
    p.sub_allow.push_back(absl::StrCat(subject, ".>"));
    if (room.history()) {
      any_history = true;
      // The room subject itself is stored by the stream: only rooms with history publish there.
      // The stream acknowledges nothing (no_ack), so the reply subject of such a publish is
      // never answered.
      p.pub_allow.push_back(subject);
      // History is read through feeds unibus-authd creates on the member's behalf
      // (broker_auth/feeds), asked for on the identity's own subject of this room.
      p.pub_allow.push_back(nats::FeedRequestSubject(grants.sign_pub(), room.room_id()));
    }
  }
  if (any_history) {
    // No JetStream API at all. Flow-control replies go to the feeds' consumers; JetStream
    // answers none of them.
    p.pub_allow.push_back(absl::StrCat("$JS.FC.", nats::kRoomStream, ".>"));
  }
  // Neither list may ever be empty: nats-server reads an empty allow list as "no restriction".
  // The identity's own inbox is harmless on both sides.
  std::string inbox = absl::StrCat(nats::InboxPrefix(grants.sign_pub()), ".>");
  p.pub_allow.push_back(inbox);
  p.sub_allow.push_back(inbox);
  return p;
}

}  // namespace unibus::broker_auth::policy
