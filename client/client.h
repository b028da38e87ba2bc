// libunibus: the C++ client of unibus (DESIGN.md §2, §4, §6).
//
// A Client is one identity connected to the control plane (gRPC over mTLS with a self-signed
// certificate of the identity's key, CA pinned) and to NATS (the same key as nkey, private inbox
// prefix, reconnect with jitter, connection rebuilt when nats.c gives up). It manages rooms
// (creating, sealing and opening room keys on this side: the server never sees a room key) and
// sends and receives end-to-end encrypted frames (docs/frames.md).
//
// Thread safety: every method may be called from any thread concurrently. Subscription callbacks
// run on library threads (see subscription.h). The Client must outlive its Subscriptions.
//
// Errors are absl::Status with the control plane's codes where a call reached it:
//   UNAUTHENTICATED (identity not on the allowlist), PERMISSION_DENIED (revoked, or not allowed),
//   NOT_FOUND (no such room, or not a member), INVALID_ARGUMENT, ABORTED (the room changed
//   concurrently; retry), UNAVAILABLE (no server reachable), DEADLINE_EXCEEDED.
#ifndef UNIBUS_CLIENT_CLIENT_H_
#define UNIBUS_CLIENT_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/message.h"
#include "client/options.h"
#include "client/subscription.h"
#include "common/crypto/identity.h"
#include "absl/strings/string_view.h"
#include "client/blob_limits.h"
#include "unibus/v1/frames.pb.h"
#include "unibus/v1/rooms.pb.h"
#include "unibus/v1/users.pb.h"

namespace unibus::client {

struct RoomSettings {
  std::string name;
  bool encrypted = true;
  std::optional<bool> signed_frames;  // default: = encrypted
  bool history = true;                // frames kept in JetStream
};

struct SendOptions {
  // Rooms with history: return only once JetStream stored the frame (else fire and forget).
  bool wait_for_store = true;
};

// Progress of a blob transfer: ciphertext bytes moved so far of the total. Called on the calling
// thread, at most once per chunk.
using TransferProgress = std::function<void(uint64_t done, uint64_t total)>;

struct BlobOptions {
  std::string name;          // announced file name (directories are stripped)
  std::string content_type;  // announced type, e.g. "image/png" (may be empty)
  TransferProgress progress;
  // How long PutBlob keeps retrying while the server's in-flight upload budget is used up
  // (RESOURCE_EXHAUSTED with a retry pushback). Zero: fail at once.
  absl::Duration busy_retry = absl::Seconds(30);
};

class Client {
 public:
  // Connects to both planes; fails if either is unreachable or refuses the identity.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(common::Identity identity,
                                                         ClientOptions options);
  virtual ~Client() = default;

  virtual const common::Identity& identity() const = 0;

  // ---- Users (admin calls need an admin identity) ----
  virtual absl::StatusOr<v1::User> WhoAmI() = 0;
  virtual absl::StatusOr<v1::User> GetUser(const std::string& sign_pub_or_handle) = 0;
  virtual absl::StatusOr<std::vector<v1::User>> ListUsers() = 0;
  virtual absl::StatusOr<v1::User> AddUser(const std::string& sign_pub, const std::string& kex_pub,
                                           const std::string& handle, v1::Role role) = 0;
  virtual absl::StatusOr<v1::User> RevokeUser(const std::string& sign_pub) = 0;

  // ---- Rooms ----
  // Creates a room owned by this identity; encrypted rooms get a fresh epoch-1 key sealed to it.
  virtual absl::StatusOr<v1::Room> CreateRoom(const RoomSettings& settings) = 0;
  virtual absl::StatusOr<v1::Room> GetRoom(const std::string& room_id) = 0;
  virtual absl::StatusOr<std::vector<v1::MyRoom>> ListMyRooms() = 0;
  virtual absl::StatusOr<std::vector<v1::Member>> ListMembers(const std::string& room_id) = 0;
  // Adds `user` (sign_pub or handle) and seals to it the current key and, when
  // `share_history`, every earlier key this identity holds.
  virtual absl::StatusOr<v1::Member> AddMember(const std::string& room_id, const std::string& user,
                                               v1::RoomRole role = v1::ROOM_ROLE_MEMBER,
                                               bool share_history = true) = 0;
  // Removes a member and moves the room to a new epoch sealed to every remaining active member,
  // in one call.
  virtual absl::Status RemoveMember(const std::string& room_id, const std::string& user) = 0;
  virtual absl::Status Leave(const std::string& room_id) = 0;
  // Moves the room to a new epoch (owner/admin), e.g. when needs_rekey is set.
  virtual absl::StatusOr<v1::Room> Rekey(const std::string& room_id) = 0;
  virtual absl::Status DeleteRoom(const std::string& room_id) = 0;

  // ---- Frames ----
  // Seals and publishes one frame at the room's current epoch. When the room is marked for
  // rekey and this identity is its owner or an admin, the key is rotated first.
  // Rooms with history: by default returns once JetStream stored the frame, retrying (without
  // duplicates) while the connection is re-authorized after a membership change. Rooms without
  // history: fire and forget, like core NATS; a frame published while this identity's
  // connection is being kicked and re-authorized can be lost.
  virtual absl::StatusOr<FrameId> Send(const std::string& room_id, const OutgoingMessage& message,
                                       SendOptions options = {}) = 0;
  // Waits until nats-server has received everything published so far (useful before exiting
  // after sends to rooms without history, which are not confirmed). UNAVAILABLE/DEADLINE_EXCEEDED.
  virtual absl::Status Flush(absl::Duration timeout = absl::Seconds(5)) = 0;
  // NOT_FOUND if the room does not exist or this identity is not a member.
  virtual absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const std::string& room_id,
                                                                  SubscribeOptions options) = 0;

  // ---- Blobs (files and media; encrypted here, the server stores ciphertext only) ----
  // Encrypts `plaintext` under a fresh key (docs/frames.md §12) and uploads the ciphertext for
  // the room. Returns the reference to announce in a frame body (address, key, size, name); it
  // holds the key, so it belongs inside an encrypted frame only. Re-uploading identical bytes is
  // harmless. The blob is held in memory while it is encrypted and sent.
  // Errors: NOT_FOUND (room unknown, not a member), OUT_OF_RANGE (its ciphertext would be over
  // ClientOptions::max_blob_bytes; see blob_limits.h), RESOURCE_EXHAUSTED (over the server's maximum, or its upload
  // budget stayed used up for `busy_retry`), UNAVAILABLE, DEADLINE_EXCEEDED.
  virtual absl::StatusOr<v1::BlobRef> PutBlob(const std::string& room_id,
                                              absl::string_view plaintext,
                                              const BlobOptions& options = {}) = 0;
  // Downloads the blob `ref` names, checks its length and sha256 against the reference before
  // decrypting anything, decrypts and returns the plaintext (nothing partial is ever returned).
  // Errors: NOT_FOUND (no such blob in the room, or not a member), INVALID_ARGUMENT (a malformed
  // reference), OUT_OF_RANGE (ref.size encrypts to more than ClientOptions::max_blob_bytes), DATA_LOSS (the
  // stored bytes are not the ones announced, or their encryption is broken: truncated, reordered
  // or duplicated chunks), UNAVAILABLE, DEADLINE_EXCEEDED.
  virtual absl::StatusOr<std::string> GetBlob(const std::string& room_id,
                                              const v1::BlobRef& ref,
                                              TransferProgress progress = {}) = 0;
};

}  // namespace unibus::client

#endif  // UNIBUS_CLIENT_CLIENT_H_
