// unibus.v1.RoomService (see rooms.proto for every rule and error code).
//
// Authorization lives here; the store enforces what must hold atomically with a write.
// Thread-safe; does not own its collaborators.
#ifndef UNIBUS_CONTROL_SERVICE_ROOM_SERVICE_H_
#define UNIBUS_CONTROL_SERVICE_ROOM_SERVICE_H_

#include <functional>
#include <string>
#include <vector>

#include "common/time/clock.h"
#include "control/service/authenticator.h"
#include "control/service/change_notifier.h"
#include "control/store/store.h"
#include "unibus/v1/rooms.grpc.pb.h"

namespace unibus::control::service {

struct RoomServiceOptions {
  // Whether rooms without end-to-end encryption may be created on this node.
  bool allow_cleartext_rooms = false;
  // Called after a room was deleted (e.g. to free its blobs). Optional.
  std::function<void(const std::string& room_id)> on_room_deleted;
};

class RoomServiceImpl final : public v1::RoomService::Service {
 public:
  RoomServiceImpl(store::Store& store, Authenticator& auth, ChangeNotifier& notifier,
                  const common::Clock& clock, RoomServiceOptions options)
      : store_(store),
        auth_(auth),
        notifier_(notifier),
        clock_(clock),
        options_(std::move(options)) {}

  grpc::Status CreateRoom(grpc::ServerContext* context, const v1::CreateRoomRequest* request,
                          v1::CreateRoomResponse* response) override;
  grpc::Status GetRoom(grpc::ServerContext* context, const v1::GetRoomRequest* request,
                       v1::GetRoomResponse* response) override;
  grpc::Status ListMembers(grpc::ServerContext* context, const v1::ListMembersRequest* request,
                           v1::ListMembersResponse* response) override;
  grpc::Status ListMyRooms(grpc::ServerContext* context, const v1::ListMyRoomsRequest* request,
                           v1::ListMyRoomsResponse* response) override;
  grpc::Status AddMember(grpc::ServerContext* context, const v1::AddMemberRequest* request,
                         v1::AddMemberResponse* response) override;
  grpc::Status RemoveMember(grpc::ServerContext* context, const v1::RemoveMemberRequest* request,
                            v1::RemoveMemberResponse* response) override;
  grpc::Status Leave(grpc::ServerContext* context, const v1::LeaveRequest* request,
                     v1::LeaveResponse* response) override;
  grpc::Status Rekey(grpc::ServerContext* context, const v1::RekeyRequest* request,
                     v1::RekeyResponse* response) override;
  grpc::Status GetRoomKey(grpc::ServerContext* context, const v1::GetRoomKeyRequest* request,
                          v1::GetRoomKeyResponse* response) override;
  grpc::Status DeleteRoom(grpc::ServerContext* context, const v1::DeleteRoomRequest* request,
                          v1::DeleteRoomResponse* response) override;

 private:
  absl::StatusOr<v1::Room> NewRoom(const v1::CreateRoomRequest& request, const v1::User& caller);
  // The caller's membership; NOT_FOUND ("room not found") when it is not a member.
  absl::StatusOr<v1::Member> MembershipOf(absl::string_view room_id, const v1::User& caller);
  // As MembershipOf, and PERMISSION_DENIED unless the caller is the owner or a room admin.
  absl::StatusOr<v1::Member> ManagerOf(absl::string_view room_id, const v1::User& caller);
  // Validates keys of a new epoch for `room` sent by `caller`.
  absl::StatusOr<std::vector<v1::SealedKey>> EpochKeys(
      const v1::Room& room, uint64_t epoch, const google::protobuf::RepeatedPtrField<v1::SealedKey>& keys,
      const v1::User& caller);

  store::Store& store_;
  Authenticator& auth_;
  ChangeNotifier& notifier_;
  const common::Clock& clock_;
  const RoomServiceOptions options_;
};

}  // namespace unibus::control::service

#endif  // UNIBUS_CONTROL_SERVICE_ROOM_SERVICE_H_
