#include "client/internal/client_impl.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/hex.h"
#include "common/crypto/room_key_envelope.h"

namespace unibus::client::internal {
namespace {

using Endpoint = ControlLink::Endpoint;

template <typename T>
absl::StatusOr<T> Or(absl::Status s, T value) {
  if (!s.ok()) return s;
  return value;
}

}  // namespace

RoomRules RulesOf(const v1::Room& room) {
  return RoomRules{room.room_id(), room.policy().encrypted(), room.policy().signed_frames()};
}

absl::StatusOr<std::unique_ptr<Client>> ClientImpl::Connect(common::Identity identity,
                                                            ClientOptions options) {
  common::InitSodium();
  std::unique_ptr<ClientImpl> c(new ClientImpl(
      std::make_unique<common::Identity>(std::move(identity)), std::move(options)));
  absl::StatusOr<std::unique_ptr<ControlLink>> control = ControlLink::Create(
      *c->identity_, c->options_.control_urls, c->options_.ca_pem, c->options_.rpc_timeout);
  if (!control.ok()) return control.status();
  c->control_ = *std::move(control);
  c->rooms_ = std::make_unique<RoomCache>(*c->control_, *c->identity_, c->options_.room_cache_ttl);
  // The control plane first: it says clearly whether the identity is allowed at all.
  if (absl::StatusOr<v1::User> me = c->WhoAmI(); !me.ok()) return me.status();
  if (!c->options_.connect_nats) return std::unique_ptr<Client>(std::move(c));
  nats_Open(-1);
  NatsLinkOptions link{c->options_.nats_urls, c->options_.nats_ca_pem, c->options_.name,
                       c->options_.reconnect_wait};
  link.send_asap = c->options_.send_immediately;
  absl::StatusOr<std::unique_ptr<NatsLink>> nats = NatsLink::Connect(*c->identity_, link);
  if (!nats.ok()) return nats.status();
  c->nats_ = *std::move(nats);
  c->confirmer_ = std::make_unique<StoreConfirmer>(*c->nats_);
  return std::unique_ptr<Client>(std::move(c));
}

ClientImpl::~ClientImpl() {
  confirmer_.reset();
  nats_.reset();
}

absl::Status ClientImpl::NeedNats() const {
  if (nats_ != nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "this client was made without NATS (ClientOptions::connect_nats is false)");
}

absl::StatusOr<v1::User> ClientImpl::WhoAmI() {
  v1::WhoAmIResponse r;
  absl::Status s = control_->Call([&](Endpoint& e, grpc::ClientContext& c) {
    return e.users->WhoAmI(&c, v1::WhoAmIRequest(), &r);
  });
  return Or(s, r.user());
}

absl::StatusOr<v1::User> ClientImpl::GetUser(const std::string& who) {
  v1::GetUserRequest q;
  if (common::IsHexOfSize(who, 32)) {
    q.set_sign_pub(common::HexNormalize(who));
  } else {
    q.set_handle(who);
  }
  v1::GetUserResponse r;
  absl::Status s = control_->Call(
      [&](Endpoint& e, grpc::ClientContext& c) { return e.users->GetUser(&c, q, &r); });
  return Or(s, r.user());
}

absl::StatusOr<std::string> ClientImpl::ResolveUser(const std::string& who) {
  if (common::IsHexOfSize(who, 32)) return common::HexNormalize(who);
  absl::StatusOr<v1::User> user = GetUser(who);
  if (!user.ok()) return user.status();
  return user->sign_pub();
}

absl::StatusOr<std::vector<v1::User>> ClientImpl::ListUsers() {
  std::vector<v1::User> users;
  v1::ListUsersRequest q;
  q.set_page_size(500);
  do {
    v1::ListUsersResponse r;
    absl::Status s = control_->Call(
        [&](Endpoint& e, grpc::ClientContext& c) { return e.users->ListUsers(&c, q, &r); });
    if (!s.ok()) return s;
    for (v1::User& u : *r.mutable_users()) users.push_back(std::move(u));
    q.set_page_token(r.next_page_token());
  } while (!q.page_token().empty());
  return users;
}

absl::StatusOr<v1::User> ClientImpl::AddUser(const std::string& sign_pub,
                                             const std::string& kex_pub,
                                             const std::string& handle, v1::Role role) {
  v1::AddUserRequest q;
  q.set_sign_pub(sign_pub);
  q.set_kex_pub(kex_pub);
  q.set_handle(handle);
  q.set_role(role);
  v1::AddUserResponse r;
  absl::Status s = control_->Call(
      [&](Endpoint& e, grpc::ClientContext& c) { return e.users->AddUser(&c, q, &r); });
  return Or(s, r.user());
}

absl::StatusOr<v1::User> ClientImpl::RevokeUser(const std::string& who) {
  absl::StatusOr<std::string> sign_pub = ResolveUser(who);
  if (!sign_pub.ok()) return sign_pub.status();
  v1::RevokeUserRequest q;
  q.set_sign_pub(*sign_pub);
  v1::RevokeUserResponse r;
  absl::Status s = control_->Call(
      [&](Endpoint& e, grpc::ClientContext& c) { return e.users->RevokeUser(&c, q, &r); });
  return Or(s, r.user());
}

absl::StatusOr<v1::Room> ClientImpl::CreateRoom(const RoomSettings& settings) {
  v1::CreateRoomRequest q;
  std::string room_id = common::HexEncode(common::NewRoomKey().substr(0, 16));
  q.set_room_id(room_id);
  q.set_name(settings.name);
  q.set_encrypted(settings.encrypted);
  q.set_signed_frames(settings.signed_frames.value_or(settings.encrypted));
  q.set_history(settings.history);
  std::string key;
  if (settings.encrypted) {
    key = common::NewRoomKey();
    *q.mutable_owner_key() = common::SealRoomKey(*identity_, room_id, 1, identity_->sign_pub(),
                                                 identity_->kex_pub(), key);
  }
  v1::CreateRoomResponse r;
  absl::Status s = control_->Call(
      [&](Endpoint& e, grpc::ClientContext& c) { return e.rooms->CreateRoom(&c, q, &r); });
  if (!s.ok()) return s;
  rooms_->PutRoom(r.room());
  if (settings.encrypted) rooms_->PutKey(room_id, 1, key);
  return r.room();
}

absl::StatusOr<v1::Room> ClientImpl::GetRoom(const std::string& room_id) {
  return rooms_->Room(room_id, /*refresh=*/true);
}

absl::StatusOr<std::vector<v1::MyRoom>> ClientImpl::ListMyRooms() {
  std::vector<v1::MyRoom> rooms;
  v1::ListMyRoomsRequest q;
  q.set_page_size(500);
  do {
    v1::ListMyRoomsResponse r;
    absl::Status s = control_->Call(
        [&](Endpoint& e, grpc::ClientContext& c) { return e.rooms->ListMyRooms(&c, q, &r); });
    if (!s.ok()) return s;
    for (v1::MyRoom& m : *r.mutable_rooms()) rooms.push_back(std::move(m));
    q.set_page_token(r.next_page_token());
  } while (!q.page_token().empty());
  return rooms;
}

absl::StatusOr<std::vector<v1::Member>> ClientImpl::ListMembers(const std::string& room_id) {
  return rooms_->Members(room_id);
}

absl::StatusOr<v1::Member> ClientImpl::AddMember(const std::string& room_id,
                                                 const std::string& who, v1::RoomRole role,
                                                 bool share_history) {
  absl::StatusOr<v1::User> user = GetUser(who);
  if (!user.ok()) return user.status();
  absl::StatusOr<v1::Room> room = rooms_->Room(room_id, /*refresh=*/true);
  if (!room.ok()) return room.status();
  v1::AddMemberRequest q;
  q.set_room_id(room_id);
  q.set_sign_pub(user->sign_pub());
  q.set_role(role);
  std::optional<std::string> sign_pub = common::HexDecode(user->sign_pub());
  std::optional<std::string> kex_pub = common::HexDecode(user->kex_pub());
  if (room->policy().encrypted()) {
    if (!sign_pub || !kex_pub) return absl::InternalError("malformed user record");
    uint64_t first = share_history ? 1 : room->epoch();
    for (uint64_t epoch = first; epoch <= room->epoch(); ++epoch) {
      absl::StatusOr<std::string> key = rooms_->Key(room_id, epoch);
      if (!key.ok()) {
        if (epoch < room->epoch()) continue;  // we were not a member then
        return key.status();
      }
      *q.add_keys() = common::SealRoomKey(*identity_, room_id, epoch, *sign_pub, *kex_pub, *key);
    }
  }
  v1::AddMemberResponse r;
  absl::Status s = control_->Call(
      [&](Endpoint& e, grpc::ClientContext& c) { return e.rooms->AddMember(&c, q, &r); });
  return Or(s, r.member());
}

absl::StatusOr<std::vector<v1::SealedKey>> ClientImpl::SealForMembers(const std::string& room_id,
                                                                      uint64_t epoch,
                                                                      const std::string& key,
                                                                      const std::string& without) {
  absl::StatusOr<std::vector<v1::Member>> members = rooms_->Members(room_id);
  if (!members.ok()) return members.status();
  std::vector<v1::SealedKey> keys;
  for (const v1::Member& m : *members) {
    if (m.sign_pub() == without || m.status() != v1::USER_STATUS_ACTIVE) continue;
    std::optional<std::string> sign_pub = common::HexDecode(m.sign_pub());
    std::optional<std::string> kex_pub = common::HexDecode(m.kex_pub());
    if (!sign_pub || !kex_pub) return absl::InternalError("malformed member record");
    keys.push_back(common::SealRoomKey(*identity_, room_id, epoch, *sign_pub, *kex_pub, key));
  }
  return keys;
}

absl::Status ClientImpl::RemoveMember(const std::string& room_id, const std::string& who) {
  absl::StatusOr<std::string> target = ResolveUser(who);
  if (!target.ok()) return target.status();
  absl::Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {  // ABORTED: the room moved meanwhile
    absl::StatusOr<v1::Room> room = rooms_->Room(room_id, /*refresh=*/true);
    if (!room.ok()) return room.status();
    v1::RemoveMemberRequest q;
    q.set_room_id(room_id);
    q.set_sign_pub(*target);
    std::string key;
    if (room->policy().encrypted()) {
      key = common::NewRoomKey();
      q.set_new_epoch(room->epoch() + 1);
      absl::StatusOr<std::vector<v1::SealedKey>> keys =
          SealForMembers(room_id, q.new_epoch(), key, *target);
      if (!keys.ok()) return keys.status();
      for (v1::SealedKey& k : *keys) *q.add_keys() = std::move(k);
    }
    v1::RemoveMemberResponse r;
    s = control_->Call(
        [&](Endpoint& e, grpc::ClientContext& c) { return e.rooms->RemoveMember(&c, q, &r); });
    if (s.ok()) {
      rooms_->Forget(room_id);  // the epoch moved
      if (room->policy().encrypted()) rooms_->PutKey(room_id, q.new_epoch(), key);
      return s;
    }
    if (s.code() != absl::StatusCode::kAborted) return s;
  }
  return s;
}

absl::Status ClientImpl::Leave(const std::string& room_id) {
  v1::LeaveRequest q;
  q.set_room_id(room_id);
  v1::LeaveResponse r;
  absl::Status s = control_->Call(
      [&](Endpoint& e, grpc::ClientContext& c) { return e.rooms->Leave(&c, q, &r); });
  if (s.ok()) rooms_->Forget(room_id);
  return s;
}

absl::StatusOr<v1::Room> ClientImpl::Rekey(const std::string& room_id) {
  absl::Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<v1::Room> room = rooms_->Room(room_id, /*refresh=*/true);
    if (!room.ok()) return room.status();
    if (!room->policy().encrypted()) {
      return absl::FailedPreconditionError("a cleartext room has no keys to rotate");
    }
    v1::RekeyRequest q;
    q.set_room_id(room_id);
    q.set_new_epoch(room->epoch() + 1);
    std::string key = common::NewRoomKey();
    absl::StatusOr<std::vector<v1::SealedKey>> keys =
        SealForMembers(room_id, q.new_epoch(), key, "");
    if (!keys.ok()) return keys.status();
    for (v1::SealedKey& k : *keys) *q.add_keys() = std::move(k);
    v1::RekeyResponse r;
    s = control_->Call(
        [&](Endpoint& e, grpc::ClientContext& c) { return e.rooms->Rekey(&c, q, &r); });
    if (s.ok()) {
      rooms_->PutKey(room_id, q.new_epoch(), key);
      return rooms_->Room(room_id, /*refresh=*/true);
    }
    if (s.code() != absl::StatusCode::kAborted) return s;
  }
  return s;
}

absl::Status ClientImpl::DeleteRoom(const std::string& room_id) {
  v1::DeleteRoomRequest q;
  q.set_room_id(room_id);
  v1::DeleteRoomResponse r;
  absl::Status s = control_->Call(
      [&](Endpoint& e, grpc::ClientContext& c) { return e.rooms->DeleteRoom(&c, q, &r); });
  if (s.ok()) rooms_->Forget(room_id);
  return s;
}

uint64_t ClientImpl::NextCounter() {
  uint64_t now_us = static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()));
  absl::MutexLock lock(&counter_mu_);
  last_counter_ = std::max(last_counter_ + 1, now_us);
  return last_counter_;
}

}  // namespace unibus::client::internal
