// unibus.v1.UserService: WhoAmI, GetUser, ListUsers, AddUser, RevokeUser (see users.proto).
//
// Thread-safe; does not own the store, authenticator, notifier or clock.
#ifndef UNIBUS_CONTROL_SERVICE_USER_SERVICE_H_
#define UNIBUS_CONTROL_SERVICE_USER_SERVICE_H_

#include "common/time/clock.h"
#include "control/service/authenticator.h"
#include "control/service/change_notifier.h"
#include "control/store/store.h"
#include "unibus/v1/users.grpc.pb.h"

namespace unibus::control::service {

class UserServiceImpl final : public v1::UserService::Service {
 public:
  UserServiceImpl(store::Store& store, Authenticator& auth, ChangeNotifier& notifier,
                  const common::Clock& clock)
      : store_(store), auth_(auth), notifier_(notifier), clock_(clock) {}

  grpc::Status WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest* request,
                      v1::WhoAmIResponse* response) override;
  grpc::Status GetUser(grpc::ServerContext* context, const v1::GetUserRequest* request,
                       v1::GetUserResponse* response) override;
  grpc::Status ListUsers(grpc::ServerContext* context, const v1::ListUsersRequest* request,
                         v1::ListUsersResponse* response) override;
  grpc::Status AddUser(grpc::ServerContext* context, const v1::AddUserRequest* request,
                       v1::AddUserResponse* response) override;
  grpc::Status RevokeUser(grpc::ServerContext* context, const v1::RevokeUserRequest* request,
                          v1::RevokeUserResponse* response) override;

 private:
  store::Store& store_;
  Authenticator& auth_;
  ChangeNotifier& notifier_;
  const common::Clock& clock_;
};

}  // namespace unibus::control::service

#endif  // UNIBUS_CONTROL_SERVICE_USER_SERVICE_H_
