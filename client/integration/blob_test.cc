// Encrypted blobs on the real stack (nats-server, unibus-authd, unibusd; docs/frames.md §12):
// members move blobs between them, non-members see nothing, and a receiver refuses every blob
// that is not the exact stream its sender wrote, whoever changed it (the server's disk, or a
// member holding the key who uploads doctored streams through the raw gRPC API).
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker_auth/testing/stack.h"
#include "client/internal/blob_cipher.h"
#include "client/testing/peers.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"
#include "unibus/v1/blobs.grpc.pb.h"
#include "common/testing/child_process.h"
#include "common/testing/test_bytes.h"

namespace unibus::client {
namespace {

using broker_auth::testing::Stack;
using internal::CiphertextSize;
using internal::kBlobHeaderSize;
using internal::kBlobRecordSize;
using internal::SealedBlob;
using testing::ConnectWhenAllowed;
using testing::NewPeer;
using testing::OptionsFor;
using testing::Peer;
using common::testing::ReadFileOrEmpty;
using common::testing::TestBytes;

// Replaces the file (a new inode, as an attacker with disk access would).
void WriteFile(const std::string& path, const std::string& bytes) {
  std::filesystem::remove(path);
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

size_t FilesIn(const std::string& dir) {
  std::error_code error;
  size_t n = 0;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    ++n;
  }
  return n;
}

// Uploads `ciphertext` under `address` with the raw BlobService API, as any member can.
grpc::Status RawPut(const Stack& stack, const common::Identity& identity,
                    const std::string& room_id, const std::string& ciphertext,
                    const std::string& address, v1::PutBlobResponse* response) {
  auto stub = v1::BlobService::NewStub(stack.control().ChannelFor(identity));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  std::unique_ptr<grpc::ClientWriter<v1::PutBlobRequest>> writer =
      stub->PutBlob(&context, response);
  v1::PutBlobRequest request;
  request.mutable_header()->set_room_id(room_id);
  request.mutable_header()->set_address(address);
  request.mutable_header()->set_size(ciphertext.size());
  bool open = writer->Write(request);
  for (size_t done = 0; open && done < ciphertext.size(); done += 512 << 10) {
    request.set_chunk(ciphertext.substr(done, 512 << 10));
    open = writer->Write(request);
  }
  if (open) writer->WritesDone();
  return writer->Finish();
}

// One of an identity's upload slots on the server (unibusd admits 4 uploads per identity at a
// time), held by a raw PutBlob stream that sent its header and then nothing.
// Once admitted, it has a temporary file under blob_dir()/tmp. Cancelled when destroyed.
class HeldUpload {
 public:
  HeldUpload(const Stack& stack, const common::Identity& identity, const std::string& room_id)
      : stub_(v1::BlobService::NewStub(stack.control().ChannelFor(identity))) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    writer_ = stub_->PutBlob(&context_, &response_);
    v1::PutBlobRequest request;
    request.mutable_header()->set_room_id(room_id);
    request.mutable_header()->set_address(std::string(64, 'b'));
    request.mutable_header()->set_size(1000);
    writer_->Write(request);
  }
  ~HeldUpload() {
    context_.TryCancel();
    writer_->Finish();
  }

