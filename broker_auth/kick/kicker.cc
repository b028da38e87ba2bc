#include "broker_auth/kick/kicker.h"

#include <iostream>

#include "absl/strings/str_cat.h"

namespace unibus::broker_auth::kick {

int Kicker::KickIdentity(const std::string& sign_pub) {
  int sent = 0;
  for (const ConnectionRef& ref : registry_.Take(sign_pub)) {
    std::string subject = absl::StrCat("$SYS.REQ.SERVER.", ref.server_id, ".KICK");
    std::string body = absl::StrCat("{\"cid\":", ref.client_id, "}");
    // nats-server ignores $SYS.REQ.SERVER requests that carry no reply subject (zReq returns
    // before acting), so the kick needs one even though nobody reads the answer.
    natsInbox* reply = nullptr;
    if (natsInbox_Create(&reply) != NATS_OK) continue;
    if (natsConnection_PublishRequestString(nc_, subject.c_str(), reply, body.c_str()) == NATS_OK) {
      ++sent;
    }
    natsInbox_Destroy(reply);
  }
  if (sent > 0) {
    natsConnection_FlushTimeout(nc_, 1000);
    std::cerr << "unibus-authd: kicked " << sent << " connection(s) of " << sign_pub << "\n";
  }
  return sent;
}

}  // namespace unibus::broker_auth::kick
