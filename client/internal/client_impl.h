// The Client implementation (client/client.h): control-plane calls through ControlLink, room
// knowledge in RoomCache, frames sealed by frame_codec and carried by NatsLink / RoomFeed,
// blobs sealed by blob_cipher and moved through the control plane's BlobService.
#ifndef UNIBUS_CLIENT_INTERNAL_CLIENT_IMPL_H_
#define UNIBUS_CLIENT_INTERNAL_CLIENT_IMPL_H_

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "client/client.h"
#include "client/internal/blob_cipher.h"
#include "client/internal/control_link.h"
#include "client/internal/frame_codec.h"
#include "client/internal/nats_link.h"
#include "client/internal/store_confirmer.h"
#include "client/internal/room_cache.h"

namespace unibus::client::internal {

// The frame rules of a room record.
RoomRules RulesOf(const v1::Room& room);

class ClientImpl : public Client {
 public:
  static absl::StatusOr<std::unique_ptr<Client>> Connect(common::Identity identity,
                                                         ClientOptions options);
  ~ClientImpl() override;

  const common::Identity& identity() const override { return *identity_; }

  absl::StatusOr<v1::User> WhoAmI() override;
  absl::StatusOr<v1::User> GetUser(const std::string& sign_pub_or_handle) override;
  absl::StatusOr<std::vector<v1::User>> ListUsers() override;
  absl::StatusOr<v1::User> AddUser(const std::string& sign_pub, const std::string& kex_pub,
                                   const std::string& handle, v1::Role role) override;
  absl::StatusOr<v1::User> RevokeUser(const std::string& sign_pub) override;

  absl::StatusOr<v1::Room> CreateRoom(const RoomSettings& settings) override;
  absl::StatusOr<v1::Room> GetRoom(const std::string& room_id) override;
  absl::StatusOr<std::vector<v1::MyRoom>> ListMyRooms() override;
  absl::StatusOr<std::vector<v1::Member>> ListMembers(const std::string& room_id) override;
  absl::StatusOr<v1::Member> AddMember(const std::string& room_id, const std::string& user,
                                       v1::RoomRole role, bool share_history) override;
  absl::Status RemoveMember(const std::string& room_id, const std::string& user) override;
  absl::Status Leave(const std::string& room_id) override;
  absl::StatusOr<v1::Room> Rekey(const std::string& room_id) override;
  absl::Status DeleteRoom(const std::string& room_id) override;

  absl::StatusOr<FrameId> Send(const std::string& room_id, const OutgoingMessage& message,
                               SendOptions options) override;
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const std::string& room_id,
                                                          SubscribeOptions options) override;
  absl::Status Flush(absl::Duration timeout) override;

  // client_blobs.cc
  absl::StatusOr<v1::BlobRef> PutBlob(const std::string& room_id, absl::string_view plaintext,
                                      const BlobOptions& options) override;
  absl::StatusOr<std::string> GetBlob(const std::string& room_id, const v1::BlobRef& ref,
                                      TransferProgress progress) override;

  NatsLink& nats() { return *nats_; }
  RoomCache& rooms() { return *rooms_; }
  const ClientOptions& options() const { return options_; }

 private:
  ClientImpl(std::unique_ptr<common::Identity> identity, ClientOptions options)
      : identity_(std::move(identity)), options_(std::move(options)) {}
  // Keys of a new epoch sealed to every active member except `without` (hex).
  absl::StatusOr<std::vector<v1::SealedKey>> SealForMembers(const std::string& room_id,
                                                            uint64_t epoch,
                                                            const std::string& key,
                                                            const std::string& without);
  absl::StatusOr<std::string> ResolveUser(const std::string& sign_pub_or_handle);
  uint64_t NextCounter();
  // FAILED_PRECONDITION for a control-plane-only client.
  absl::Status NeedNats() const;
  // One attempt at uploading `blob` (failing over on UNAVAILABLE). When the server refused it
  // as busy (RESOURCE_EXHAUSTED with a retry pushback), *retry_after is the pause it asked for.
  absl::Status UploadBlob(const std::string& room_id, const SealedBlob& blob,
                          const TransferProgress& progress,
                          std::optional<absl::Duration>* retry_after);

  std::unique_ptr<common::Identity> identity_;  // stable address: links keep a reference
  ClientOptions options_;
  std::unique_ptr<ControlLink> control_;
  std::unique_ptr<RoomCache> rooms_;
  std::unique_ptr<NatsLink> nats_;
  std::unique_ptr<StoreConfirmer> confirmer_;  // uses nats_; null without NATS
  // Rooms where Rekey was refused (not owner/admin): Send does not try again.
  absl::Mutex rekey_mu_;
  std::set<std::string> cannot_rekey_ ABSL_GUARDED_BY(rekey_mu_);
  absl::Mutex counter_mu_;
  uint64_t last_counter_ ABSL_GUARDED_BY(counter_mu_) = 0;
};

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_CLIENT_IMPL_H_
