// Checks the frame codec against the cross-language vectors in testdata/frames_v1.json
// (docs/frames.md §11): the inputs are rebuilt from the JSON, never from the frame bytes.
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "client/internal/frame_codec.h"
#include "common/crypto/hex.h"
#include "common/crypto/identity.h"
#include "gtest/gtest.h"

namespace unibus::client::internal {
namespace {

using nlohmann::json;

// The parsed file, or a discarded value when it is missing or not JSON.
json ReadVectors() {
  std::ifstream in(std::string(std::getenv("TEST_SRCDIR")) + "/unibus/testdata/frames_v1.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

std::string Unhex(const json& hex) {
  std::optional<std::string> bytes = common::HexDecode(hex.get<std::string>());
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or("");
}

void SetRef(const json& j, v1::FrameRef* ref) {
  ref->set_sender(Unhex(j["sender_hex"]));
  ref->set_counter(j["counter"].get<uint64_t>());
}

// The header as the sender fills it in, nonce included.
v1::FrameHeader HeaderFrom(const json& j) {
  v1::FrameHeader h;
  h.set_version(j["version"].get<uint32_t>());
  v1::FrameType type = v1::FRAME_TYPE_UNSPECIFIED;
  EXPECT_TRUE(v1::FrameType_Parse(j["type"].get<std::string>(), &type));
  EXPECT_EQ(static_cast<int>(type), j["type_value"].get<int>());
  h.set_type(type);
  h.set_room_id(j["room_id"].get<std::string>());
  h.set_epoch(j["epoch"].get<uint64_t>());
  h.set_sender(Unhex(j["sender_hex"]));
  h.set_counter(j["counter"].get<uint64_t>());
  h.set_timestamp_ms(j["timestamp_ms"].get<int64_t>());
  if (!j["thread"].is_null()) SetRef(j["thread"], h.mutable_thread());
  if (!j["reply_to"].is_null()) SetRef(j["reply_to"], h.mutable_reply_to());
  h.set_nonce(Unhex(j["nonce_hex"]));
  return h;
}

v1::FrameBody BodyFrom(const json& j) {
  v1::FrameBody b;
  b.set_text(j["text"].get<std::string>());
  b.set_reaction(j["reaction"].get<std::string>());
  b.set_data(Unhex(j["data_hex"]));
  b.set_content_type(j["content_type"].get<std::string>());
  if (!j["blob"].is_null()) {
    const json& blob = j["blob"];
    b.mutable_blob()->set_address(blob["address"].get<std::string>());
    b.mutable_blob()->set_key(Unhex(blob["key_hex"]));
    b.mutable_blob()->set_size(blob["size"].get<uint64_t>());
    b.mutable_blob()->set_name(blob["name"].get<std::string>());
    b.mutable_blob()->set_content_type(blob["content_type"].get<std::string>());
  }
  return b;
}

RoomRules RulesFrom(const json& j) {
  return RoomRules{j["room_id"].get<std::string>(), j["encrypted"].get<bool>(),
                   j["signed_frames"].get<bool>()};
}

class FrameVectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    common::InitSodium();
    vectors_ = ReadVectors();
    ASSERT_FALSE(vectors_.is_discarded()) << "testdata/frames_v1.json is missing or not JSON";
  }
  json vectors_;
};

TEST_F(FrameVectorsTest, FileCoversEveryKindOfFrame) {
  ASSERT_EQ(vectors_["version"], 1);
  ASSERT_EQ(vectors_["cases"].size(), 7u);
  for (const json& c : vectors_["cases"]) {
    EXPECT_FALSE(c["outputs"]["frame_hex"].get<std::string>().empty()) << c["name"];
  }
}

TEST_F(FrameVectorsTest, IdentitiesDeriveFromSeeds) {
  for (const json& id : vectors_["identities"]) {
    common::Identity identity = std::move(common::Identity::FromSeed(Unhex(id["seed_hex"]))).value();
    EXPECT_EQ(identity.sign_pub_hex(), id["sign_pub_hex"].get<std::string>());
  }
}

TEST_F(FrameVectorsTest, SealReproducesEveryOutputByte) {
  for (const json& c : vectors_["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const json& in = c["inputs"];
    const json& out = c["outputs"];
    common::Identity sender =
        std::move(common::Identity::FromSeed(Unhex(in["sender_seed_hex"]))).value();
    RoomRules rules = RulesFrom(in["rules"]);
    v1::FrameHeader header = HeaderFrom(in["header"]);
    v1::FrameBody body = BodyFrom(in["body"]);
    std::string room_key = Unhex(in["room_key_hex"]);
    ASSERT_EQ(header.sender(), sender.sign_pub());

    EXPECT_EQ(common::HexEncode(CanonicalHeader(header)), out["canonical_header_hex"]);
    EXPECT_EQ(rules.encrypted ? common::HexEncode(FrameKey(room_key).view()) : "",
              out["frame_key_hex"]);
    EXPECT_EQ(common::HexEncode(body.SerializeAsString()), out["body_hex"]);

    v1::FrameHeader unsealed = header;
    unsealed.clear_nonce();  // SealFrame sets it
    absl::StatusOr<v1::Frame> frame =
        SealFrame(unsealed, body, rules, room_key, &sender, Unhex(in["nonce_hex"]));
    ASSERT_TRUE(frame.ok()) << frame.status();
    EXPECT_EQ(common::HexEncode(frame->ciphertext()), out["ciphertext_hex"]);
    EXPECT_EQ(common::HexEncode(frame->signature()), out["signature_hex"]);
    EXPECT_EQ(common::HexEncode(frame->SerializeAsString()), out["frame_hex"]);
  }
}

TEST_F(FrameVectorsTest, OpenReturnsTheBodyOfEveryFrame) {
  for (const json& c : vectors_["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const json& in = c["inputs"];
    RoomRules rules = RulesFrom(in["rules"]);
    v1::FrameHeader header = HeaderFrom(in["header"]);
    std::string room_key = Unhex(in["room_key_hex"]);
    KeyLookup keys = [&](uint64_t epoch) -> std::optional<std::string> {
      if (epoch != header.epoch()) return std::nullopt;
      return room_key;
    };
    absl::StatusOr<OpenedFrame> opened = OpenFrame(Unhex(c["outputs"]["frame_hex"]), rules, keys);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->body.SerializeAsString(), BodyFrom(in["body"]).SerializeAsString());
    EXPECT_EQ(opened->header.SerializeAsString(), header.SerializeAsString());
    EXPECT_EQ(opened->signature_verified, rules.signed_frames);
  }
}

}  // namespace
}  // namespace unibus::client::internal
