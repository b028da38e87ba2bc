#include "client/internal/frame_codec.h"

#include <sodium.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/stubs/logging.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/identity.h"
#include "gtest/gtest.h"

namespace unibus::client::internal {
namespace {

constexpr char kRoom[] = "0123456789abcdef0123456789abcdef";
constexpr char kOtherRoom[] = "fedcba9876543210fedcba9876543210";
constexpr uint64_t kEpoch = 3;
constexpr uint64_t kCounter = 1767225600000000;

common::Identity FromSeed(char fill) {
  return std::move(common::Identity::FromSeed(std::string(32, fill))).value();
}

std::string RandomKey() {
  std::string key(32, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

class FrameCodecTest : public ::testing::Test {
 protected:
  void SetUp() override { common::InitSodium(); }

  static RoomRules Rules(bool encrypted = true, bool signed_frames = true) {
    return RoomRules{kRoom, encrypted, signed_frames};
  }

  v1::FrameHeader Header(v1::FrameType type, const common::Identity& sender,
                         uint64_t epoch = kEpoch) const {
    v1::FrameHeader h;
    h.set_version(kFrameVersion);
    h.set_type(type);
    h.set_room_id(kRoom);
    h.set_epoch(epoch);
    h.set_sender(sender.sign_pub());
    h.set_counter(kCounter);
    h.set_timestamp_ms(1767225600000);
    return h;
  }

  static v1::FrameBody Body(const std::string& text) {
    v1::FrameBody b;
    b.set_text(text);
    return b;
  }

  // A REPLY with every header field set (thread, reply_to) and a body with text and data.
  v1::FrameHeader FullHeader() const {
    v1::FrameHeader h = Header(v1::FRAME_TYPE_REPLY, alice_);
    h.mutable_thread()->set_sender(alice_.sign_pub());
    h.mutable_thread()->set_counter(kCounter - 7);
    h.mutable_reply_to()->set_sender(bob_.sign_pub());
    h.mutable_reply_to()->set_counter(kCounter - 3);
    return h;
  }
  static v1::FrameBody FullBody() {
    v1::FrameBody b = Body("a reply with every field");
    b.set_data(std::string("\x00\x01\x02", 3));
    b.set_content_type("application/octet-stream");
    return b;
  }

  // Seals with the codec; the test fails (and returns "") if the codec refuses.
  std::string Seal(const v1::FrameHeader& header, const v1::FrameBody& body,
                   const RoomRules& rules, const std::string& room_key,
                   const common::Identity* signer) const {
    absl::StatusOr<v1::Frame> frame = SealFrame(header, body, rules, room_key, signer);
    EXPECT_TRUE(frame.ok()) << frame.status();
    return frame.ok() ? frame->SerializeAsString() : "";
  }

  // Seals without the codec's checks, straight from the spec (docs/frames.md §5), so tests can
  // build frames that break the rules but are otherwise cryptographically valid. `header` must
  // carry its nonce; an empty `room_key` means cleartext; a null `signer` means unsigned.
  static std::string RawSeal(const v1::FrameHeader& header, const v1::FrameBody& body,
                             const std::string& room_key, const common::Identity* signer) {
    return RawSeal(header, body.SerializeAsString(), room_key, signer);
  }
  static std::string RawSeal(const v1::FrameHeader& header, const std::string& plain,
                             const std::string& room_key, const common::Identity* signer) {
    v1::Frame frame;
    *frame.mutable_header() = header;
    std::string h = CanonicalHeader(header);
    if (room_key.empty()) {
      frame.set_ciphertext(plain);
    } else {
      std::string cipher(plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
      common::SecretBytes key = FrameKey(room_key);
      crypto_aead_xchacha20poly1305_ietf_encrypt(
          reinterpret_cast<unsigned char*>(cipher.data()), nullptr,
          reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
          reinterpret_cast<const unsigned char*>(h.data()), h.size(), nullptr,
          reinterpret_cast<const unsigned char*>(header.nonce().data()), key.data());
      frame.set_ciphertext(cipher);
    }
    if (signer != nullptr) frame.set_signature(signer->Sign(h + frame.ciphertext()));
    return frame.SerializeAsString();
  }

  // Parses, edits and re-serializes a frame (signature and ciphertext kept as they are).
  template <typename Edit>
  static std::string Rewrite(const std::string& bytes, Edit edit) {
    v1::Frame frame;
    EXPECT_TRUE(frame.ParseFromString(bytes));
    edit(&frame);
    return frame.SerializeAsString();
  }

  // Keys of epochs 3 and 4.
  KeyLookup Keys() const {
    return [this](uint64_t epoch) -> std::optional<std::string> {
      if (epoch == kEpoch) return key3_;
      if (epoch == kEpoch + 1) return key4_;
      return std::nullopt;
    };
  }
  // The worst case for the receiver: it returns the epoch-3 key whatever epoch is asked for,
  // so only H (the associated data) can tell epochs apart.
  KeyLookup AnyEpochKeys() const {
    return [this](uint64_t) -> std::optional<std::string> { return key3_; };
  }

  absl::StatusCode OpenCode(const std::string& bytes, const RoomRules& rules) const {
    return OpenFrame(bytes, rules, Keys()).status().code();
  }

  // Flips every bit of `bytes` in turn; each result must be refused.
  void ExpectEveryBitFlipRejected(const std::string& bytes, const RoomRules& rules) const {
    ASSERT_TRUE(OpenFrame(bytes, rules, AnyEpochKeys()).ok());
    // Flips inside room_id make protobuf log "invalid UTF-8" for every such frame.
    google::protobuf::LogSilencer quiet;
    for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
      std::string flipped = bytes;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      absl::StatusOr<OpenedFrame> opened = OpenFrame(flipped, rules, AnyEpochKeys());
      EXPECT_FALSE(opened.ok()) << "flipping bit " << bit % 8 << " of byte " << bit / 8 << " of "
                                << bytes.size() << " was accepted";
    }
  }

  common::Identity alice_ = FromSeed('\x01');
  common::Identity bob_ = FromSeed('\x02');
  common::Identity mallory_ = FromSeed('\x03');  // not a member: has no room key
  std::string key3_ = std::string(32, '\x42');
  std::string key4_ = std::string(32, '\x43');
};

TEST_F(FrameCodecTest, EncryptedSignedFrameRoundTrips) {
  std::string bytes = Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_);
  absl::StatusOr<OpenedFrame> opened = OpenFrame(bytes, Rules(), Keys());
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->body.SerializeAsString(), FullBody().SerializeAsString());
  EXPECT_TRUE(opened->signature_verified);
  EXPECT_EQ(opened->header.counter(), kCounter);
  EXPECT_EQ(opened->header.reply_to().sender(), bob_.sign_pub());
  EXPECT_EQ(opened->header.nonce().size(), kFrameNonceSize);
  // The body is not in the clear on the wire.
  EXPECT_EQ(bytes.find("a reply with every field"), std::string::npos);
}

TEST_F(FrameCodecTest, NoncesAreFreshPerFrame) {
  std::string a = Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_);
  std::string b = Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_);
  v1::Frame fa, fb;
  ASSERT_TRUE(fa.ParseFromString(a) && fb.ParseFromString(b));
  EXPECT_NE(fa.header().nonce(), fb.header().nonce());
  EXPECT_NE(fa.ciphertext(), fb.ciphertext());
}

