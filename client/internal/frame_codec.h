// Seals and opens data-plane frames (proto/unibus/v1/frames.proto; spec: docs/frames.md).
//
//   H          = CanonicalHeader(header)                       (docs/frames.md §3)
//   frame key  = crypto_kdf_derive_from_key(32, 1, "ubframe1", room key of the epoch)
//   ciphertext = XChaCha20-Poly1305-IETF(frame key, header.nonce, FrameBody bytes, ad = H)
//   signature  = Ed25519(sender, H ‖ ciphertext)
//
// Stateless and thread-safe. OpenFrame checks one frame on its own; replay and epoch rules
// need history and live in replay_guard.h and epoch_gate.h.
#ifndef UNIBUS_CLIENT_INTERNAL_FRAME_CODEC_H_
#define UNIBUS_CLIENT_INTERNAL_FRAME_CODEC_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/identity.h"
#include "common/crypto/secret.h"
#include "unibus/v1/frames.pb.h"

namespace unibus::client::internal {

inline constexpr uint32_t kFrameVersion = 1;
inline constexpr absl::string_view kFrameDomain = "unibus.v1.frame";
inline constexpr size_t kFrameNonceSize = 24;
inline constexpr size_t kFrameSignatureSize = 64;

// The canonical header bytes H. REQUIRES: room_id shorter than 65536 bytes, nonce shorter than
// 256 bytes (the codec only builds and accepts headers that satisfy both).
std::string CanonicalHeader(const v1::FrameHeader& header);

// The frame key of a 32-byte room key.
common::SecretBytes FrameKey(absl::string_view room_key);

// What the room says frames must look like.
struct RoomRules {
  std::string room_id;
  bool encrypted = true;
  bool signed_frames = true;
};

// Builds a frame. `header` carries everything but the nonce, which is drawn at random unless
// `fixed_nonce` is given (test vectors only). `room_key` is required in encrypted rooms and
// ignored otherwise; `signer` must be the header's sender in signing rooms.
// INVALID_ARGUMENT for a header that breaks the rules (wrong room, missing key, bad refs).
absl::StatusOr<v1::Frame> SealFrame(v1::FrameHeader header, const v1::FrameBody& body,
                                    const RoomRules& rules, absl::string_view room_key,
                                    const common::Identity* signer,
                                    absl::string_view fixed_nonce = "");

// The room key of an epoch, or nullopt when the caller holds none for it.
using KeyLookup = std::function<std::optional<std::string>(uint64_t epoch)>;

struct OpenedFrame {
  v1::FrameHeader header;
  v1::FrameBody body;
  bool signature_verified = false;
};

// Checks and opens a received frame's bytes. Errors:
//   INVALID_ARGUMENT   not a well-formed v1 frame (unparseable, unknown fields, bad sizes/types)
//   FAILED_PRECONDITION frame for another room, or breaking the room's rules (unsigned in a
//                      signing room, no nonce in an encrypted room, epoch 0 in an encrypted one)
//   NOT_FOUND          no key for the frame's epoch (the caller may refresh its keys and retry)
//   PERMISSION_DENIED  signature or AEAD check failed (forged or altered)
absl::StatusOr<OpenedFrame> OpenFrame(absl::string_view bytes, const RoomRules& rules,
                                      const KeyLookup& keys);

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_FRAME_CODEC_H_
