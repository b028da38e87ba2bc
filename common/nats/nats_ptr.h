// Owning handles for nats.c objects, and the one converter from nats.c errors to absl::Status.
#ifndef UNIBUS_COMMON_NATS_NATS_PTR_H_
#define UNIBUS_COMMON_NATS_NATS_PTR_H_

#include <nats/nats.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace unibus::common::nats {

struct NatsConnectionDeleter {
  void operator()(natsConnection* c) const {
    natsConnection_Close(c);
    natsConnection_Destroy(c);
  }
};
struct NatsOptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};
struct NatsSubscriptionDeleter {
  void operator()(natsSubscription* s) const {
    natsSubscription_Unsubscribe(s);
    natsSubscription_Destroy(s);
  }
};
struct NatsMsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};

struct JsCtxDeleter {
  void operator()(jsCtx* js) const { jsCtx_Destroy(js); }
};
struct KvStoreDeleter {
  void operator()(kvStore* kv) const { kvStore_Destroy(kv); }
};

using NatsConnectionPtr = std::unique_ptr<natsConnection, NatsConnectionDeleter>;
using NatsOptionsPtr = std::unique_ptr<natsOptions, NatsOptionsDeleter>;
using NatsSubscriptionPtr = std::unique_ptr<natsSubscription, NatsSubscriptionDeleter>;
using NatsMsgPtr = std::unique_ptr<natsMsg, NatsMsgDeleter>;
using JsCtxPtr = std::unique_ptr<jsCtx, JsCtxDeleter>;
using KvStorePtr = std::unique_ptr<kvStore, KvStoreDeleter>;

// Reads nats_GetLastError at once (it is thread-local). `what` says what was attempted.
inline absl::Status FromNatsStatus(natsStatus s, absl::string_view what) {
  if (s == NATS_OK) return absl::OkStatus();
  std::string text = absl::StrCat(what, ": ", natsStatus_GetText(s));
  switch (s) {
    case NATS_TIMEOUT:
      return absl::DeadlineExceededError(text);
    case NATS_NOT_PERMITTED:
    case NATS_CONNECTION_AUTH_FAILED:
      return absl::PermissionDeniedError(text);
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
      return absl::UnavailableError(text);
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
      return absl::InvalidArgumentError(text);
    default:
      return absl::InternalError(text);
  }
}

}  // namespace unibus::common::nats

#endif  // UNIBUS_COMMON_NATS_NATS_PTR_H_
