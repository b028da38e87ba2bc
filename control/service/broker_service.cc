#include "control/service/broker_service.h"

#include "control/model/validation.h"
#include "control/service/call.h"

namespace unibus::control::service {
namespace {

constexpr int kRoomsPerRead = 1000;
constexpr int kChangesPerRead = 500;

}  // namespace

absl::StatusOr<v1::Grants> BrokerServiceImpl::GrantsOf(const v1::User& user) {
  v1::Grants grants;
  grants.set_sign_pub(user.sign_pub());
  grants.set_role(user.role());
  grants.set_active(user.status() == v1::USER_STATUS_ACTIVE);
  if (!grants.active()) return grants;
  std::string after;
  do {
    absl::StatusOr<store::Page<store::RoomMembership>> page =
        store_.ListRoomsOf(user.sign_pub(), after, kRoomsPerRead);
    if (!page.ok()) return page.status();
    for (const store::RoomMembership& m : page->items) {
      v1::RoomGrant* room = grants.add_rooms();
      room->set_room_id(m.room.room_id());
      room->set_subject(m.room.subject());
      room->set_history(m.room.policy().history());
    }
    after = page->next;
  } while (!after.empty());
  return grants;
}

grpc::Status BrokerServiceImpl::GetGrants(grpc::ServerContext* context,
                                          const v1::GetGrantsRequest* request,
                                          v1::GetGrantsResponse* response) {
  return AuthorizedCall(auth_, context, kServiceOnly, [&](const v1::User&) -> absl::Status {
    absl::StatusOr<std::string> key = model::ParseKeyHex("sign_pub", request->sign_pub());
    if (!key.ok()) return key.status();
    absl::StatusOr<v1::User> user = store_.GetUser(*key);
    if (!user.ok()) return user.status();
    absl::StatusOr<v1::Grants> grants = GrantsOf(*user);
    if (!grants.ok()) return grants.status();
    *response->mutable_grants() = *std::move(grants);
    return absl::OkStatus();
  });
}

grpc::Status BrokerServiceImpl::ListGrants(grpc::ServerContext* context,
                                           const v1::ListGrantsRequest* request,
                                           v1::ListGrantsResponse* response) {
  return AuthorizedCall(auth_, context, kServiceOnly, [&](const v1::User&) -> absl::Status {
    absl::StatusOr<int> size = model::PageSize(request->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<std::string> after = model::DecodePageToken(request->page_token());
    if (!after.ok()) return after.status();
    // Read the position first: a change racing with this page is replayed by the feed.
    absl::StatusOr<uint64_t> position = store_.LatestPosition();
    if (!position.ok()) return position.status();
    absl::StatusOr<store::Page<v1::User>> users = store_.ListUsers(*after, *size);
    if (!users.ok()) return users.status();
    for (const v1::User& user : users->items) {
      absl::StatusOr<v1::Grants> grants = GrantsOf(user);
      if (!grants.ok()) return grants.status();
      *response->add_grants() = *std::move(grants);
    }
    response->set_position(*position);
    if (!users->next.empty()) response->set_next_page_token(model::EncodePageToken(users->next));
    return absl::OkStatus();
  });
}

absl::Status BrokerServiceImpl::Stream(grpc::ServerContext& context, const std::string& caller,
                                       uint64_t after, grpc::ServerWriter<v1::Change>& writer) {
  while (!context.IsCancelled()) {
    uint64_t generation = notifier_.Generation();
    absl::StatusOr<v1::User> me = store_.GetUser(caller);
    // The store cannot answer (a cluster without quorum): end the feed, so that authd refuses
    // new connections until it can follow again.
    if (!me.ok() && !absl::IsNotFound(me.status())) return me.status();
    if (!me.ok() || me->status() != v1::USER_STATUS_ACTIVE || me->role() != v1::ROLE_SERVICE) {
      return absl::PermissionDeniedError("this key has been revoked");
    }
    absl::StatusOr<std::vector<v1::Change>> changes = store_.ListChanges(after, kChangesPerRead);
    if (!changes.ok()) return changes.status();
    for (const v1::Change& change : *changes) {
      if (!writer.Write(change)) return absl::OkStatus();  // the watcher went away
      after = change.position();
    }
    if (changes->empty()) notifier_.WaitAfter(generation, poll_);
  }
  return absl::OkStatus();
}

grpc::Status BrokerServiceImpl::WatchChanges(grpc::ServerContext* context,
                                             const v1::WatchChangesRequest* request,
                                             grpc::ServerWriter<v1::Change>* writer) {
  return AuthorizedCall(auth_, context, kServiceOnly, [&](const v1::User& caller) -> absl::Status {
    return Stream(*context, caller.sign_pub(), request->after_position(), *writer);
  });
}

}  // namespace unibus::control::service
