// Room membership → the NATS permissions of one connection (least privilege, DESIGN.md §4):
//   publish:   each room's subject and everything below it; with any room with history, its
//              own history-feed request subject (broker_auth/feeds) and flow-control replies
//              of the room stream, and NO JetStream API (JetStream would act for the member
//              without checking where it delivers or answers: docs/security.md);
//   subscribe: each room's subject and everything below it, and the identity's private inbox.
// Never ">", "$JS.API.>", "_INBOX.>", stream listing/info, or anything of the control plane.
// Both lists always hold at least the private inbox: nats-server treats an EMPTY allow list as
// "everything allowed", so an identity with no rooms must not get one. Revoked identities get
// empty lists and must be refused before any JWT is minted.
#ifndef UNIBUS_BROKER_AUTH_POLICY_PERMISSIONS_H_
#define UNIBUS_BROKER_AUTH_POLICY_PERMISSIONS_H_

#include "broker_auth/callout/auth_response.h"
#include "unibus/v1/broker.pb.h"

namespace unibus::broker_auth::policy {

callout::Permissions PermissionsFor(const v1::Grants& grants);

}  // namespace unibus::broker_auth::policy

#endif  // UNIBUS_BROKER_AUTH_POLICY_PERMISSIONS_H_