 private:
  std::unique_ptr<v1::BlobService::Stub> stub_;
  grpc::ClientContext context_;
  v1::PutBlobResponse response_;
  std::unique_ptr<grpc::ClientWriter<v1::PutBlobRequest>> writer_;
};

// Record i of a well-formed ciphertext.
std::string Record(const std::string& ciphertext, size_t i) {
  return ciphertext.substr(kBlobHeaderSize + i * kBlobRecordSize, kBlobRecordSize);
}

class BlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Stack>> stack =
        Stack::Start(control::testing::NewTempDir("blobs"));
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    absl::StatusOr<Peer> alice = NewPeer(*stack_, "alice");
    absl::StatusOr<Peer> bob = NewPeer(*stack_, "bob");
    absl::StatusOr<Peer> carol = NewPeer(*stack_, "carol");
    ASSERT_TRUE(alice.ok() && bob.ok() && carol.ok());
    alice_.emplace(*std::move(alice));
    bob_.emplace(*std::move(bob));
    carol_.emplace(*std::move(carol));
    RoomSettings settings;
    settings.name = "files";
    absl::StatusOr<v1::Room> room = alice_->client->CreateRoom(settings);
    ASSERT_TRUE(room.ok()) << room.status();
    room_ = room->room_id();
    ASSERT_TRUE(alice_->client->AddMember(room_, "bob").ok());
  }

  std::string BlobPath(const std::string& address) const {
    return absl::StrCat(stack_->control().blob_dir(), "/rooms/", room_, "/", address);
  }

  // Uploads a doctored stream as bob (a member holding the key) and announces it with a
  // matching size: the address and length checks pass, so only the stream itself can refuse it.
  void ExpectDoctoredStreamRefused(const std::string& ciphertext, const std::string& key,
                                   const std::string& what) {
    SCOPED_TRACE(what);
    v1::PutBlobResponse response;
    std::string address = internal::BlobAddress(ciphertext);
    grpc::Status put = RawPut(*stack_, bob_->identity, room_, ciphertext, address, &response);
    ASSERT_TRUE(put.ok()) << put.error_message();
    v1::BlobRef ref;
    ref.set_address(address);
    ref.set_key(key);
    uint64_t records = (ciphertext.size() - kBlobHeaderSize + kBlobRecordSize - 1) /
                       kBlobRecordSize;
    ref.set_size(ciphertext.size() - kBlobHeaderSize - records * kBlobRecordOverhead);
    ASSERT_EQ(CiphertextSize(ref.size()), ciphertext.size());
    absl::StatusOr<std::string> got = alice_->client->GetBlob(room_, ref);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << got.status();
  }

  std::unique_ptr<Stack> stack_;
  std::optional<Peer> alice_, bob_, carol_;
  std::string room_;
};

// unibusd's --max_blob_bytes and ClientOptions::max_blob_bytes (16 MiB by default) count
// ciphertext bytes: the largest plaintext is 16 MiB less the stream's overhead (24 + 17 × 256).
constexpr size_t kServerMax = 16 << 20;
constexpr size_t kLargestPlaintext = LargestBlobPlaintext(kServerMax);
static_assert(kLargestPlaintext == 16772840);

TEST_F(BlobTest, MembersExchangeBlobsOfEverySize) {
  ASSERT_EQ(CiphertextSize(kLargestPlaintext), kServerMax);
  for (size_t size : {size_t{0}, size_t{1}, size_t{70000}, kLargestPlaintext}) {
    SCOPED_TRACE(size);
    std::string plain = TestBytes(size, 1);
    std::vector<std::pair<uint64_t, uint64_t>> sent, received;
    BlobOptions options;
    options.name = "holiday/photos/cat.png";
    options.content_type = "image/png";
    options.progress = [&](uint64_t done, uint64_t total) { sent.emplace_back(done, total); };
    absl::StatusOr<v1::BlobRef> ref = alice_->client->PutBlob(room_, plain, options);
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_EQ(ref->size(), size);
    EXPECT_EQ(ref->key().size(), 32u);
    EXPECT_EQ(ref->name(), "cat.png");
    EXPECT_EQ(ref->content_type(), "image/png");
    // The server holds exactly the ciphertext, under its address.
    std::string stored = ReadFileOrEmpty(BlobPath(ref->address()));
    EXPECT_EQ(stored.size(), CiphertextSize(size));
    EXPECT_EQ(internal::BlobAddress(stored), ref->address());

    absl::StatusOr<std::string> got = bob_->client->GetBlob(
        room_, *ref, [&](uint64_t done, uint64_t total) { received.emplace_back(done, total); });
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(*got == plain);

    for (const auto* progress : {&sent, &received}) {
      ASSERT_FALSE(progress->empty());
      EXPECT_EQ(progress->back().first, CiphertextSize(size));
      for (size_t i = 0; i < progress->size(); ++i) {
        EXPECT_EQ((*progress)[i].second, CiphertextSize(size));
        if (i > 0) {
          EXPECT_GT((*progress)[i].first, (*progress)[i - 1].first);
        }
      }
    }
  }
}

