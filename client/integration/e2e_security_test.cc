// End-to-end security properties of libunibus on the real stack (nats-server, unibus-authd,
// unibusd): what a removed member, the disk, and a malicious member on the wire can and cannot do
// (DESIGN.md §4, §6). Each test says which broken property would make it fail.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker_auth/testing/stack.h"
#include "client/internal/client_impl.h"
#include "client/internal/frame_codec.h"
#include "client/testing/inbox.h"
#include "client/testing/peers.h"
#include "client/testing/raw_frames.h"
#include "common/crypto/hex.h"
#include "common/crypto/room_key_envelope.h"
#include "common/nats/subjects.h"
#include "common/testing/child_process.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"

namespace unibus::client {
namespace {

using broker_auth::testing::Stack;
using internal::KeyLookup;
using internal::OpenFrame;
using internal::RoomRules;
using testing::ConnectMember;
using testing::Inbox;
using testing::NewPeer;
using testing::Peer;
using testing::PublishStored;
using testing::RawCapture;
using testing::ReadRoomHistory;
using testing::Text;

internal::ClientImpl& Impl(Client& c) { return static_cast<internal::ClientImpl&>(c); }

KeyLookup KeysOf(std::map<uint64_t, std::string> keys) {
  return [keys = std::move(keys)](uint64_t epoch) -> std::optional<std::string> {
    auto it = keys.find(epoch);
    if (it == keys.end()) return std::nullopt;
    return it->second;
  };
}

// Offers `key` whatever epoch the frame claims.
KeyLookup AlwaysKey(std::string key) {
  return [key = std::move(key)](uint64_t) -> std::optional<std::string> { return key; };
}

uint64_t EpochOf(const std::string& bytes) {
  v1::Frame f;
  return f.ParseFromString(bytes) ? f.header().epoch() : 0;
}

// Up to 32 random bytes, hex.
std::string RandomHex(size_t bytes) {
  return common::HexEncode(common::NewRoomKey().substr(0, bytes));
}

// A header for a crafted frame (a fresh counter, so the replay guard is not what stops it).
v1::FrameHeader CraftedHeader(const std::string& room_id, uint64_t epoch,
                              const std::string& sender) {
  v1::FrameHeader h;
  h.set_version(internal::kFrameVersion);
  h.set_type(v1::FRAME_TYPE_MESSAGE);
  h.set_room_id(room_id);
  h.set_epoch(epoch);
  h.set_sender(sender);
  h.set_counter(static_cast<uint64_t>(absl::ToUnixMicros(absl::Now())));
  h.set_timestamp_ms(absl::ToUnixMillis(absl::Now()));
  return h;
}

v1::FrameBody Body(const std::string& text) {
  v1::FrameBody b;
  b.set_text(text);
  return b;
}

// ---------------------------------------------------------------------------------------------
// 1. A removed member who kept every byte and every key cannot read what is sent after removal.

// Fails if RemoveMember did not move the room to a fresh epoch key (frames after removal would
// open with a key bob held), if the new epoch were sealed to bob (a row in the store's key
// table), if the control plane handed a removed member the room or its keys, or if the broker
// kept serving him the room.
TEST(E2eSecurityTest, RemovedMemberHoldingEveryByteAndKeyCannotReadLaterFrames) {
  auto stack = Stack::Start(control::testing::NewTempDir("e2e-removed"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  absl::StatusOr<Peer> alice = NewPeer(**stack, "alice");
  absl::StatusOr<Peer> bob = NewPeer(**stack, "bob");
  absl::StatusOr<Peer> carol = NewPeer(**stack, "carol");
  ASSERT_TRUE(alice.ok() && bob.ok() && carol.ok());
  RoomSettings settings;
  settings.name = "board";
  absl::StatusOr<v1::Room> room = alice->client->CreateRoom(settings);
  ASSERT_TRUE(room.ok()) << room.status();
  const std::string room_id = room->room_id();
  const RoomRules rules = internal::RulesOf(*room);
  ASSERT_TRUE(alice->client->AddMember(room_id, "bob").ok());
  ASSERT_TRUE(alice->client->AddMember(room_id, "carol").ok());

  // While a member, bob records every frame byte: a raw connection on the room subject (live) and
  // a raw read of the whole history, besides his library subscription.
  Inbox bob_inbox;
  auto bob_sub = bob->client->Subscribe(room_id, bob_inbox.Options(StartAt::kAll));
  ASSERT_TRUE(bob_sub.ok()) << bob_sub.status();
  absl::StatusOr<common::nats::NatsConnectionPtr> bob_raw =
      ConnectMember(**stack, bob->identity, {room_id});
  ASSERT_TRUE(bob_raw.ok()) << bob_raw.status();
  auto bob_live = RawCapture::Start(bob_raw->get(), room->subject());
  ASSERT_TRUE(bob_live.ok()) << bob_live.status();

  ASSERT_TRUE(alice->client->Send(room_id, Text("epoch one")).ok());
  ASSERT_TRUE(alice->client->Rekey(room_id).ok());
  ASSERT_TRUE(alice->client->Send(room_id, Text("epoch two")).ok());
  ASSERT_TRUE(bob_inbox.WaitForText("epoch two")) << bob_inbox.FirstError();
  ASSERT_EQ((*bob_live)->Wait(2).size(), 2u) << "bob's raw subscription is not live";

  // Every key bob ever held (epochs 1 and 2), opened from his own sealed envelopes.
  std::map<uint64_t, std::string> held;
  for (uint64_t epoch : {1, 2}) {
    absl::StatusOr<std::string> key = Impl(*bob->client).rooms().Key(room_id, epoch);
    ASSERT_TRUE(key.ok()) << "epoch " << epoch << ": " << key.status();
    held[epoch] = *key;
  }
  absl::StatusOr<std::vector<std::string>> history =
      ReadRoomHistory(bob_raw->get(), bob->identity.sign_pub_hex(), room_id);
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 2u);
  // Control: bob's keys and bytes do open what was sent while he was a member.
  for (const std::string& bytes : *history) {
    absl::StatusOr<internal::OpenedFrame> opened = OpenFrame(bytes, rules, KeysOf(held));
    ASSERT_TRUE(opened.ok()) << opened.status();
  }

  ASSERT_TRUE(alice->client->RemoveMember(room_id, "bob").ok());
  absl::StatusOr<v1::Room> after_removal = alice->client->GetRoom(room_id);
  ASSERT_TRUE(after_removal.ok());
  ASSERT_EQ(after_removal->epoch(), 3u);
  const std::vector<std::string> secrets = {"after removal 1", "after removal 2",
                                            "after removal 3"};
  for (const std::string& s : secrets) ASSERT_TRUE(alice->client->Send(room_id, Text(s)).ok());

  // The post-removal frames exactly as JetStream stores them, read raw by alice.
  absl::StatusOr<common::nats::NatsConnectionPtr> alice_raw =
      ConnectMember(**stack, alice->identity, {room_id});
  ASSERT_TRUE(alice_raw.ok()) << alice_raw.status();
  absl::StatusOr<std::vector<std::string>> stored =
      ReadRoomHistory(alice_raw->get(), alice->identity.sign_pub_hex(), room_id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  std::vector<std::string> later;
  for (const std::string& bytes : *stored) {
    if (EpochOf(bytes) >= 3) later.push_back(bytes);
  }
  // Bob's live capture may have caught some before his kick landed: same bytes, same rule.
  for (const std::string& bytes : (*bob_live)->frames()) {
    if (EpochOf(bytes) >= 3) later.push_back(bytes);
  }
  ASSERT_GE(later.size(), secrets.size());
  absl::StatusOr<std::string> alice_key3 = Impl(*alice->client).rooms().Key(room_id, 3);
  ASSERT_TRUE(alice_key3.ok());
  for (const std::string& bytes : later) {
    // Control: the frame is genuine and readable by a current member.
    ASSERT_TRUE(OpenFrame(bytes, rules, KeysOf({{3, *alice_key3}})).ok());
    // Bob has no key for the new epoch...
    EXPECT_EQ(OpenFrame(bytes, rules, KeysOf(held)).status().code(),
              absl::StatusCode::kNotFound);
    // ...and none of his keys opens it, whatever epoch it is tried as.
    for (const auto& [epoch, key] : held) {
      EXPECT_EQ(OpenFrame(bytes, rules, AlwaysKey(key)).status().code(),
                absl::StatusCode::kPermissionDenied)
          << "bob's epoch-" << epoch << " key opened a post-removal frame";
    }
  }
  for (const Message& m : bob_inbox.messages()) {
    EXPECT_FALSE(absl::StartsWith(m.body.text(), "after removal")) << m.body.text();
  }

  // The control plane gives a removed member neither the room nor any key (a fresh client, so
  // nothing comes from bob's cache).
  absl::StatusOr<std::unique_ptr<Client>> fresh_bob =
      testing::ConnectWhenAllowed(**stack, bob->identity);
  ASSERT_TRUE(fresh_bob.ok()) << fresh_bob.status();
  for (uint64_t epoch : {1, 2, 3}) {
    EXPECT_EQ(Impl(**fresh_bob).rooms().Key(room_id, epoch).status().code(),
              absl::StatusCode::kNotFound)
        << "epoch " << epoch;
  }
  EXPECT_EQ((*fresh_bob)->GetRoom(room_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(bob->client->GetRoom(room_id).status().code(), absl::StatusCode::kNotFound);

  // Not even stored for him: the new epoch's key was sealed to the remaining members only.
  {
    SQLite::Database db((*stack)->control().db_path(), SQLite::OPEN_READONLY);
    db.exec("PRAGMA busy_timeout = 5000");
    auto sealed_for = [&](const common::Identity& who) {
      SQLite::Statement q(db,
                          "SELECT COUNT(*) FROM keys WHERE room_id = ?1 AND recipient = ?2 "
                          "AND epoch >= 3");
      q.bind(1, room_id);
      q.bind(2, who.sign_pub_hex());
      return q.executeStep() ? q.getColumn(0).getInt() : -1;
    };
    EXPECT_EQ(sealed_for(bob->identity), 0);
    EXPECT_EQ(sealed_for(carol->identity), 1);  // control: the query finds what is there
  }

  // The broker agrees: bob's connection was kicked, and a new one may not read the history.
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!natsConnection_IsClosed(bob_raw->get()) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(natsConnection_IsClosed(bob_raw->get())) << "removed member was not kicked";
  absl::StatusOr<common::nats::NatsConnectionPtr> bob_again = (*stack)->ConnectPeer(bob->identity);
  ASSERT_TRUE(bob_again.ok()) << bob_again.status();
  EXPECT_FALSE(ReadRoomHistory(bob_again->get(), bob->identity.sign_pub_hex(), room_id,
                               absl::Seconds(2))
                   .ok());
}

// ---------------------------------------------------------------------------------------------
// 2. Neither the control plane's database nor the broker's JetStream store holds plaintext or
//    room keys.

std::string ReadAll(const std::filesystem::path& path) {
  return common::testing::ReadFileOrEmpty(path.string());
}

struct FileHit {
  std::string path;
  std::string what;
};

// Every regular file under `dir` that contains one of `needles` (name → bytes).
std::vector<FileHit> FindInFiles(const std::string& dir,
                                 const std::map<std::string, std::string>& needles,
                                 std::vector<std::string>* scanned = nullptr) {
  std::vector<FileHit> hits;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec)) continue;
    std::string data = ReadAll(it->path());
    if (scanned != nullptr) scanned->push_back(it->path().string());
    for (const auto& [what, bytes] : needles) {
      if (data.find(bytes) != std::string::npos) hits.push_back({it->path().string(), what});
    }
  }
  return hits;
}

std::string Describe(const std::vector<FileHit>& hits) {
  std::string out;
  for (const FileHit& h : hits) absl::StrAppend(&out, h.what, " in ", h.path, "\n");
  return out;
}

// The forms a secret could be written in: raw, hex (both cases), base64 (both alphabets).
void AddForms(const std::string& name, const std::string& secret,
              std::map<std::string, std::string>* needles) {
  std::string hex = absl::BytesToHexString(secret);
  (*needles)[name] = secret;
  (*needles)[name + " (hex)"] = hex;
  (*needles)[name + " (HEX)"] = absl::AsciiStrToUpper(hex);
  // Base64 without its last characters, which depend on what follows in a longer encoding.
  const size_t stable = secret.size() * 4 / 3 - 1;
  (*needles)[name + " (base64)"] = absl::Base64Escape(secret).substr(0, stable);
  (*needles)[name + " (base64url)"] = absl::WebSafeBase64Escape(secret).substr(0, stable);
}

// Fails if frames were stored unencrypted (canary found in JetStream), if a room key (or its
// derived frame key) reached the control plane's SQLite database or its WAL, or the broker's
// store, in any common encoding. The cleartext room's canary and the encrypted frames' ciphertext
// must be found in the JetStream files: without them the search would prove nothing.
TEST(E2eSecurityTest, NoPlaintextOrRoomKeyAtRest) {
  auto stack = Stack::Start(control::testing::NewTempDir("e2e-rest"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  absl::StatusOr<Peer> alice = NewPeer(**stack, "alice");
  absl::StatusOr<Peer> bob = NewPeer(**stack, "bob");
  ASSERT_TRUE(alice.ok() && bob.ok());
  RoomSettings secret_settings;
  secret_settings.name = "vault";
  absl::StatusOr<v1::Room> vault = alice->client->CreateRoom(secret_settings);
  ASSERT_TRUE(vault.ok()) << vault.status();
  RoomSettings open_settings;
  open_settings.name = "lobby";
  open_settings.encrypted = false;
  absl::StatusOr<v1::Room> lobby = alice->client->CreateRoom(open_settings);
  ASSERT_TRUE(lobby.ok()) << lobby.status();
  // Keys sealed to a second member and a second epoch: more envelopes in the database.
  ASSERT_TRUE(alice->client->AddMember(vault->room_id(), "bob").ok());
  ASSERT_TRUE(alice->client->Rekey(vault->room_id()).ok());

  const std::string canary = "CANARY-" + RandomHex(16);
  const std::string clear_canary = "CLEARTEXT-CANARY-" + RandomHex(16);
  for (int i = 0; i < 5; ++i) {
    OutgoingMessage m = Text(absl::StrCat(canary, " message ", i));
    m.body.set_data(canary);
    ASSERT_TRUE(alice->client->Send(vault->room_id(), m).ok());
  }
  // Last, into the same stream: once it is on disk, the frames before it are too.
  ASSERT_TRUE(alice->client->Send(lobby->room_id(), Text(clear_canary)).ok());

  std::map<std::string, std::string> keys;
  for (uint64_t epoch : {1, 2}) {
    absl::StatusOr<std::string> key = Impl(*alice->client).rooms().Key(vault->room_id(), epoch);
    ASSERT_TRUE(key.ok()) << key.status();
    AddForms(absl::StrCat("room key ", epoch), *key, &keys);
    AddForms(absl::StrCat("frame key ", epoch), std::string(internal::FrameKey(*key).view()),
             &keys);
  }

  // Positive controls: the cleartext canary and the encrypted frames' ciphertexts are in the
  // JetStream files (the store flushes asynchronously, so wait for it).
  const std::string js_dir = (*stack)->dir() + "/js";
  absl::StatusOr<common::nats::NatsConnectionPtr> alice_raw =
      ConnectMember(**stack, alice->identity, {vault->room_id()});
  ASSERT_TRUE(alice_raw.ok()) << alice_raw.status();
  absl::StatusOr<std::vector<std::string>> frames =
      ReadRoomHistory(alice_raw->get(), alice->identity.sign_pub_hex(), vault->room_id());
  ASSERT_TRUE(frames.ok()) << frames.status();
  ASSERT_EQ(frames->size(), 5u);
  std::map<std::string, std::string> controls = {{"cleartext canary", clear_canary}};
  for (size_t i = 0; i < frames->size(); ++i) {
    v1::Frame f;
    ASSERT_TRUE(f.ParseFromString((*frames)[i]));
    controls[absl::StrCat("ciphertext ", i)] = f.ciphertext();
  }
  std::vector<FileHit> found;
  std::set<std::string> found_names;
  absl::Time deadline = absl::Now() + absl::Seconds(15);
  do {
    found = FindInFiles(js_dir, controls);
    found_names.clear();
    for (const FileHit& h : found) found_names.insert(h.what);
    if (found_names.size() == controls.size()) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  ASSERT_EQ(found_names.size(), controls.size())
      << "the JetStream files do not (yet) hold what was sent; found only:\n" << Describe(found);

  // The canary (in every form) and the keys are nowhere in the stack's state: the SQLite database
  // and its WAL, the JetStream store, the daemons' own state and logs.
  std::map<std::string, std::string> forbidden = keys;
  AddForms("canary", canary, &forbidden);
  std::vector<std::string> scanned;
  std::vector<FileHit> leaks = FindInFiles((*stack)->dir(), forbidden, &scanned);
  EXPECT_TRUE(leaks.empty()) << Describe(leaks);
  const std::string db = (*stack)->control().db_path();
  EXPECT_NE(std::find(scanned.begin(), scanned.end(), db), scanned.end()) << db;
  EXPECT_GT(ReadAll(db).size() + ReadAll(db + "-wal").size(), 0u);
  EXPECT_TRUE(std::any_of(scanned.begin(), scanned.end(), [](const std::string& p) {
    return absl::EndsWith(p, ".blk");
  })) << "no JetStream message block was scanned";
  // Control for the SQLite side: what the control plane must store (the room id) is found there.
  EXPECT_TRUE(absl::StrContains(ReadAll(db) + ReadAll(db + "-wal"), vault->room_id()));
}

// ---------------------------------------------------------------------------------------------
// 3. A legitimate member (mallory) tampering with frames on the wire.

// Waits until `capture` holds a frame that opens (with `keys`) to body text `text`; its bytes,
// or "" after 10 s.
std::string CapturedFrame(RawCapture& capture, const RoomRules& rules, const KeyLookup& keys,
                          const std::string& text) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  size_t seen = 0;
  while (absl::Now() < deadline) {
    std::vector<std::string> frames = capture.Wait(seen + 1, absl::Milliseconds(200));
    for (const std::string& f : frames) {
      absl::StatusOr<internal::OpenedFrame> opened = OpenFrame(f, rules, keys);
      if (opened.ok() && opened->body.text() == text) return f;
    }
    seen = frames.size();
  }
  return "";
}

int CountText(const std::vector<Message>& messages, const std::string& text) {
  return static_cast<int>(std::count_if(messages.begin(), messages.end(),
                                        [&](const Message& m) { return m.body.text() == text; }));
}

// Alice owns two encrypted, signing rooms with history, A and B; bob and mallory are members of
// both. Bob reads B through the library. Mallory holds a raw NATS connection with her real
// grants, sees the raw frames of A and B, holds the room keys, and publishes crafted bytes into B.
class WireTamperingTest : public ::testing::Test {
 protected:
  // What bob's subscription did since the previous Sync.
  struct Delta {
    SubscriptionStats stats;
    std::vector<absl::Status> drops;  // on_error reports of dropped frames
  };

  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Stack>> stack =
        Stack::Start(control::testing::NewTempDir("e2e-tamper"));
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    absl::StatusOr<Peer> alice = NewPeer(*stack_, "alice");
    absl::StatusOr<Peer> bob = NewPeer(*stack_, "bob");
    absl::StatusOr<Peer> mallory = NewPeer(*stack_, "mallory");
    ASSERT_TRUE(alice.ok() && bob.ok() && mallory.ok());
    alice_ = *std::move(alice);
    bob_ = *std::move(bob);
    mallory_ = *std::move(mallory);
    RoomSettings settings;
    settings.name = "a";
    absl::StatusOr<v1::Room> a = alice_->client->CreateRoom(settings);
    settings.name = "b";
    absl::StatusOr<v1::Room> b = alice_->client->CreateRoom(settings);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(b->policy().encrypted() && b->policy().signed_frames());
    room_a_ = *a;
    room_b_ = *b;
    for (const v1::Room* r : {&room_a_, &room_b_}) {
      ASSERT_TRUE(alice_->client->AddMember(r->room_id(), "bob").ok());
      ASSERT_TRUE(alice_->client->AddMember(r->room_id(), "mallory").ok());
    }
    absl::StatusOr<std::unique_ptr<Subscription>> sub =
        bob_->client->Subscribe(b_id(), inbox_.Options(StartAt::kAll));
    ASSERT_TRUE(sub.ok()) << sub.status();
    sub_ = *std::move(sub);
    absl::StatusOr<common::nats::NatsConnectionPtr> raw =
        ConnectMember(*stack_, mallory_->identity, {room_a_.room_id(), b_id()});
    ASSERT_TRUE(raw.ok()) << raw.status();
    mallory_raw_ = *std::move(raw);
    auto seen_a = RawCapture::Start(mallory_raw_.get(), room_a_.subject());
    auto seen_b = RawCapture::Start(mallory_raw_.get(), room_b_.subject());
    ASSERT_TRUE(seen_a.ok() && seen_b.ok());
    seen_a_ = *std::move(seen_a);
    seen_b_ = *std::move(seen_b);
    absl::StatusOr<std::string> key_a = Impl(*mallory_->client).rooms().Key(room_a_.room_id(), 1);
    absl::StatusOr<std::string> key_b = Impl(*mallory_->client).rooms().Key(b_id(), 1);
    ASSERT_TRUE(key_a.ok() && key_b.ok());
    key_a_ = *key_a;
    key_b_ = *key_b;
    Sync();  // bob's feed is live
  }

  const std::string& b_id() const { return room_b_.room_id(); }
  RoomRules rules_b() const { return internal::RulesOf(room_b_); }

  // Stores `bytes` on room B's subject, as mallory.
  void Publish(const std::string& bytes) {
    absl::Status stored = PublishStored(mallory_raw_.get(), room_b_.subject(), bytes);
    ASSERT_TRUE(stored.ok()) << stored;
  }

  // Alice sends a good frame into B and bob receives it: every frame published before it was
  // handled. Returns what changed since the previous call.
  Delta Sync() {
    std::string tag = absl::StrCat("sync-", ++syncs_);
    EXPECT_TRUE(alice_->client->Send(b_id(), Text(tag)).ok());
    EXPECT_TRUE(inbox_.WaitForText(tag)) << tag << ": " << inbox_.FirstError();
    SubscriptionStats now = sub_->stats();
    Delta d;
    d.stats.delivered = now.delivered - last_.delivered;
    d.stats.duplicates = now.duplicates - last_.duplicates;
    d.stats.rejected = now.rejected - last_.rejected;
    d.stats.stale_epoch = now.stale_epoch - last_.stale_epoch;
    last_ = now;
    std::vector<absl::Status> errors = inbox_.errors();
    for (size_t i = errors_seen_; i < errors.size(); ++i) {
      if (absl::StartsWith(errors[i].message(), "frame dropped")) d.drops.push_back(errors[i]);
    }
    errors_seen_ = errors.size();
    return d;
  }

  // A frame alice sent (as mallory captured it from the wire); Syncs after it.
  std::string AliceFrame(const v1::Room& room, const std::string& text) {
    const bool in_a = room.room_id() == room_a_.room_id();
    EXPECT_TRUE(alice_->client->Send(room.room_id(), Text(text)).ok());
    std::string bytes = CapturedFrame(in_a ? *seen_a_ : *seen_b_, internal::RulesOf(room),
                                      KeysOf({{1, in_a ? key_a_ : key_b_}}), text);
    Sync();
    return bytes;
  }

  // Expects exactly one frame rejected since the last Sync, reported with `code`, and only the
  // sync frame delivered.
  void ExpectOneRejected(absl::StatusCode code) {
    Delta d = Sync();
    EXPECT_EQ(d.stats.rejected, 1u);
    EXPECT_EQ(d.stats.delivered, 1u);  // the sync frame
    EXPECT_EQ(d.stats.duplicates, 0u);
    EXPECT_EQ(d.stats.stale_epoch, 0u);
    ASSERT_EQ(d.drops.size(), 1u);
    EXPECT_EQ(d.drops[0].code(), code) << d.drops[0];
  }

  std::unique_ptr<Stack> stack_;
  std::optional<Peer> alice_, bob_, mallory_;
  v1::Room room_a_, room_b_;
  Inbox inbox_;
  std::unique_ptr<Subscription> sub_;  // before the connection and captures: destroyed after
  common::nats::NatsConnectionPtr mallory_raw_;
  std::unique_ptr<RawCapture> seen_a_, seen_b_;
  std::string key_a_, key_b_;
  int syncs_ = 0;
  SubscriptionStats last_;
  size_t errors_seen_ = 0;
};

// Control for the tests below: a correct frame mallory crafts and publishes raw is delivered,
// so the path their bad frames take is a working one.
TEST_F(WireTamperingTest, CorrectFrameCraftedAndPublishedRawIsDelivered) {
  absl::StatusOr<v1::Frame> frame =
      internal::SealFrame(CraftedHeader(b_id(), 1, mallory_->identity.sign_pub()),
                          Body("hello from mallory"), rules_b(), key_b_, &mallory_->identity);
  ASSERT_TRUE(frame.ok()) << frame.status();
  Publish(frame->SerializeAsString());
  Delta d = Sync();
  EXPECT_EQ(d.stats.delivered, 2u);
  EXPECT_EQ(d.stats.rejected, 0u);
  EXPECT_EQ(CountText(inbox_.messages(), "hello from mallory"), 1);
}

// Fails if the replay guard were missing: bob would get alice's frame three times. A new
// subscription reading the whole history (all three stored copies) also delivers it once.
TEST_F(WireTamperingTest, ReplayedFrameIsDeliveredOnce) {
  const std::string original = AliceFrame(room_b_, "original");
  ASSERT_FALSE(original.empty());
  Publish(original);
  Publish(original);
  Delta d = Sync();
  EXPECT_EQ(CountText(inbox_.messages(), "original"), 1);
  EXPECT_EQ(d.stats.duplicates, 2u);
  EXPECT_EQ(d.stats.rejected, 0u);
  EXPECT_TRUE(d.drops.empty());

  Inbox replay;
  auto replay_sub = bob_->client->Subscribe(b_id(), replay.Options(StartAt::kAll));
  ASSERT_TRUE(replay_sub.ok()) << replay_sub.status();
  const size_t delivered = inbox_.messages().size();
  std::vector<Message> replayed = replay.Wait(delivered);
  ASSERT_EQ(replayed.size(), delivered) << replay.FirstError();
  EXPECT_EQ(CountText(replayed, "original"), 1);
  EXPECT_EQ((*replay_sub)->stats().duplicates, 2u);
}

// Fails if the signature or AEAD checks were missing: an altered frame would be delivered, or
// (for the frame bob already has) merely counted as a duplicate instead of rejected.
TEST_F(WireTamperingTest, FrameWithOneFlippedBitIsRejected) {
  const std::string original = AliceFrame(room_b_, "original");
  ASSERT_FALSE(original.empty());
  v1::Frame parsed;
  ASSERT_TRUE(parsed.ParseFromString(original));
  {
    SCOPED_TRACE("a bit of the ciphertext");
    std::string flipped = original;
    size_t at = flipped.find(parsed.ciphertext());
    ASSERT_NE(at, std::string::npos);
    flipped[at + parsed.ciphertext().size() / 2] ^= 0x01;
    Publish(flipped);
    ExpectOneRejected(absl::StatusCode::kPermissionDenied);
  }
  {
    SCOPED_TRACE("a bit of the signature");
    std::string flipped = original;
    size_t at = flipped.find(parsed.signature());
    ASSERT_NE(at, std::string::npos);
    flipped[at + 10] ^= 0x80;
    Publish(flipped);
    ExpectOneRejected(absl::StatusCode::kPermissionDenied);
  }
  {
    SCOPED_TRACE("a bit of the header's counter (a frame id bob has not seen)");
    v1::Frame altered = parsed;
    altered.mutable_header()->set_counter(parsed.header().counter() ^ 1);
    Publish(altered.SerializeAsString());
    ExpectOneRejected(absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(CountText(inbox_.messages(), "original"), 1);
}

// Fails if the frame's room binding were not checked against the room it arrived in (the frame
// as it is), or if the room were not covered by the signature and the AEAD (the room rewritten).
TEST_F(WireTamperingTest, FrameOfAnotherRoomIsRejected) {
  const std::string from_a = AliceFrame(room_a_, "meant for room a");
  ASSERT_FALSE(from_a.empty());
  Publish(from_a);
  ExpectOneRejected(absl::StatusCode::kFailedPrecondition);
  v1::Frame moved;
  ASSERT_TRUE(moved.ParseFromString(from_a));
  moved.mutable_header()->set_room_id(b_id());
  Publish(moved.SerializeAsString());
  ExpectOneRejected(absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CountText(inbox_.messages(), "meant for room a"), 0);
}

// Fails if a signing room accepted unsigned frames: mallory, who holds the room key, could then
// speak as alice.
TEST_F(WireTamperingTest, UnsignedFrameInASigningRoomIsRejected) {
  RoomRules unsigned_rules = rules_b();
  unsigned_rules.signed_frames = false;
  absl::StatusOr<v1::Frame> frame =
      internal::SealFrame(CraftedHeader(b_id(), 1, alice_->identity.sign_pub()),
                          Body("unsigned, as alice"), unsigned_rules, key_b_, nullptr);
  ASSERT_TRUE(frame.ok()) << frame.status();
  ASSERT_TRUE(frame->signature().empty());
  Publish(frame->SerializeAsString());
  ExpectOneRejected(absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CountText(inbox_.messages(), "unsigned, as alice"), 0);
}

// Fails if the signature were checked against the signer's own key rather than the header's
// sender: mallory could speak as alice.
TEST_F(WireTamperingTest, FrameSignedByAnotherMemberThanItsSenderIsRejected) {
  RoomRules unsigned_rules = rules_b();
  unsigned_rules.signed_frames = false;
  absl::StatusOr<v1::Frame> forged =
      internal::SealFrame(CraftedHeader(b_id(), 1, alice_->identity.sign_pub()),
                          Body("signed by mallory, as alice"), unsigned_rules, key_b_, nullptr);
  ASSERT_TRUE(forged.ok()) << forged.status();
  forged->set_signature(mallory_->identity.Sign(internal::CanonicalHeader(forged->header()) +
                                                forged->ciphertext()));
  Publish(forged->SerializeAsString());
  ExpectOneRejected(absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CountText(inbox_.messages(), "signed by mallory, as alice"), 0);
  for (const Message& m : inbox_.messages()) {
    if (m.id.sender == alice_->identity.sign_pub_hex()) {
      EXPECT_TRUE(m.signed_frame);
    }
  }
}

// Attack: mallory (a member) publishes a correct frame in the name of eve, an identity that is
// not a member of B and whose key she holds (an accomplice). Fails without the receivers' member
// check: bob delivered eve's frame as if eve were in the room.
TEST_F(WireTamperingTest, FrameFromANonMemberIsRejected) {
  common::Identity eve = common::Identity::Generate();
  absl::StatusOr<v1::Frame> frame =
      internal::SealFrame(CraftedHeader(b_id(), 1, eve.sign_pub()), Body("eve was never here"),
                          rules_b(), key_b_, &eve);
  ASSERT_TRUE(frame.ok()) << frame.status();
  Publish(frame->SerializeAsString());
  ExpectOneRejected(absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CountText(inbox_.messages(), "eve was never here"), 0);
}

// Attack: mallory stores, in room B, a message that looks like a JetStream status message (an
// empty body, "Status: 100" and a "Nats-Last-Consumer" far ahead). JetStream stores it like any
// other and delivers it on every member's feed. Failed before the fix: bob's feed took it for a
// heartbeat reporting lost frames, recreated itself from before it, met it again, and delivered
// nothing more (the sync frame after it never arrived).
TEST_F(WireTamperingTest, StoredFakeStatusMessageDoesNotStopTheFeed) {
  natsMsg* raw = nullptr;
  ASSERT_EQ(natsMsg_Create(&raw, room_b_.subject().c_str(), nullptr, nullptr, 0), NATS_OK);
  common::nats::NatsMsgPtr msg(raw);
  ASSERT_EQ(natsMsgHeader_Set(raw, "Status", "100"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(raw, "Description", "Idle Heartbeat"), NATS_OK);
  ASSERT_EQ(natsMsgHeader_Set(raw, "Nats-Last-Consumer", "9999999"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishMsg(mallory_raw_.get(), raw), NATS_OK);
  ASSERT_EQ(natsConnection_FlushTimeout(mallory_raw_.get(), 5000), NATS_OK);
  Delta d = Sync();
  EXPECT_EQ(d.stats.delivered, 1u);  // the sync frame arrived
  EXPECT_EQ(d.stats.rejected, 1u);   // the fake, as a stored frame that does not parse
  ASSERT_TRUE(alice_->client->Send(b_id(), Text("and the next one")).ok());
  EXPECT_TRUE(inbox_.WaitForText("and the next one")) << inbox_.FirstError();
}

// Fails if the epoch gate accepted the previous epoch past the grace window (a member removed at
// a rekey could keep sending with the old key), or frames of an epoch nobody was given a key for.
// The second subscriber, with the default 60 s grace, accepts the same late frame: the drop is
// the grace rule's doing, not a broken frame.
TEST(E2eSecurityTest, PreviousEpochFramePastTheGraceWindowIsDropped) {
  auto stack = Stack::Start(control::testing::NewTempDir("e2e-epoch"));
  ASSERT_TRUE(stack.ok()) << stack.status();
  absl::StatusOr<Peer> alice = NewPeer(**stack, "alice");
  absl::StatusOr<Peer> bob = NewPeer(**stack, "bob");
  absl::StatusOr<Peer> mallory = NewPeer(**stack, "mallory");
  ASSERT_TRUE(alice.ok() && bob.ok() && mallory.ok());
  RoomSettings settings;
  settings.name = "rotating";
  absl::StatusOr<v1::Room> room = alice->client->CreateRoom(settings);
  ASSERT_TRUE(room.ok());
  const std::string room_id = room->room_id();
  ASSERT_TRUE(alice->client->AddMember(room_id, "bob").ok());
  ASSERT_TRUE(alice->client->AddMember(room_id, "mallory").ok());

  ClientOptions strict_options = testing::OptionsFor(**stack);
  strict_options.epoch_grace = absl::ZeroDuration();
  absl::StatusOr<std::unique_ptr<Client>> strict = testing::ConnectWhenAllowed(bob->identity, strict_options);
  ASSERT_TRUE(strict.ok()) << strict.status();
  Inbox strict_inbox, lenient_inbox;
  auto strict_sub = (*strict)->Subscribe(room_id, strict_inbox.Options(StartAt::kAll));
  auto lenient_sub = bob->client->Subscribe(room_id, lenient_inbox.Options(StartAt::kAll));
  ASSERT_TRUE(strict_sub.ok() && lenient_sub.ok());
  absl::StatusOr<common::nats::NatsConnectionPtr> mal =
      ConnectMember(**stack, mallory->identity, {room_id});
  ASSERT_TRUE(mal.ok()) << mal.status();
  absl::StatusOr<std::string> old_key = Impl(*mallory->client).rooms().Key(room_id, 1);
  ASSERT_TRUE(old_key.ok());

  ASSERT_TRUE(alice->client->Rekey(room_id).ok());
  ASSERT_TRUE(alice->client->Send(room_id, Text("epoch 2")).ok());
  ASSERT_TRUE(strict_inbox.WaitForText("epoch 2")) << strict_inbox.FirstError();
  ASSERT_TRUE(lenient_inbox.WaitForText("epoch 2")) << lenient_inbox.FirstError();

  // Mallory keeps sending with the epoch-1 key, correctly signed: late by any zero grace.
  const RoomRules rules = internal::RulesOf(*room);
  absl::StatusOr<v1::Frame> late =
      internal::SealFrame(CraftedHeader(room_id, 1, mallory->identity.sign_pub()),
                          Body("late epoch 1"), rules, *old_key, &mallory->identity);
  ASSERT_TRUE(late.ok());
  ASSERT_TRUE(PublishStored(mal->get(), room->subject(), late->SerializeAsString()).ok());
  // And a frame of an epoch that was never issued (sealed with a key of her own).
  absl::StatusOr<v1::Frame> future =
      internal::SealFrame(CraftedHeader(room_id, 7, mallory->identity.sign_pub()),
                          Body("epoch 7"), rules, common::NewRoomKey(), &mallory->identity);
  ASSERT_TRUE(future.ok());
  ASSERT_TRUE(PublishStored(mal->get(), room->subject(), future->SerializeAsString()).ok());
  ASSERT_TRUE(alice->client->Send(room_id, Text("after")).ok());
  ASSERT_TRUE(strict_inbox.WaitForText("after"));
  ASSERT_TRUE(lenient_inbox.WaitForText("after"));

  EXPECT_EQ(CountText(strict_inbox.messages(), "late epoch 1"), 0);
  EXPECT_EQ((*strict_sub)->stats().stale_epoch, 2u);
  EXPECT_EQ((*strict_sub)->stats().rejected, 0u);
  EXPECT_EQ(CountText(lenient_inbox.messages(), "late epoch 1"), 1);
  EXPECT_EQ((*lenient_sub)->stats().stale_epoch, 1u);  // epoch 7 only
  for (Inbox* inbox : {&strict_inbox, &lenient_inbox}) {
    EXPECT_EQ(CountText(inbox->messages(), "epoch 7"), 0);
  }
}

}  // namespace
}  // namespace unibus::client