TEST_F(FrameCodecTest, CleartextUnsignedFrameRoundTrips) {
  RoomRules rules = Rules(/*encrypted=*/false, /*signed_frames=*/false);
  std::string bytes = Seal(Header(v1::FRAME_TYPE_MESSAGE, alice_, 0), Body("plain"), rules, "",
                           nullptr);
  absl::StatusOr<OpenedFrame> opened =
      OpenFrame(bytes, rules, [](uint64_t) -> std::optional<std::string> { return std::nullopt; });
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->body.text(), "plain");
  EXPECT_FALSE(opened->signature_verified);
  EXPECT_TRUE(opened->header.nonce().empty());
}

TEST_F(FrameCodecTest, CleartextSignedFrameRoundTrips) {
  RoomRules rules = Rules(/*encrypted=*/false, /*signed_frames=*/true);
  std::string bytes =
      Seal(Header(v1::FRAME_TYPE_MESSAGE, alice_, 0), Body("plain"), rules, "", &alice_);
  absl::StatusOr<OpenedFrame> opened = OpenFrame(bytes, rules, Keys());
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_TRUE(opened->signature_verified);
  EXPECT_EQ(opened->body.text(), "plain");
}

TEST_F(FrameCodecTest, EveryBitFlipOfEncryptedSignedFrameIsRejected) {
  ExpectEveryBitFlipRejected(Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_), Rules());
}

