#include "client/internal/frame_codec.h"

#include <google/protobuf/unknown_field_set.h>
#include <sodium.h>

#include "absl/strings/str_cat.h"

namespace unibus::client::internal {
namespace {

void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }

void PutU16(std::string* out, uint16_t v) {
  PutU8(out, static_cast<uint8_t>(v >> 8));
  PutU8(out, static_cast<uint8_t>(v));
}

void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) PutU8(out, static_cast<uint8_t>(v >> shift));
}

void PutRef(std::string* out, bool present, const v1::FrameRef& ref) {
  if (!present) return PutU8(out, 0);
  PutU8(out, 1);
  out->append(ref.sender());
  PutU64(out, ref.counter());
}

// protobuf creates the shared empty UnknownFieldSet lazily on first use, inside the
// (uninstrumented) library; create it while the program is still single-threaded so delivery
// threads only ever read it (TSan reported the lazy creation racing with a read).
[[maybe_unused]] const bool kUnknownFieldsReady =
    (google::protobuf::UnknownFieldSet::default_instance(), true);

bool HasUnknownFields(const google::protobuf::Message& m) {
  return !m.GetReflection()->GetUnknownFields(m).empty();
}

bool ValidRef(bool present, const v1::FrameRef& ref) {
  return !present || (ref.sender().size() == crypto_sign_PUBLICKEYBYTES && !HasUnknownFields(ref));
}

// Shape checks shared by sealing and opening.
absl::Status CheckHeader(const v1::FrameHeader& h, const RoomRules& rules) {
  if (h.version() != kFrameVersion) return absl::InvalidArgumentError("unsupported frame version");
  if (h.type() < v1::FRAME_TYPE_MESSAGE || h.type() > v1::FRAME_TYPE_SYSTEM) {
    return absl::InvalidArgumentError("unknown frame type");
  }
  if (h.sender().size() != crypto_sign_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError("frame sender is not a 32-byte key");
  }
  if (!ValidRef(h.has_thread(), h.thread()) || !ValidRef(h.has_reply_to(), h.reply_to())) {
    return absl::InvalidArgumentError("frame reference is malformed");
  }
  bool needs_ref = h.type() == v1::FRAME_TYPE_REPLY || h.type() == v1::FRAME_TYPE_REACTION ||
                   h.type() == v1::FRAME_TYPE_EDIT;
  if (needs_ref != h.has_reply_to()) {
    return absl::InvalidArgumentError("reply_to must be set exactly for replies, reactions, edits");
  }
  if (h.type() == v1::FRAME_TYPE_EDIT && h.reply_to().sender() != h.sender()) {
    return absl::InvalidArgumentError("an edit must refer to the sender's own frame");
  }
  if (h.room_id() != rules.room_id) return absl::FailedPreconditionError("frame for another room");
  if (rules.encrypted && (h.epoch() == 0 || h.nonce().size() != kFrameNonceSize)) {
    return absl::FailedPreconditionError("encrypted room needs an epoch and a 24-byte nonce");
  }
  if (!rules.encrypted && (h.epoch() != 0 || !h.nonce().empty())) {
    return absl::FailedPreconditionError("cleartext room frames carry no epoch or nonce");
  }
  return absl::OkStatus();
}

std::string SignedMessage(const v1::FrameHeader& header, absl::string_view ciphertext) {
  return absl::StrCat(CanonicalHeader(header), ciphertext);
}

}  // namespace

std::string CanonicalHeader(const v1::FrameHeader& h) {
  std::string out(kFrameDomain);
  PutU8(&out, 0);
  PutU8(&out, static_cast<uint8_t>(h.version()));
  PutU8(&out, static_cast<uint8_t>(h.type()));
  PutU16(&out, static_cast<uint16_t>(h.room_id().size()));
  out.append(h.room_id());
  PutU64(&out, h.epoch());
  out.append(h.sender());
  PutU64(&out, h.counter());
  PutU64(&out, static_cast<uint64_t>(h.timestamp_ms()));
  PutRef(&out, h.has_thread(), h.thread());
  PutRef(&out, h.has_reply_to(), h.reply_to());
  PutU8(&out, static_cast<uint8_t>(h.nonce().size()));
  out.append(h.nonce());
  return out;
}

common::SecretBytes FrameKey(absl::string_view room_key) {
  common::SecretBytes key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  crypto_kdf_derive_from_key(key.data(), key.size(), 1, "ubframe1",
                             reinterpret_cast<const unsigned char*>(room_key.data()));
  return key;
}

