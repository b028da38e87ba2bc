// unibus.v1.BrokerService: grants and the change feed for unibus-authd (see broker.proto).
//
// Thread-safe; does not own its collaborators. WatchChanges holds one server thread per stream.
#ifndef UNIBUS_CONTROL_SERVICE_BROKER_SERVICE_H_
#define UNIBUS_CONTROL_SERVICE_BROKER_SERVICE_H_

#include "absl/time/time.h"
#include "control/service/authenticator.h"
#include "control/service/change_notifier.h"
#include "control/store/store.h"
#include "unibus/v1/broker.grpc.pb.h"

namespace unibus::control::service {

class BrokerServiceImpl final : public v1::BrokerService::Service {
 public:
  // `poll` bounds how long a watcher sleeps before re-reading the store when nothing wakes it.
  BrokerServiceImpl(store::Store& store, Authenticator& auth, const ChangeNotifier& notifier,
                    absl::Duration poll = absl::Seconds(1))
      : store_(store), auth_(auth), notifier_(notifier), poll_(poll) {}

  grpc::Status GetGrants(grpc::ServerContext* context, const v1::GetGrantsRequest* request,
                         v1::GetGrantsResponse* response) override;
  grpc::Status ListGrants(grpc::ServerContext* context, const v1::ListGrantsRequest* request,
                          v1::ListGrantsResponse* response) override;
  grpc::Status WatchChanges(grpc::ServerContext* context, const v1::WatchChangesRequest* request,
                            grpc::ServerWriter<v1::Change>* writer) override;

 private:
  absl::StatusOr<v1::Grants> GrantsOf(const v1::User& user);
  // Streams changes until the caller cancels or loses its right to them (revoked, or its role
  // changed): the caller is checked again before every batch.
  absl::Status Stream(grpc::ServerContext& context, const std::string& caller, uint64_t after,
                      grpc::ServerWriter<v1::Change>& writer);

  store::Store& store_;
  Authenticator& auth_;
  const ChangeNotifier& notifier_;
  const absl::Duration poll_;
};

}  // namespace unibus::control::service

#endif  // UNIBUS_CONTROL_SERVICE_BROKER_SERVICE_H_
