#include "client/cli/transcript.h"

#include "client/cli/blob_token.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace unibus::client::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kAlice(64, 'a');
const std::string kBob(64, 'b');
const std::string kStranger = "0123456789" + std::string(54, 'c');

Transcript::HandleLookup Handles() {
  return [](const std::string& key) -> std::string {
    if (key == kAlice) return "alice";
    if (key == kBob) return "bob";
    return "";
  };
}

Message Make(const std::string& sender, uint64_t counter, const std::string& text,
             v1::FrameType type = v1::FRAME_TYPE_MESSAGE) {
  Message m;
  m.room_id = std::string(32, 'f');
  m.id = FrameId{sender, counter};
  m.type = type;
  m.sent_at = absl::FromCivil(absl::CivilSecond(2024, 5, 6, 14, 3, 12), absl::UTCTimeZone());
  m.body.set_text(text);
  m.epoch = 1;
  m.stream_seq = counter;
  m.signed_frame = true;
  return m;
}

absl::Time SameDay() {
  return absl::FromCivil(absl::CivilSecond(2024, 5, 6, 20, 0, 0), absl::UTCTimeZone());
}

TEST(FrameIdTest, RoundTripAndErrors) {
  FrameId id{kAlice, 1714999999000001};
  EXPECT_EQ(FormatFrameId(id), kAlice + ":1714999999000001");
  absl::StatusOr<FrameId> parsed = ParseFrameId(FormatFrameId(id));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, id);
  EXPECT_EQ(ParseFrameId(std::string(64, 'A') + ":7")->sender, kAlice);  // normalised
  for (const char* bad : {"", "abc:1", ":1", "nothex", "aaaa"}) {
    EXPECT_EQ(ParseFrameId(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ParseFrameId(kAlice + ":").ok());
  EXPECT_FALSE(ParseFrameId(kAlice + ":-1").ok());
  EXPECT_FALSE(ParseFrameId(kAlice + ":12x").ok());
}

TEST(TranscriptTest, TextLinesShowHandlesRepliesAndReactions) {
  Transcript t(Handles(), {false, absl::UTCTimeZone()});
  EXPECT_EQ(t.Add(Make(kAlice, 1, "hello bob"), SameDay()).text, "[14:03:12] alice: hello bob");
  Message reply = Make(kBob, 2, "hi alice", v1::FRAME_TYPE_REPLY);
  reply.reply_to = FrameId{kAlice, 1};
  EXPECT_EQ(t.Add(reply, SameDay()).text,
            "[14:03:12] bob (reply to alice \"hello bob\"): hi alice");
  Message reaction = Make(kBob, 3, "", v1::FRAME_TYPE_REACTION);
  reaction.body.set_reaction("+1");
  reaction.reply_to = FrameId{kAlice, 1};
  EXPECT_EQ(t.Add(reaction, SameDay()).text, "[14:03:12] bob reacted +1 to alice \"hello bob\"");
  Message orphan = Make(kStranger, 4, "who?", v1::FRAME_TYPE_REPLY);
  orphan.reply_to = FrameId{kAlice, 999};
  EXPECT_EQ(t.Add(orphan, SameDay()).text,
            "[14:03:12] 01234567 (reply to an earlier message by alice): who?");
}

TEST(TranscriptTest, NumberedForChat) {
  Transcript t(Handles(), {true, absl::UTCTimeZone()});
  EXPECT_EQ(t.Add(Make(kAlice, 1, "hello"), SameDay()).text, "#1 [14:03:12] alice: hello");
  Message reply = Make(kBob, 2, "hi", v1::FRAME_TYPE_REPLY);
  reply.reply_to = FrameId{kAlice, 1};
  Transcript::Shown shown = t.Add(reply, SameDay());
  EXPECT_EQ(shown.n, 2);
  EXPECT_EQ(shown.text, "#2 [14:03:12] bob (reply to #1): hi");
  EXPECT_EQ(t.Find(1)->counter, 1u);
  EXPECT_EQ(t.Find(2)->sender, kBob);
  EXPECT_FALSE(t.Find(0).has_value());
  EXPECT_FALSE(t.Find(3).has_value());
}

TEST(TranscriptTest, OtherDaysShowTheDate) {
  Transcript t(Handles(), {false, absl::UTCTimeZone()});
  absl::Time later = SameDay() + absl::Hours(48);
  EXPECT_EQ(t.Add(Make(kAlice, 1, "old"), later).text, "[2024-05-06 14:03:12] alice: old");
}

TEST(TranscriptTest, ControlCharactersAreReplacedAndLinesIndented) {
  Transcript t(Handles(), {false, absl::UTCTimeZone()});
  std::string text = t.Add(Make(kAlice, 1, "red \x1b[31mtext\x07\nsecond \xc2\x9b line"),
                           SameDay()).text;
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
  EXPECT_THAT(text, Not(HasSubstr("\x07")));
  EXPECT_THAT(text, Not(HasSubstr("\xc2\x9b")));
  EXPECT_THAT(text, HasSubstr("\xEF\xBF\xBD[31mtext"));
  EXPECT_THAT(text, HasSubstr("\n    second "));
}

TEST(TranscriptTest, JsonHasEveryField) {
  Transcript t(Handles(), {false, absl::UTCTimeZone()});
  t.Add(Make(kAlice, 1, "hello"), SameDay());
  Message reaction = Make(kStranger, 5, "", v1::FRAME_TYPE_REACTION);
  reaction.body.set_reaction("\xF0\x9F\x91\x8D");
  reaction.reply_to = FrameId{kAlice, 1};
  nlohmann::json j = t.Add(reaction, SameDay()).json;
  EXPECT_EQ(j["n"], 2);
  EXPECT_EQ(j["id"], kStranger + ":5");
  EXPECT_EQ(j["sender"], kStranger);
  EXPECT_TRUE(j["handle"].is_null());
  EXPECT_EQ(j["counter"], 5);
  EXPECT_EQ(j["type"], "reaction");
  EXPECT_EQ(j["reaction"], "\xF0\x9F\x91\x8D");
  EXPECT_EQ(j["reply_to"], kAlice + ":1");
  EXPECT_EQ(j["sent_at"], "2024-05-06T14:03:12+00:00");
  EXPECT_EQ(j["epoch"], 1);
  EXPECT_EQ(j["seq"], 5);
  EXPECT_EQ(j["signed"], true);
  EXPECT_FALSE(j.contains("thread"));
}

TEST(TranscriptTest, FilesShowASafeNameAndSizeAndJsonATokenButNoKey) {
  Transcript t(Handles(), {false, absl::UTCTimeZone()});
  Message m = Make(kAlice, 1, "");
  v1::BlobRef* blob = m.body.mutable_blob();
  blob->set_address(std::string(64, 'd'));
  blob->set_key(std::string(32, 'k'));
  blob->set_size(1258291);
  blob->set_name("../\x1b[31mreport.pdf");
  Transcript::Shown shown = t.Add(m, SameDay());
  EXPECT_EQ(shown.text, "[14:03:12] alice: [file _[31mreport.pdf, 1.2 MiB]");
  EXPECT_EQ(shown.json["blob"]["name"], "../\x1b[31mreport.pdf");
  EXPECT_EQ(shown.json["blob"]["size"], 1258291);
  EXPECT_FALSE(shown.json["blob"].contains("key"));
  absl::StatusOr<v1::BlobLink> link =
      DecodeBlobToken(shown.json["blob_token"].get<std::string>());
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_EQ(link->room_id(), m.room_id);
  EXPECT_EQ(link->blob().key(), std::string(32, 'k'));

  Message with_text = Make(kAlice, 2, "the report");
  *with_text.body.mutable_blob() = *blob;
  EXPECT_THAT(t.Add(with_text, SameDay()).text, HasSubstr("alice: the report [file "));
}

}  // namespace
}  // namespace unibus::client::cli