// AEAD alone (no signature) must still cover every header field and the body.
TEST_F(FrameCodecTest, EveryBitFlipOfEncryptedUnsignedFrameIsRejected) {
  RoomRules rules = Rules(/*encrypted=*/true, /*signed_frames=*/false);
  ExpectEveryBitFlipRejected(Seal(FullHeader(), FullBody(), rules, key3_, nullptr), rules);
}

TEST_F(FrameCodecTest, FrameForAnotherRoomIsRejected) {
  std::string bytes = Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_);
  RoomRules other{kOtherRoom, true, true};
  EXPECT_EQ(OpenCode(bytes, other), absl::StatusCode::kFailedPrecondition);
}

// Rewriting room_id to the receiving room breaks H: the signature, and without signatures the
// AEAD, must fail.
TEST_F(FrameCodecTest, FrameMovedToAnotherRoomIsRejected) {
  RoomRules other{kOtherRoom, true, true};
  RoomRules other_unsigned{kOtherRoom, true, false};
  auto move = [](v1::Frame* f) { f->mutable_header()->set_room_id(kOtherRoom); };
  std::string signed_frame = Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_);
  EXPECT_EQ(OpenFrame(Rewrite(signed_frame, move), other, AnyEpochKeys()).status().code(),
            absl::StatusCode::kPermissionDenied);
  std::string unsigned_frame =
      Seal(FullHeader(), FullBody(), Rules(true, false), key3_, nullptr);
  EXPECT_EQ(OpenFrame(Rewrite(unsigned_frame, move), other_unsigned, AnyEpochKeys())
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(FrameCodecTest, ChangedEpochIsRejectedEvenWithTheRightKeyForIt) {
  auto bump = [](v1::Frame* f) { f->mutable_header()->set_epoch(kEpoch + 1); };
  for (bool signed_frames : {true, false}) {
    SCOPED_TRACE(signed_frames);
    RoomRules rules = Rules(true, signed_frames);
    std::string bytes = Rewrite(
        Seal(FullHeader(), FullBody(), rules, key3_, signed_frames ? &alice_ : nullptr), bump);
    // The lookup hands out epoch 4's own key ...
    EXPECT_EQ(OpenFrame(bytes, rules, Keys()).status().code(),
              absl::StatusCode::kPermissionDenied);
    // ... or the epoch-3 key the frame was really sealed with: H still differs.
    EXPECT_EQ(OpenFrame(bytes, rules, AnyEpochKeys()).status().code(),
              absl::StatusCode::kPermissionDenied);
  }
}

TEST_F(FrameCodecTest, SenderRewrittenToAnotherIdentityIsRejected) {
  auto to_bob = [this](v1::Frame* f) { f->mutable_header()->set_sender(bob_.sign_pub()); };
  std::string bytes = Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_);
  EXPECT_EQ(OpenCode(Rewrite(bytes, to_bob), Rules()), absl::StatusCode::kPermissionDenied);
  RoomRules aead_only = Rules(true, false);
  std::string unsigned_bytes = Seal(FullHeader(), FullBody(), aead_only, key3_, nullptr);
  EXPECT_EQ(OpenCode(Rewrite(unsigned_bytes, to_bob), aead_only),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(FrameCodecTest, UnsignedFrameInSigningRoomIsRejected) {
  std::string unsigned_bytes = Seal(FullHeader(), FullBody(), Rules(true, false), key3_, nullptr);
  EXPECT_EQ(OpenCode(unsigned_bytes, Rules()), absl::StatusCode::kFailedPrecondition);
  // Stripping the signature off a signed frame is the same thing.
  std::string stripped = Rewrite(Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_),
                                 [](v1::Frame* f) { f->clear_signature(); });
  EXPECT_EQ(OpenCode(stripped, Rules()), absl::StatusCode::kFailedPrecondition);
  // And in a cleartext signing room.
  RoomRules clear_signed = Rules(false, true);
  std::string clear = Seal(Header(v1::FRAME_TYPE_MESSAGE, alice_, 0), Body("x"),
                           Rules(false, false), "", nullptr);
  EXPECT_EQ(OpenCode(clear, clear_signed), absl::StatusCode::kFailedPrecondition);
}

// Bob holds the room key and a valid identity, but cannot speak as Alice.
TEST_F(FrameCodecTest, FrameSignedByAnotherMemberIsRejected) {
  std::string bytes = Rewrite(Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_),
                              [this](v1::Frame* f) {
                                f->set_signature(bob_.Sign(CanonicalHeader(f->header()) +
                                                           f->ciphertext()));
                              });
  EXPECT_EQ(OpenCode(bytes, Rules()), absl::StatusCode::kPermissionDenied);
  // Control: the same frame re-signed by Alice opens, so the rejection is about the signer.
  std::string by_alice =
      Rewrite(bytes, [this](v1::Frame* f) {
        f->set_signature(alice_.Sign(CanonicalHeader(f->header()) + f->ciphertext()));
      });
  EXPECT_TRUE(OpenFrame(by_alice, Rules(), Keys()).ok());
}

