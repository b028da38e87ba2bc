#include "broker_auth/kick/kicker.h"

#include <iostream>

#include "absl/strings/str_cat.h"

namespace unibus::broker_auth::kick {

int Kicker::KickIdentity(const std::string& sign_pub) {
  int sent = 0;
  for (const ConnectionRef& ref : registry_.Take(sign_pub)) {
    std::string subject = absl::StrCat("$SYS.REQ.SERVER.", ref.server_id, ".KICK");
    std::string body = absl::StrCat("{\"cid\":", ref.client_id, "}");
    if (natsConnection_PublishString(nc_, subject.c_str(), body.c_str()) == NATS_OK) ++sent;
  }
  if (sent > 0) {
    natsConnection_FlushTimeout(nc_, 1000);
    std::cerr << "unibus-authd: kicked " << sent << " connection(s) of " << sign_pub << "\n";
  }
  return sent;
}

}  // namespace unibus::broker_auth::kick
