#include "control/service/room_service.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "common/crypto/hex.h"
#include "common/crypto/identity.h"
#include "common/nats/subjects.h"
#include "control/model/validation.h"
#include "control/service/call.h"

namespace unibus::control::service {
namespace {

absl::Status RoomNotFound() { return absl::NotFoundError("room not found"); }

bool IsManager(v1::RoomRole role) {
  return role == v1::ROOM_ROLE_OWNER || role == v1::ROOM_ROLE_ADMIN;
}

std::string RandomRoomId() {
  common::InitSodium();
  std::string bytes(16, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return common::HexEncode(bytes);
}

}  // namespace

absl::StatusOr<v1::Member> RoomServiceImpl::MembershipOf(absl::string_view room_id,
                                                         const v1::User& caller) {
  if (absl::Status s = model::ValidateRoomId(room_id); !s.ok()) return s;
  absl::StatusOr<v1::Member> member = store_.GetMember(room_id, caller.sign_pub());
  if (absl::IsNotFound(member.status())) return RoomNotFound();
  return member;
}

absl::StatusOr<v1::Member> RoomServiceImpl::ManagerOf(absl::string_view room_id,
                                                      const v1::User& caller) {
  absl::StatusOr<v1::Member> member = MembershipOf(room_id, caller);
  if (member.ok() && !IsManager(member->role())) {
    return absl::PermissionDeniedError("only the room's owner or a room admin may do this");
  }
  return member;
}

absl::StatusOr<std::vector<v1::SealedKey>> RoomServiceImpl::EpochKeys(
    const v1::Room& room, uint64_t epoch,
    const google::protobuf::RepeatedPtrField<v1::SealedKey>& keys, const v1::User& caller) {
  if (!room.policy().encrypted()) {
    if (!keys.empty()) return absl::InvalidArgumentError("a cleartext room has no room keys");
    return std::vector<v1::SealedKey>{};
  }
  std::vector<v1::SealedKey> out(keys.begin(), keys.end());
  for (v1::SealedKey& key : out) {
    absl::Status s = model::ValidateSealedKey(key, room.room_id(), epoch, caller.sign_pub());
    if (!s.ok()) return s;
  }
  return out;
}

absl::StatusOr<v1::Room> RoomServiceImpl::NewRoom(const v1::CreateRoomRequest& request,
                                                  const v1::User& caller) {
  if (absl::Status s = model::ValidateRoomName(request.name()); !s.ok()) return s;
  if (!request.owner().empty() && common::HexNormalize(request.owner()) != caller.sign_pub()) {
    return absl::InvalidArgumentError("owner must be empty or the caller: rooms are owned by "
                                      "whoever creates them");
  }
  v1::Room room;
  v1::RoomPolicy* policy = room.mutable_policy();
  policy->set_encrypted(request.has_encrypted() ? request.encrypted() : true);
  policy->set_signed_frames(request.has_signed_frames() ? request.signed_frames()
                                                        : policy->encrypted());
  policy->set_history(request.has_history() ? request.history() : true);
  if (!policy->encrypted() && !options_.allow_cleartext_rooms) {
    return absl::PermissionDeniedError("this node does not allow cleartext rooms");
  }
  if (request.room_id().empty() && policy->encrypted()) {
    return absl::InvalidArgumentError("an encrypted room needs a room_id chosen by the client, "
                                      "because the owner's sealed key is bound to it");
  }
  room.set_room_id(request.room_id().empty() ? RandomRoomId() : request.room_id());
  if (absl::Status s = model::ValidateRoomId(room.room_id()); !s.ok()) return s;
  room.set_name(request.name());
  room.set_owner(caller.sign_pub());
  room.set_epoch(policy->encrypted() ? 1 : 0);
  room.set_subject(common::nats::RoomSubject(room.room_id()));
  room.set_created_at_ms(clock_.NowMs());
  return room;
}

grpc::Status RoomServiceImpl::CreateRoom(grpc::ServerContext* context,
                                         const v1::CreateRoomRequest* request,
                                         v1::CreateRoomResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    absl::StatusOr<v1::Room> room = NewRoom(*request, caller);
    if (!room.ok()) return room.status();
    v1::SealedKey owner_key = request->owner_key();
    if (room->policy().encrypted()) {
      if (!request->has_owner_key()) {
        return absl::InvalidArgumentError("an encrypted room needs owner_key: the epoch-1 room "
                                          "key sealed to the owner");
      }
      absl::Status s = model::ValidateSealedKey(owner_key, room->room_id(), 1, caller.sign_pub());
      if (!s.ok()) return s;
      if (owner_key.recipient() != caller.sign_pub()) {
        return absl::InvalidArgumentError("owner_key must be sealed to the owner");
      }
    } else if (request->has_owner_key()) {
      return absl::InvalidArgumentError("a cleartext room has no room keys");
    }
    absl::Status s =
        store_.CreateRoom(*room, room->policy().encrypted() ? &owner_key : nullptr);
    if (!s.ok()) return s;
    notifier_.Notify();
    room->set_member_count(1);
    *response->mutable_room() = *std::move(room);
    return absl::OkStatus();
  });
}