TEST_F(FrameCodecTest, UnknownFieldsAreRejected) {
  std::string bytes = Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_);
  // Field 15, varint 1, appended to the Frame.
  EXPECT_EQ(OpenCode(bytes + std::string("\x78\x01", 2), Rules()),
            absl::StatusCode::kInvalidArgument);
  std::string in_header = Rewrite(bytes, [](v1::Frame* f) {
    f->mutable_header()->GetReflection()->MutableUnknownFields(f->mutable_header())->AddVarint(
        100, 1);
  });
  EXPECT_EQ(OpenCode(in_header, Rules()), absl::StatusCode::kInvalidArgument);
  std::string in_ref = Rewrite(bytes, [](v1::Frame* f) {
    v1::FrameRef* ref = f->mutable_header()->mutable_reply_to();
    ref->GetReflection()->MutableUnknownFields(ref)->AddVarint(100, 1);
  });
  EXPECT_EQ(OpenCode(in_ref, Rules()), absl::StatusCode::kInvalidArgument);
  // Control: the frame itself opens.
  EXPECT_TRUE(OpenFrame(bytes, Rules(), Keys()).ok());
}

TEST_F(FrameCodecTest, MalformedFramesAreInvalidArgument) {
  EXPECT_EQ(OpenCode("", Rules()), absl::StatusCode::kInvalidArgument);  // no header
  EXPECT_EQ(OpenCode("not a frame", Rules()), absl::StatusCode::kInvalidArgument);
  std::string bytes = Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_);
  EXPECT_EQ(OpenCode(bytes.substr(0, bytes.size() - 1), Rules()),
            absl::StatusCode::kInvalidArgument);
  v1::FrameHeader v2 = FullHeader();
  v2.set_version(2);
  v2.set_nonce(std::string(kFrameNonceSize, '\x24'));
  EXPECT_EQ(OpenCode(RawSeal(v2, FullBody(), key3_, &alice_), Rules()),
            absl::StatusCode::kInvalidArgument);
  v1::FrameHeader short_sender = FullHeader();
  short_sender.set_sender(alice_.sign_pub().substr(1));
  short_sender.set_nonce(std::string(kFrameNonceSize, '\x24'));
  EXPECT_EQ(OpenCode(RawSeal(short_sender, FullBody(), key3_, nullptr), Rules(true, false)),
            absl::StatusCode::kInvalidArgument);
  v1::FrameHeader no_type = Header(v1::FRAME_TYPE_UNSPECIFIED, alice_);
  no_type.set_nonce(std::string(kFrameNonceSize, '\x24'));
  EXPECT_EQ(OpenCode(RawSeal(no_type, FullBody(), key3_, &alice_), Rules()),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FrameCodecTest, NoKeyForEpochIsNotFound) {
  v1::FrameHeader h = FullHeader();
  h.set_epoch(9);
  std::string bytes = Seal(h, FullBody(), Rules(), key3_, &alice_);
  EXPECT_EQ(OpenCode(bytes, Rules()), absl::StatusCode::kNotFound);
  EXPECT_TRUE(OpenFrame(bytes, Rules(), AnyEpochKeys()).ok());
}

