#include "control/service/user_service.h"

#include "control/model/validation.h"
#include "control/service/call.h"

namespace unibus::control::service {

grpc::Status UserServiceImpl::WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest*,
                                     v1::WhoAmIResponse* response) {
  return AuthorizedCall(auth_, context, kAnyRole, [&](const v1::User& caller) {
    *response->mutable_user() = caller;
    return absl::OkStatus();
  });
}

grpc::Status UserServiceImpl::GetUser(grpc::ServerContext* context,
                                      const v1::GetUserRequest* request,
                                      v1::GetUserResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User&) -> absl::Status {
    if (request->sign_pub().empty() == request->handle().empty()) {
      return absl::InvalidArgumentError("give exactly one of sign_pub and handle");
    }
    absl::StatusOr<v1::User> user;
    if (!request->sign_pub().empty()) {
      absl::StatusOr<std::string> key = model::ParseKeyHex("sign_pub", request->sign_pub());
      if (!key.ok()) return key.status();
      user = store_.GetUser(*key);
    } else {
      if (absl::Status s = model::ValidateHandle(request->handle()); !s.ok()) return s;
      user = store_.GetUserByHandle(request->handle());
    }
    if (!user.ok()) return user.status();
    *response->mutable_user() = *std::move(user);
    return absl::OkStatus();
  });
}

grpc::Status UserServiceImpl::ListUsers(grpc::ServerContext* context,
                                        const v1::ListUsersRequest* request,
                                        v1::ListUsersResponse* response) {
  return AuthorizedCall(auth_, context, kAdminOnly, [&](const v1::User&) -> absl::Status {
    absl::StatusOr<int> size = model::PageSize(request->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<std::string> after = model::DecodePageToken(request->page_token());
    if (!after.ok()) return after.status();
    absl::StatusOr<store::Page<v1::User>> page = store_.ListUsers(*after, *size);
    if (!page.ok()) return page.status();
    for (v1::User& user : page->items) *response->add_users() = std::move(user);
    if (!page->next.empty()) response->set_next_page_token(model::EncodePageToken(page->next));
    return absl::OkStatus();
  });
}

grpc::Status UserServiceImpl::AddUser(grpc::ServerContext* context,
                                      const v1::AddUserRequest* request,
                                      v1::AddUserResponse* response) {
  return AuthorizedCall(auth_, context, kAdminOnly, [&](const v1::User&) -> absl::Status {
    absl::StatusOr<std::string> sign_pub = model::ParseKeyHex("sign_pub", request->sign_pub());
    if (!sign_pub.ok()) return sign_pub.status();
    absl::StatusOr<std::string> kex_pub = model::ParseKeyHex("kex_pub", request->kex_pub());
    if (!kex_pub.ok()) return kex_pub.status();
    if (absl::Status s = model::ValidateHandle(request->handle()); !s.ok()) return s;
    if (absl::Status s = model::ValidateRole(request->role()); !s.ok()) return s;
    v1::User user;
    user.set_sign_pub(*sign_pub);
    user.set_kex_pub(*kex_pub);
    user.set_handle(request->handle());
    user.set_role(request->role());
    user.set_status(v1::USER_STATUS_ACTIVE);
    user.set_created_at_ms(clock_.NowMs());
    if (absl::Status s = store_.AddUser(user); !s.ok()) return s;
    notifier_.Notify();
    *response->mutable_user() = std::move(user);
    return absl::OkStatus();
  });
}

grpc::Status UserServiceImpl::RevokeUser(grpc::ServerContext* context,
                                         const v1::RevokeUserRequest* request,
                                         v1::RevokeUserResponse* response) {
  return AuthorizedCall(auth_, context, kAdminOnly, [&](const v1::User&) -> absl::Status {
    absl::StatusOr<std::string> sign_pub = model::ParseKeyHex("sign_pub", request->sign_pub());
    if (!sign_pub.ok()) return sign_pub.status();
    absl::StatusOr<v1::User> user = store_.RevokeUser(*sign_pub, clock_.NowMs());
    if (!user.ok()) return user.status();
    notifier_.Notify();
    *response->mutable_user() = *std::move(user);
    return absl::OkStatus();
  });
}

}  // namespace unibus::control::service