grpc::Status RoomServiceImpl::GetRoom(grpc::ServerContext* context,
                                      const v1::GetRoomRequest* request,
                                      v1::GetRoomResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    absl::StatusOr<v1::Member> me = MembershipOf(request->room_id(), caller);
    if (!me.ok()) return me.status();
    absl::StatusOr<v1::Room> room = store_.GetRoom(request->room_id());
    if (!room.ok()) return absl::IsNotFound(room.status()) ? RoomNotFound() : room.status();
    *response->mutable_room() = *std::move(room);
    response->set_my_role(me->role());
    return absl::OkStatus();
  });
}

grpc::Status RoomServiceImpl::ListMembers(grpc::ServerContext* context,
                                          const v1::ListMembersRequest* request,
                                          v1::ListMembersResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    absl::StatusOr<v1::Member> me = MembershipOf(request->room_id(), caller);
    if (!me.ok()) return me.status();
    absl::StatusOr<int> size = model::PageSize(request->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<std::string> after = model::DecodePageToken(request->page_token());
    if (!after.ok()) return after.status();
    absl::StatusOr<store::Page<v1::Member>> page =
        store_.ListMembers(request->room_id(), *after, *size);
    if (!page.ok()) return page.status();
    for (v1::Member& m : page->items) *response->add_members() = std::move(m);
    if (!page->next.empty()) response->set_next_page_token(model::EncodePageToken(page->next));
    return absl::OkStatus();
  });
}

grpc::Status RoomServiceImpl::ListMyRooms(grpc::ServerContext* context,
                                          const v1::ListMyRoomsRequest* request,
                                          v1::ListMyRoomsResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    absl::StatusOr<int> size = model::PageSize(request->page_size());
    if (!size.ok()) return size.status();
    absl::StatusOr<std::string> after = model::DecodePageToken(request->page_token());
    if (!after.ok()) return after.status();
    absl::StatusOr<store::Page<store::RoomMembership>> page =
        store_.ListRoomsOf(caller.sign_pub(), *after, *size);
    if (!page.ok()) return page.status();
    for (store::RoomMembership& m : page->items) {
      v1::MyRoom* out = response->add_rooms();
      *out->mutable_room() = std::move(m.room);
      out->set_my_role(m.role);
    }
    if (!page->next.empty()) response->set_next_page_token(model::EncodePageToken(page->next));
    return absl::OkStatus();
  });
}

grpc::Status RoomServiceImpl::AddMember(grpc::ServerContext* context,
                                        const v1::AddMemberRequest* request,
                                        v1::AddMemberResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    absl::StatusOr<v1::Member> me = ManagerOf(request->room_id(), caller);
    if (!me.ok()) return me.status();
    absl::StatusOr<std::string> sign_pub = model::ParseKeyHex("sign_pub", request->sign_pub());
    if (!sign_pub.ok()) return sign_pub.status();
    v1::RoomRole role =
        request->role() == v1::ROOM_ROLE_UNSPECIFIED ? v1::ROOM_ROLE_MEMBER : request->role();
    if (role != v1::ROOM_ROLE_MEMBER && role != v1::ROOM_ROLE_ADMIN) {
      return absl::InvalidArgumentError("role must be ROOM_ROLE_MEMBER or ROOM_ROLE_ADMIN");
    }
    if (role == v1::ROOM_ROLE_ADMIN && me->role() != v1::ROOM_ROLE_OWNER) {
      return absl::PermissionDeniedError("only the room's owner may add a room admin");
    }
    absl::StatusOr<v1::Room> room = store_.GetRoom(request->room_id());
    if (!room.ok()) return room.status();
    std::vector<v1::SealedKey> keys;
    for (v1::SealedKey key : request->keys()) {
      if (key.epoch() == 0 || key.epoch() > room->epoch()) {
        return absl::InvalidArgumentError(
            absl::StrCat("sealed keys must be for epochs 1 to ", room->epoch()));
      }
      absl::Status s = model::ValidateSealedKey(key, room->room_id(), key.epoch(),
                                                caller.sign_pub());
      if (!s.ok()) return s;
      if (key.recipient() != *sign_pub) {
        return absl::InvalidArgumentError("sealed keys must be sealed to the new member");
      }
      keys.push_back(std::move(key));
    }
    if (!room->policy().encrypted() && !keys.empty()) {
      return absl::InvalidArgumentError("a cleartext room has no room keys");
    }
    v1::Member member;
    member.set_sign_pub(*sign_pub);
    member.set_role(role);
    member.set_added_at_ms(clock_.NowMs());
    absl::StatusOr<v1::Member> added =
        store_.AddMember(room->room_id(), member, room->epoch(), keys);
    if (!added.ok()) return added.status();
    notifier_.Notify();
    *response->mutable_member() = *std::move(added);
    return absl::OkStatus();
  });
}