// Regression test: OpenFrame used to derive the frame key from whatever the lookup returned,
// reading 32 bytes past a shorter key; it fails (or trips sanitizers) if that is reverted.
TEST_F(FrameCodecTest, KeyOfWrongSizeIsNotFound) {
  std::string bytes = Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_);
  for (size_t size : {0, 5, 31, 33}) {
    KeyLookup bad = [size](uint64_t) -> std::optional<std::string> {
      return std::string(size, '\x42');
    };
    EXPECT_EQ(OpenFrame(bytes, Rules(), bad).status().code(), absl::StatusCode::kNotFound)
        << size;
  }
}

TEST_F(FrameCodecTest, UndecodableBodyIsInvalidArgument) {
  v1::FrameHeader h = FullHeader();
  h.set_nonce(std::string(kFrameNonceSize, '\x24'));
  const std::string garbage("\x0a\xff", 2);  // field 1 with a length past the end
  EXPECT_EQ(OpenCode(RawSeal(h, garbage, key3_, &alice_), Rules()),
            absl::StatusCode::kInvalidArgument);
  v1::FrameHeader clear = Header(v1::FRAME_TYPE_MESSAGE, alice_, 0);
  EXPECT_EQ(OpenCode(RawSeal(clear, garbage, "", nullptr), Rules(false, false)),
            absl::StatusCode::kInvalidArgument);
}

// A non-member signs correctly with its own identity but does not have the room key.
TEST_F(FrameCodecTest, FrameForgedWithoutTheRoomKeyIsRejected) {
  v1::FrameHeader h = Header(v1::FRAME_TYPE_MESSAGE, mallory_);
  std::string bytes = Seal(h, Body("let me in"), Rules(), RandomKey(), &mallory_);
  EXPECT_EQ(OpenCode(bytes, Rules()), absl::StatusCode::kPermissionDenied);
  std::string unsigned_bytes = Seal(h, Body("let me in"), Rules(true, false), RandomKey(), nullptr);
  EXPECT_EQ(OpenCode(unsigned_bytes, Rules(true, false)), absl::StatusCode::kPermissionDenied);
}

