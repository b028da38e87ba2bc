// The auth-callout request handler for a RequestListener on $SYS.REQ.USER.AUTH: opens the
// (optionally xkey-sealed) request, lets the Authorizer decide and publishes its answer on the
// request's reply subject. Requests without a reply subject, and those the Authorizer drops (too
// late, not for us), get no answer.
#ifndef UNIBUS_BROKER_AUTH_SERVICE_CALLOUT_HANDLER_H_
#define UNIBUS_BROKER_AUTH_SERVICE_CALLOUT_HANDLER_H_

#include "broker_auth/service/authorizer.h"
#include "broker_auth/service/request_listener.h"

namespace unibus::broker_auth::service {

// The authorizer is borrowed and must outlive the listener.
RequestListener::Handler CalloutHandler(Authorizer& authorizer);

}  // namespace unibus::broker_auth::service

#endif  // UNIBUS_BROKER_AUTH_SERVICE_CALLOUT_HANDLER_H_
