// Prints the frame test vectors (testdata/frames_v1.json, docs/frames.md §11) to stdout.
//
// Everything is fixed: identities from constant seeds, a constant room key and nonce, constant
// counters and timestamps, so the output is the same on every run. Regenerate with
//   bazel run //client/internal:frame_vectors_gen > testdata/frames_v1.json
// and check the diff: a change means the wire format changed.
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "client/internal/frame_codec.h"
#include "common/crypto/hex.h"
#include "common/crypto/identity.h"

namespace unibus::client::internal {
namespace {

using nlohmann::ordered_json;

constexpr char kRoomId[] = "0123456789abcdef0123456789abcdef";
constexpr uint64_t kEpoch = 3;
constexpr uint64_t kCounter = 1767225600000000;  // 2026-01-01T00:00:00Z in µs
constexpr int64_t kTimestampMs = 1767225600000;
const std::string kSenderSeed(32, '\x01');
const std::string kOtherSeed(32, '\x02');
const std::string kRoomKey(32, '\x42');
const std::string kNonce(kFrameNonceSize, '\x24');

struct Case {
  std::string name;
  std::string comment;
  RoomRules rules;
  v1::FrameHeader header;  // without nonce
  v1::FrameBody body;
};

common::Identity FromSeed(const std::string& seed) {
  return std::move(common::Identity::FromSeed(seed)).value();
}

v1::FrameHeader Header(v1::FrameType type, bool encrypted, const std::string& sender) {
  v1::FrameHeader h;
  h.set_version(kFrameVersion);
  h.set_type(type);
  h.set_room_id(kRoomId);
  h.set_epoch(encrypted ? kEpoch : 0);
  h.set_sender(sender);
  h.set_counter(kCounter);
  h.set_timestamp_ms(kTimestampMs);
  return h;
}

void SetRef(v1::FrameRef* ref, const std::string& sender, uint64_t counter) {
  ref->set_sender(sender);
  ref->set_counter(counter);
}

ordered_json RefJson(bool present, const v1::FrameRef& ref) {
  if (!present) return nullptr;
  return {{"sender_hex", common::HexEncode(ref.sender())}, {"counter", ref.counter()}};
}

ordered_json HeaderJson(const v1::FrameHeader& h) {
  return {{"version", h.version()},
          {"type", v1::FrameType_Name(h.type())},
          {"type_value", static_cast<int>(h.type())},
          {"room_id", h.room_id()},
          {"epoch", h.epoch()},
          {"sender_hex", common::HexEncode(h.sender())},
          {"counter", h.counter()},
          {"timestamp_ms", h.timestamp_ms()},
          {"thread", RefJson(h.has_thread(), h.thread())},
          {"reply_to", RefJson(h.has_reply_to(), h.reply_to())},
          {"nonce_hex", common::HexEncode(h.nonce())}};
}

ordered_json BodyJson(const v1::FrameBody& b) {
  ordered_json blob = nullptr;
  if (b.has_blob()) {
    blob = {{"address", b.blob().address()},       {"key_hex", common::HexEncode(b.blob().key())},
            {"size", b.blob().size()},             {"name", b.blob().name()},
            {"content_type", b.blob().content_type()}};
  }
  return {{"text", b.text()},
          {"reaction", b.reaction()},
          {"data_hex", common::HexEncode(b.data())},
          {"content_type", b.content_type()},
          {"blob", blob}};
}

ordered_json CaseJson(const Case& c, const common::Identity& sender) {
  absl::StatusOr<v1::Frame> frame =
      SealFrame(c.header, c.body, c.rules, kRoomKey, &sender, kNonce);
  if (!frame.ok()) {
    std::cerr << c.name << ": " << frame.status() << "\n";
    std::exit(1);
  }
  const v1::FrameHeader& h = frame->header();
  ordered_json inputs = {
      {"sender_seed_hex", common::HexEncode(sender.seed().view())},
      {"rules",
       {{"room_id", c.rules.room_id},
        {"encrypted", c.rules.encrypted},
        {"signed_frames", c.rules.signed_frames}}},
      {"room_key_hex", c.rules.encrypted ? common::HexEncode(kRoomKey) : ""},
      {"nonce_hex", c.rules.encrypted ? common::HexEncode(kNonce) : ""},
      {"header", HeaderJson(h)},
      {"body", BodyJson(c.body)}};
  ordered_json outputs = {
      {"canonical_header_hex", common::HexEncode(CanonicalHeader(h))},
      {"frame_key_hex", c.rules.encrypted ? common::HexEncode(FrameKey(kRoomKey).view()) : ""},
      {"body_hex", common::HexEncode(c.body.SerializeAsString())},
      {"ciphertext_hex", common::HexEncode(frame->ciphertext())},
      {"signature_hex", common::HexEncode(frame->signature())},
      {"frame_hex", common::HexEncode(frame->SerializeAsString())}};
  return {{"name", c.name}, {"comment", c.comment}, {"inputs", inputs}, {"outputs", outputs}};
}

int Main() {
  common::Identity sender = FromSeed(kSenderSeed);
  common::Identity other = FromSeed(kOtherSeed);
  const RoomRules encrypted{kRoomId, true, true};
  const RoomRules aead_only{kRoomId, true, false};
  const RoomRules clear_signed{kRoomId, false, true};
  const RoomRules clear_unsigned{kRoomId, false, false};

  Case message{"message_encrypted_signed", "MESSAGE in an encrypted, signing room", encrypted,
               Header(v1::FRAME_TYPE_MESSAGE, true, sender.sign_pub()), {}};
  message.body.set_text("hello, room");

  Case reply{"reply_encrypted_signed", "REPLY with thread and reply_to", encrypted,
             Header(v1::FRAME_TYPE_REPLY, true, sender.sign_pub()), {}};
  SetRef(reply.header.mutable_thread(), sender.sign_pub(), kCounter - 5000000);
  SetRef(reply.header.mutable_reply_to(), other.sign_pub(), kCounter - 1000000);
  reply.body.set_text("a reply");

  Case reaction{"reaction_encrypted_signed", "REACTION to another member's frame", encrypted,
                Header(v1::FRAME_TYPE_REACTION, true, sender.sign_pub()), {}};
  SetRef(reaction.header.mutable_reply_to(), other.sign_pub(), kCounter - 1000000);
  reaction.body.set_reaction("\xF0\x9F\x91\x8D");  // U+1F44D

  Case edit{"edit_encrypted_unsigned", "EDIT of the sender's own frame; AEAD only, no signature",
            aead_only, Header(v1::FRAME_TYPE_EDIT, true, sender.sign_pub()), {}};
  SetRef(edit.header.mutable_reply_to(), sender.sign_pub(), kCounter - 5000000);
  edit.body.set_text("hello, room (edited)");

  Case blob{"message_blob_encrypted_signed", "MESSAGE with data and a blob reference", encrypted,
            Header(v1::FRAME_TYPE_MESSAGE, true, sender.sign_pub()), {}};
  blob.header.set_counter(kCounter + 1);
  blob.body.set_data(std::string("\x00\x01\x02\xff", 4));
  blob.body.set_content_type("application/octet-stream");
  v1::BlobRef* ref = blob.body.mutable_blob();
  ref->set_address(std::string(64, 'a'));
  ref->set_key(std::string(32, '\x77'));
  ref->set_size(123456);
  ref->set_name("photo.jpg");
  ref->set_content_type("image/jpeg");

  Case clear_s{"message_cleartext_signed", "MESSAGE in a cleartext, signing room", clear_signed,
               Header(v1::FRAME_TYPE_MESSAGE, false, sender.sign_pub()), {}};
  clear_s.body.set_text("hello, cleartext room");

  Case clear_u{"message_cleartext_unsigned", "MESSAGE in a cleartext room without signatures",
               clear_unsigned, Header(v1::FRAME_TYPE_MESSAGE, false, sender.sign_pub()), {}};
  clear_u.body.set_text("hello, cleartext room");

  ordered_json cases = ordered_json::array();
  for (const Case* c : {&message, &reply, &reaction, &edit, &blob, &clear_s, &clear_u}) {
    cases.push_back(CaseJson(*c, sender));
  }
  ordered_json out = {
      {"description",
       "unibus frame test vectors v1 (proto/unibus/v1/frames.proto, docs/frames.md). "
       "Deterministic: the nonce is fixed here; real frames draw it at random. body_hex is "
       "FrameBody as the C++ protobuf library encodes it (fields in number order, defaults "
       "omitted); ciphertext, signature and frame bytes depend on those exact bytes."},
      {"version", 1},
      {"identities",
       {{{"seed_hex", common::HexEncode(kSenderSeed)}, {"sign_pub_hex", sender.sign_pub_hex()}},
        {{"seed_hex", common::HexEncode(kOtherSeed)}, {"sign_pub_hex", other.sign_pub_hex()}}}},
      {"cases", cases}};
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace unibus::client::internal

int main() { return unibus::client::internal::Main(); }