TEST_F(FrameCodecTest, CiphertextShorterThanTagIsRejected) {
  std::string bytes = Rewrite(Seal(FullHeader(), FullBody(), Rules(true, false), key3_, nullptr),
                              [](v1::Frame* f) { f->set_ciphertext("short"); });
  EXPECT_EQ(OpenCode(bytes, Rules(true, false)), absl::StatusCode::kPermissionDenied);
}

TEST_F(FrameCodecTest, SealRequiresReplyToExactlyForRepliesReactionsAndEdits) {
  for (v1::FrameType type :
       {v1::FRAME_TYPE_REPLY, v1::FRAME_TYPE_REACTION, v1::FRAME_TYPE_EDIT}) {
    SCOPED_TRACE(v1::FrameType_Name(type));
    EXPECT_EQ(SealFrame(Header(type, alice_), Body("x"), Rules(), key3_, &alice_).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  for (v1::FrameType type : {v1::FRAME_TYPE_MESSAGE, v1::FRAME_TYPE_SYSTEM}) {
    SCOPED_TRACE(v1::FrameType_Name(type));
    v1::FrameHeader h = Header(type, alice_);
    h.mutable_reply_to()->set_sender(alice_.sign_pub());
    h.mutable_reply_to()->set_counter(1);
    EXPECT_EQ(SealFrame(h, Body("x"), Rules(), key3_, &alice_).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  // Control: a reaction with reply_to and a message in a thread are fine.
  v1::FrameHeader reaction = Header(v1::FRAME_TYPE_REACTION, alice_);
  reaction.mutable_reply_to()->set_sender(bob_.sign_pub());
  EXPECT_TRUE(SealFrame(reaction, Body("x"), Rules(), key3_, &alice_).ok());
  v1::FrameHeader threaded = Header(v1::FRAME_TYPE_MESSAGE, alice_);
  threaded.mutable_thread()->set_sender(bob_.sign_pub());
  EXPECT_TRUE(SealFrame(threaded, Body("x"), Rules(), key3_, &alice_).ok());
}

TEST_F(FrameCodecTest, EditMustReferToTheSendersOwnFrame) {
  v1::FrameHeader edit = Header(v1::FRAME_TYPE_EDIT, alice_);
  edit.mutable_reply_to()->set_sender(bob_.sign_pub());
  edit.mutable_reply_to()->set_counter(kCounter - 1);
  EXPECT_EQ(SealFrame(edit, Body("x"), Rules(), key3_, &alice_).status().code(),
            absl::StatusCode::kInvalidArgument);
  edit.set_nonce(std::string(kFrameNonceSize, '\x24'));
  EXPECT_EQ(OpenCode(RawSeal(edit, Body("x"), key3_, &alice_), Rules()),
            absl::StatusCode::kInvalidArgument);
  // Control: editing one's own frame is fine both ways.
  edit.mutable_reply_to()->set_sender(alice_.sign_pub());
  EXPECT_TRUE(OpenFrame(RawSeal(edit, Body("x"), key3_, &alice_), Rules(), Keys()).ok());
  edit.clear_nonce();
  EXPECT_TRUE(SealFrame(edit, Body("x"), Rules(), key3_, &alice_).ok());
}

// Frames that satisfy the crypto but break the reference rules are refused on receipt too.
TEST_F(FrameCodecTest, OpenRejectsFramesBreakingReferenceRules) {
  const std::string nonce(kFrameNonceSize, '\x24');
  v1::FrameHeader reply_without_ref = Header(v1::FRAME_TYPE_REPLY, alice_);
  reply_without_ref.set_nonce(nonce);
  v1::FrameHeader reaction_without_ref = Header(v1::FRAME_TYPE_REACTION, alice_);
  reaction_without_ref.set_nonce(nonce);
  v1::FrameHeader message_with_ref = Header(v1::FRAME_TYPE_MESSAGE, alice_);
  message_with_ref.set_nonce(nonce);
  message_with_ref.mutable_reply_to()->set_sender(bob_.sign_pub());
  v1::FrameHeader short_ref_sender = FullHeader();
  short_ref_sender.set_nonce(nonce);
  short_ref_sender.mutable_reply_to()->set_sender(std::string(31, 'x'));
  v1::FrameHeader short_thread_sender = FullHeader();
  short_thread_sender.set_nonce(nonce);
  short_thread_sender.mutable_thread()->set_sender("");
  for (const v1::FrameHeader* h : {&reply_without_ref, &reaction_without_ref, &message_with_ref,
                                   &short_ref_sender, &short_thread_sender}) {
    SCOPED_TRACE(h->ShortDebugString());
    EXPECT_EQ(OpenCode(RawSeal(*h, Body("x"), key3_, &alice_), Rules()),
              absl::StatusCode::kInvalidArgument);
  }
  // Control: the raw sealer makes frames the codec accepts.
  v1::FrameHeader ok = FullHeader();
  ok.set_nonce(nonce);
  EXPECT_TRUE(OpenFrame(RawSeal(ok, Body("x"), key3_, &alice_), Rules(), Keys()).ok());
}

TEST_F(FrameCodecTest, CleartextRoomRejectsFramesWithEpochOrNonce) {
  RoomRules clear = Rules(false, false);
  v1::FrameHeader with_epoch = Header(v1::FRAME_TYPE_MESSAGE, alice_, 1);
  EXPECT_EQ(OpenCode(RawSeal(with_epoch, Body("x"), "", nullptr), clear),
            absl::StatusCode::kFailedPrecondition);
  v1::FrameHeader with_nonce = Header(v1::FRAME_TYPE_MESSAGE, alice_, 0);
  with_nonce.set_nonce(std::string(kFrameNonceSize, '\x24'));
  EXPECT_EQ(OpenCode(RawSeal(with_nonce, Body("x"), "", nullptr), clear),
            absl::StatusCode::kFailedPrecondition);
  // An encrypted frame delivered to a cleartext room carries both.
  EXPECT_EQ(OpenCode(Seal(FullHeader(), FullBody(), Rules(), key3_, &alice_), clear),
            absl::StatusCode::kFailedPrecondition);
  // Control: without them the frame opens.
  v1::FrameHeader plain = Header(v1::FRAME_TYPE_MESSAGE, alice_, 0);
  EXPECT_TRUE(OpenFrame(RawSeal(plain, Body("x"), "", nullptr), clear, Keys()).ok());
}

TEST_F(FrameCodecTest, EncryptedRoomRejectsFramesWithoutEpochOrNonce) {
  v1::FrameHeader no_epoch = FullHeader();
  no_epoch.set_epoch(0);
  no_epoch.set_nonce(std::string(kFrameNonceSize, '\x24'));
  EXPECT_EQ(OpenCode(RawSeal(no_epoch, FullBody(), key3_, &alice_), Rules()),
            absl::StatusCode::kFailedPrecondition);
  v1::FrameHeader short_nonce = FullHeader();
  short_nonce.set_nonce(std::string(12, '\x24'));
  EXPECT_EQ(OpenCode(RawSeal(short_nonce, FullBody(), "", &alice_), Rules()),
            absl::StatusCode::kFailedPrecondition);
  // A cleartext frame in an encrypted room.
  std::string clear = Seal(Header(v1::FRAME_TYPE_MESSAGE, alice_, 0), Body("x"),
                           Rules(false, true), "", &alice_);
  EXPECT_EQ(OpenCode(clear, Rules()), absl::StatusCode::kFailedPrecondition);
}

TEST_F(FrameCodecTest, SealRefusesToSignForSomeoneElse) {
  EXPECT_EQ(SealFrame(FullHeader(), FullBody(), Rules(), key3_, &bob_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SealFrame(FullHeader(), FullBody(), Rules(), key3_, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SealFrame(FullHeader(), FullBody(), Rules(), "short", &alice_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace unibus::client::internal