grpc::Status RoomServiceImpl::RemoveMember(grpc::ServerContext* context,
                                           const v1::RemoveMemberRequest* request,
                                           v1::RemoveMemberResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    absl::StatusOr<v1::Member> me = ManagerOf(request->room_id(), caller);
    if (!me.ok()) return me.status();
    absl::StatusOr<std::string> sign_pub = model::ParseKeyHex("sign_pub", request->sign_pub());
    if (!sign_pub.ok()) return sign_pub.status();
    if (*sign_pub == caller.sign_pub()) {
      return absl::FailedPreconditionError("use Leave to remove yourself");
    }
    absl::StatusOr<v1::Member> target = store_.GetMember(request->room_id(), *sign_pub);
    if (!target.ok()) return target.status();
    if (target->role() == v1::ROOM_ROLE_OWNER) {
      return absl::FailedPreconditionError("the owner cannot be removed; delete the room instead");
    }
    if (target->role() == v1::ROOM_ROLE_ADMIN && me->role() != v1::ROOM_ROLE_OWNER) {
      return absl::PermissionDeniedError("only the owner may remove a room admin");
    }
    absl::StatusOr<v1::Room> room = store_.GetRoom(request->room_id());
    if (!room.ok()) return room.status();
    absl::StatusOr<std::vector<v1::SealedKey>> keys =
        EpochKeys(*room, request->new_epoch(), request->keys(), caller);
    if (!keys.ok()) return keys.status();
    absl::StatusOr<v1::Room> updated =
        store_.RemoveMember(room->room_id(), *sign_pub, request->new_epoch(), *keys);
    if (!updated.ok()) return updated.status();
    notifier_.Notify();
    *response->mutable_room() = *std::move(updated);
    return absl::OkStatus();
  });
}

grpc::Status RoomServiceImpl::Leave(grpc::ServerContext* context,
                                    const v1::LeaveRequest* request, v1::LeaveResponse*) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    absl::StatusOr<v1::Member> me = MembershipOf(request->room_id(), caller);
    if (!me.ok()) return me.status();
    if (me->role() == v1::ROOM_ROLE_OWNER) {
      return absl::FailedPreconditionError("the owner cannot leave; delete the room instead");
    }
    absl::Status s = store_.Leave(request->room_id(), caller.sign_pub());
    if (s.ok()) notifier_.Notify();
    return s;
  });
}

grpc::Status RoomServiceImpl::Rekey(grpc::ServerContext* context,
                                    const v1::RekeyRequest* request,
                                    v1::RekeyResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    absl::StatusOr<v1::Member> me = ManagerOf(request->room_id(), caller);
    if (!me.ok()) return me.status();
    absl::StatusOr<v1::Room> room = store_.GetRoom(request->room_id());
    if (!room.ok()) return room.status();
    if (!room->policy().encrypted()) {
      return absl::FailedPreconditionError("a cleartext room has no room keys to rotate");
    }
    absl::StatusOr<std::vector<v1::SealedKey>> keys =
        EpochKeys(*room, request->new_epoch(), request->keys(), caller);
    if (!keys.ok()) return keys.status();
    absl::StatusOr<v1::Room> updated = store_.Rekey(room->room_id(), request->new_epoch(), *keys);
    if (!updated.ok()) return updated.status();
    *response->mutable_room() = *std::move(updated);
    return absl::OkStatus();
  });
}

grpc::Status RoomServiceImpl::GetRoomKey(grpc::ServerContext* context,
                                         const v1::GetRoomKeyRequest* request,
                                         v1::GetRoomKeyResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    absl::StatusOr<v1::Member> me = MembershipOf(request->room_id(), caller);
    if (!me.ok()) return me.status();
    absl::StatusOr<v1::Room> room = store_.GetRoom(request->room_id());
    if (!room.ok()) return room.status();
    if (!room->policy().encrypted()) {
      return absl::FailedPreconditionError("a cleartext room has no room keys");
    }
    // Only ever the caller's own key: the recipient is the authenticated caller, never input.
    absl::StatusOr<v1::SealedKey> key =
        store_.GetSealedKey(request->room_id(), request->epoch(), caller.sign_pub());
    if (!key.ok()) return key.status();
    *response->mutable_key() = *std::move(key);
    return absl::OkStatus();
  });
}

grpc::Status RoomServiceImpl::DeleteRoom(grpc::ServerContext* context,
                                         const v1::DeleteRoomRequest* request,
                                         v1::DeleteRoomResponse*) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    if (caller.role() != v1::ROLE_ADMIN) {
      absl::StatusOr<v1::Member> me = MembershipOf(request->room_id(), caller);
      if (!me.ok()) return me.status();
      if (me->role() != v1::ROOM_ROLE_OWNER) {
        return absl::PermissionDeniedError("only the owner or an admin may delete a room");
      }
    } else if (absl::Status s = model::ValidateRoomId(request->room_id()); !s.ok()) {
      return s;
    }
    absl::Status s = store_.DeleteRoom(request->room_id());
    if (absl::IsNotFound(s)) return RoomNotFound();
    if (!s.ok()) return s;
    notifier_.Notify();
    if (options_.on_room_deleted) options_.on_room_deleted(request->room_id());
    return s;
  });
}

}  // namespace unibus::control::service