absl::StatusOr<v1::Frame> SealFrame(v1::FrameHeader header, const v1::FrameBody& body,
                                    const RoomRules& rules, absl::string_view room_key,
                                    const common::Identity* signer,
                                    absl::string_view fixed_nonce) {
  if (rules.encrypted) {
    if (room_key.size() != crypto_kdf_KEYBYTES) return absl::InvalidArgumentError("no room key");
    std::string nonce(kFrameNonceSize, '\0');
    if (fixed_nonce.size() == kFrameNonceSize) {
      nonce.assign(fixed_nonce.data(), fixed_nonce.size());
    } else {
      randombytes_buf(nonce.data(), nonce.size());
    }
    header.set_nonce(nonce);
  }
  if (rules.room_id.size() > 0xffff) return absl::InvalidArgumentError("room id too long");
  if (absl::Status s = CheckHeader(header, rules); !s.ok()) return s;
  if (rules.signed_frames && (signer == nullptr || signer->sign_pub() != header.sender())) {
    return absl::InvalidArgumentError("a signing room needs the sender's own signature");
  }
  std::string plain = body.SerializeAsString();
  v1::Frame frame;
  if (rules.encrypted) {
    std::string ad = CanonicalHeader(header);
    std::string cipher(plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long cipher_len = 0;
    common::SecretBytes key = FrameKey(room_key);
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        reinterpret_cast<unsigned char*>(cipher.data()), &cipher_len,
        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
        reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
        reinterpret_cast<const unsigned char*>(header.nonce().data()), key.data());
    sodium_memzero(plain.data(), plain.size());
    cipher.resize(cipher_len);
    frame.set_ciphertext(std::move(cipher));
  } else {
    frame.set_ciphertext(std::move(plain));
  }
  if (rules.signed_frames) {
    frame.set_signature(signer->Sign(SignedMessage(header, frame.ciphertext())));
  }
  *frame.mutable_header() = std::move(header);
  return frame;
}

absl::StatusOr<OpenedFrame> OpenFrame(absl::string_view bytes, const RoomRules& rules,
                                      const KeyLookup& keys) {
  v1::Frame frame;
  if (!frame.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !frame.has_header() || HasUnknownFields(frame) || HasUnknownFields(frame.header())) {
    return absl::InvalidArgumentError("not a unibus v1 frame");
  }
  const v1::FrameHeader& h = frame.header();
  if (h.room_id().size() > 0xffff || h.nonce().size() > 0xff) {
    return absl::InvalidArgumentError("frame header field too long");
  }
  if (absl::Status s = CheckHeader(h, rules); !s.ok()) return s;
  OpenedFrame opened;
  if (!frame.signature().empty() || rules.signed_frames) {
    if (frame.signature().empty()) return absl::FailedPreconditionError("unsigned frame");
    if (!common::VerifySignature(h.sender(), SignedMessage(h, frame.ciphertext()),
                                 frame.signature())) {
      return absl::PermissionDeniedError("frame signature does not verify");
    }
    opened.signature_verified = true;
  }
  std::string plain;
  if (rules.encrypted) {
    std::optional<std::string> room_key = keys(h.epoch());
    if (!room_key || room_key->size() != crypto_kdf_KEYBYTES) {  // FrameKey reads 32 bytes
      return absl::NotFoundError(absl::StrCat("no key for epoch ", h.epoch()));
    }
    if (frame.ciphertext().size() < crypto_aead_xchacha20poly1305_ietf_ABYTES) {
      return absl::PermissionDeniedError("frame does not decrypt");
    }
    std::string ad = CanonicalHeader(h);
    plain.resize(frame.ciphertext().size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long plain_len = 0;
    common::SecretBytes key = FrameKey(*room_key);
    sodium_memzero(room_key->data(), room_key->size());
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            reinterpret_cast<unsigned char*>(plain.data()), &plain_len, nullptr,
            reinterpret_cast<const unsigned char*>(frame.ciphertext().data()),
            frame.ciphertext().size(), reinterpret_cast<const unsigned char*>(ad.data()),
            ad.size(), reinterpret_cast<const unsigned char*>(h.nonce().data()),
            key.data()) != 0) {
      return absl::PermissionDeniedError("frame does not decrypt");
    }
    plain.resize(plain_len);
  } else {
    plain = frame.ciphertext();
  }
  if (!opened.body.ParseFromString(plain)) {
    return absl::InvalidArgumentError("frame body is not a FrameBody");
  }
  opened.header = frame.header();
  return opened;
}

}  // namespace unibus::client::internal