TEST_F(BlobTest, NonMembersGetNotFound) {
  absl::StatusOr<v1::BlobRef> ref = alice_->client->PutBlob(room_, "members only");
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(carol_->client->PutBlob(room_, "let me in").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(carol_->client->GetBlob(room_, *ref).status().code(), absl::StatusCode::kNotFound);
  // A room that does not exist, and an address the room does not hold, look the same.
  const std::string nowhere(32, '0');
  EXPECT_EQ(alice_->client->PutBlob(nowhere, "x").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(alice_->client->GetBlob(nowhere, *ref).status().code(), absl::StatusCode::kNotFound);
  v1::BlobRef unknown = *ref;
  unknown.set_address(std::string(64, 'a'));
  EXPECT_EQ(bob_->client->GetBlob(room_, unknown).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(BlobTest, MalformedOrOversizedRequestsAreRefusedBeforeAnyTransfer) {
  absl::StatusOr<v1::BlobRef> ref = alice_->client->PutBlob(room_, "small");
  ASSERT_TRUE(ref.ok()) << ref.status();
  v1::BlobRef big = *ref;
  big.set_size(kLargestPlaintext + 1);  // encrypts to over ClientOptions::max_blob_bytes
  EXPECT_EQ(bob_->client->GetBlob(room_, big).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(alice_->client->PutBlob(room_, std::string(kLargestPlaintext + 1, 'x')).status().code(),
            absl::StatusCode::kOutOfRange);
  // A client configured for more than the server takes: refused by the server, without a retry
  // pushback, so PutBlob returns at once instead of retrying for BlobOptions::busy_retry.
  ClientOptions generous = OptionsFor(*stack_);
  generous.max_blob_bytes = 2 * kServerMax;
  absl::StatusOr<std::unique_ptr<Client>> greedy = ConnectWhenAllowed(alice_->identity, generous);
  ASSERT_TRUE(greedy.ok()) << greedy.status();
  EXPECT_EQ((*greedy)->PutBlob(room_, std::string(kLargestPlaintext + 1, 'x')).status().code(),
            absl::StatusCode::kResourceExhausted);

  v1::BlobRef upper = *ref;
  upper.set_address(absl::AsciiStrToUpper(ref->address()));
  EXPECT_EQ(bob_->client->GetBlob(room_, upper).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::BlobRef short_key = *ref;
  short_key.set_key("short");
  EXPECT_EQ(bob_->client->GetBlob(room_, short_key).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bob_->client->GetBlob("../" + room_, *ref).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(alice_->client->PutBlob("not-a-room", "x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BlobTest, EveryUploadHasAFreshKeyAndIdenticalBytesAreStoredOnce) {
  const std::string plain = TestBytes(100000, 2);
  absl::StatusOr<v1::BlobRef> first = alice_->client->PutBlob(room_, plain);
  absl::StatusOr<v1::BlobRef> second = alice_->client->PutBlob(room_, plain);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->key(), second->key());
  EXPECT_NE(first->address(), second->address());

  SealedBlob blob = internal::SealBlob(plain);
  v1::PutBlobResponse created, again;
  grpc::Status put = RawPut(*stack_, bob_->identity, room_, blob.ciphertext, blob.address,
                            &created);
  ASSERT_TRUE(put.ok()) << put.error_message();
  EXPECT_TRUE(created.created());
  put = RawPut(*stack_, alice_->identity, room_, blob.ciphertext, blob.address, &again);
  ASSERT_TRUE(put.ok()) << put.error_message();
  EXPECT_FALSE(again.created());
  EXPECT_EQ(again.info().address(), blob.address);
  EXPECT_EQ(again.info().size(), blob.ciphertext.size());

  absl::StatusOr<std::string> got = alice_->client->GetBlob(room_, BlobRefOf(blob));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == plain);
}

TEST_F(BlobTest, UploadRefusedForBusyIsRetriedForBusyRetryOnly) {
  std::vector<std::unique_ptr<HeldUpload>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<HeldUpload>(*stack_, alice_->identity, room_));
  }
  // Until all four are admitted an upload of alice's could take a slot and push one of them
  // out, so wait for their four temporary files.
  const std::string tmp = stack_->control().blob_dir() + "/tmp";
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (FilesIn(tmp) < 4 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  ASSERT_EQ(FilesIn(tmp), 4u);

  // No retries: the pushback is returned at once.
  BlobOptions no_retry;
  no_retry.busy_retry = absl::ZeroDuration();
  absl::Status busy = alice_->client->PutBlob(room_, "busy?", no_retry).status();
  EXPECT_EQ(busy.code(), absl::StatusCode::kResourceExhausted) << busy;
  // Bob's slots are his own.
  EXPECT_TRUE(bob_->client->PutBlob(room_, "bob is not busy", no_retry).ok());

  // With a busy_retry the upload is tried again after each pushback (250 ms plus up to as much
  // again of jitter) until the next pause would end past busy_retry; then the refusal is
  // returned. A pushback is at least 250 ms, so having retried at all means at least that long
  // (a lower bound set by the client's own pause, not a performance figure).
  BlobOptions short_retry;
  short_retry.busy_retry = absl::Seconds(1);
  const absl::Time start = absl::Now();
  absl::Status gave_up = alice_->client->PutBlob(room_, "still busy?", short_retry).status();
  EXPECT_EQ(gave_up.code(), absl::StatusCode::kResourceExhausted) << gave_up;
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));

  // Once a slot is free the upload goes through.
  held.pop_back();
  absl::StatusOr<v1::BlobRef> ref = alice_->client->PutBlob(room_, "patient");
  ASSERT_TRUE(ref.ok()) << ref.status();
  absl::StatusOr<std::string> got = bob_->client->GetBlob(room_, *ref);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "patient");
}

// Whatever replaces a blob on the server's disk, the receiver refuses it. The same-key swap is
// the regression test for the address check before decryption (blob_cipher.h OpenBlob): the
// swapped bytes are a valid stream under the reference's key, so without the check they would
// decrypt to another plaintext.
TEST_F(BlobTest, BlobChangedOnTheServersDiskIsDataLoss) {
  absl::StatusOr<v1::BlobRef> a = alice_->client->PutBlob(room_, TestBytes(150000, 3));
  absl::StatusOr<v1::BlobRef> b = alice_->client->PutBlob(room_, TestBytes(150000, 4));
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string path = BlobPath(a->address());
  const std::string original = ReadFileOrEmpty(path);
  ASSERT_EQ(original.size(), CiphertextSize(150000));

  WriteFile(path, ReadFileOrEmpty(BlobPath(b->address())));
  EXPECT_EQ(bob_->client->GetBlob(room_, *a).status().code(), absl::StatusCode::kDataLoss);

  SealedBlob same_key = internal::SealBlobWithKey(TestBytes(150000, 5), a->key());
  ASSERT_EQ(same_key.ciphertext.size(), original.size());
  WriteFile(path, same_key.ciphertext);
  EXPECT_EQ(bob_->client->GetBlob(room_, *a).status().code(), absl::StatusCode::kDataLoss);

  std::string flipped = original;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x10);
  WriteFile(path, flipped);
  EXPECT_EQ(bob_->client->GetBlob(room_, *a).status().code(), absl::StatusCode::kDataLoss);

  WriteFile(path, original + "tail");
  EXPECT_EQ(bob_->client->GetBlob(room_, *a).status().code(), absl::StatusCode::kDataLoss);
  WriteFile(path, original.substr(0, original.size() - 1));
  EXPECT_EQ(bob_->client->GetBlob(room_, *a).status().code(), absl::StatusCode::kDataLoss);

  // The original bytes put back are accepted: the refusals above were about the bytes.
  WriteFile(path, original);
  absl::StatusOr<std::string> got = bob_->client->GetBlob(room_, *a);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == TestBytes(150000, 3));
}

// A member holding the key uploads correctly hashed streams whose records were cut, reordered
// or repeated; the secretstream refuses each (regression test for the per-record checks in
// internal::DecryptBlob: dropping the FINAL-tag check lets the truncated stream through).
TEST_F(BlobTest, DoctoredStreamsFromAMemberAreDataLoss) {
  const std::string plain = TestBytes(3 * 65536, 5);  // three full records, the last FINAL
  SealedBlob blob = internal::SealBlob(plain);
  const std::string key(blob.key.view());
  const std::string& c = blob.ciphertext;
  const std::string header = c.substr(0, kBlobHeaderSize);

  // Control: the untouched stream, uploaded the same way, is accepted.
  v1::PutBlobResponse response;
  ASSERT_TRUE(RawPut(*stack_, bob_->identity, room_, c, blob.address, &response).ok());
  absl::StatusOr<std::string> got = alice_->client->GetBlob(room_, BlobRefOf(blob));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == plain);

  ExpectDoctoredStreamRefused(header + Record(c, 0) + Record(c, 1), key, "truncated");
  ExpectDoctoredStreamRefused(header + Record(c, 1) + Record(c, 0) + Record(c, 2), key,
                              "reordered");
  ExpectDoctoredStreamRefused(header + Record(c, 0) + Record(c, 0) + Record(c, 1) + Record(c, 2),
                              key, "duplicated");
  ExpectDoctoredStreamRefused(header + Record(c, 0) + Record(c, 2), key, "middle dropped");
}

}  // namespace
}  // namespace unibus::client
