#include "broker_auth/service/callout_handler.h"

#include <optional>
#include <string>

namespace unibus::broker_auth::service {

RequestListener::Handler CalloutHandler(Authorizer& authorizer) {
  return [&authorizer](natsConnection* nc, natsMsg* msg) {
    const char* reply = natsMsg_GetReply(msg);
    if (reply == nullptr || *reply == '\0') return;
    const char* xkey = nullptr;
    if (natsMsgHeader_Get(msg, "Nats-Server-Xkey", &xkey) != NATS_OK) xkey = nullptr;
    absl::string_view payload(natsMsg_GetData(msg),
                              static_cast<size_t>(natsMsg_GetDataLength(msg)));
    std::optional<std::string> answer =
        authorizer.Handle(payload, xkey == nullptr ? absl::string_view() : xkey);
    if (!answer.has_value()) return;
    natsConnection_Publish(nc, reply, answer->data(), static_cast<int>(answer->size()));
  };
}

}  // namespace unibus::broker_auth::service
