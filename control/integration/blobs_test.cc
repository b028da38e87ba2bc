// BlobService on a real unibusd with its disk store: the hash and size checks, the size cap,
// membership, cancelled and crashed uploads, and the global in-flight upload budget. Raw gRPC,
// so every byte and every code the server sends is visible.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/cert.h"
#include "common/crypto/identity.h"
#include "common/crypto/sha256.h"
#include "common/testing/dir_entries.h"
#include "common/testing/test_bytes.h"
#include "control/testing/rpc.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"
#include "unibus/v1/blobs.grpc.pb.h"
#include "unibus/v1/rooms.grpc.pb.h"

namespace unibus::control {
namespace {

using common::Identity;
using common::Sha256Hex;
using common::testing::DirEntries;
using common::testing::TestBytes;
using testing::Call;
using testing::CodeOf;
using testing::UnibusdProcess;

constexpr size_t kChunk = 512 << 10;
constexpr uint64_t kMiB = 1 << 20;

// Waits (bounded) for a condition the server reaches asynchronously, e.g. after a cancel.
bool Eventually(const std::function<bool()>& condition) {
  for (absl::Time end = absl::Now() + absl::Seconds(20); absl::Now() < end;) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return condition();
}

struct Peer {
  Identity id;
  std::unique_ptr<v1::RoomService::Stub> rooms;
  std::unique_ptr<v1::BlobService::Stub> blobs;
};

// One upload driven step by step, so a test can hold it open, cancel it or lie in it.
class Upload {
 public:
  explicit Upload(v1::BlobService::Stub& stub) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    writer_ = stub.PutBlob(&context_, &response_);
  }
  bool Header(const std::string& room_id, const std::string& address, uint64_t size) {
    v1::PutBlobRequest request;
    request.mutable_header()->set_room_id(room_id);
    request.mutable_header()->set_address(address);
    request.mutable_header()->set_size(size);
    return writer_->Write(request);
  }
  bool Chunks(absl::string_view bytes) {
    for (size_t at = 0; at < bytes.size(); at += kChunk) {
      v1::PutBlobRequest request;
      request.set_chunk(std::string(bytes.substr(at, kChunk)));
      if (!writer_->Write(request)) return false;
    }
    return true;
  }
  grpc::Status Finish() {
    writer_->WritesDone();
    return writer_->Finish();
  }
  // Waits for the server's answer without ending the request stream.
  grpc::Status FinishWithoutWritesDone() { return writer_->Finish(); }
  void Cancel() { context_.TryCancel(); }
  std::string Trailer(const std::string& key) const {
    auto trailers = context_.GetServerTrailingMetadata();
    auto it = trailers.find(key);
    return it == trailers.end() ? "" : std::string(it->second.data(), it->second.size());
  }
  const v1::PutBlobResponse& response() const { return response_; }

 private:
  grpc::ClientContext context_;
  v1::PutBlobResponse response_;
  std::unique_ptr<grpc::ClientWriter<v1::PutBlobRequest>> writer_;
};

class BlobsTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags) {
    server_ = UnibusdProcess::Start(testing::NewTempDir("blobs"), std::move(flags)).value();
  }
  void SetUp() override { StartServer({"--max_blob_bytes=3145728"}); }  // 3 MiB

  Peer NewPeer(const std::string& handle) {
    Peer p{Identity::Generate(), nullptr, nullptr};
    EXPECT_TRUE(server_->AddUser(p.id, v1::ROLE_MEMBER, handle).ok());
    auto channel = server_->ChannelFor(p.id);
    p.rooms = v1::RoomService::NewStub(channel);
    p.blobs = v1::BlobService::NewStub(channel);
    return p;
  }

  // A cleartext room (allowed on a loopback listener): blobs do not care what the frames are.
  std::string NewRoom(const Peer& owner) {
    v1::CreateRoomRequest request;
    request.set_name("files");
    request.set_encrypted(false);
    v1::CreateRoomResponse response;
    grpc::Status s = Call(*owner.rooms, &v1::RoomService::Stub::CreateRoom, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.room().room_id();
  }

  void AddMember(const Peer& owner, const std::string& room_id, const Peer& who) {
    v1::AddMemberRequest request;
    request.set_room_id(room_id);
    request.set_sign_pub(who.id.sign_pub_hex());
    request.set_role(v1::ROOM_ROLE_MEMBER);
    ASSERT_EQ(CodeOf(*owner.rooms, &v1::RoomService::Stub::AddMember, request),
              grpc::StatusCode::OK);
  }

  grpc::Status Put(const Peer& p, const std::string& room_id, const std::string& bytes,
                   v1::PutBlobResponse* response = nullptr) {
    Upload upload(*p.blobs);
    upload.Header(room_id, Sha256Hex(bytes), bytes.size());
    upload.Chunks(bytes);
    grpc::Status s = upload.Finish();
    if (response != nullptr) *response = upload.response();
    return s;
  }

  grpc::Status Get(const Peer& p, const std::string& room_id, const std::string& address,
                   std::string* bytes, v1::BlobInfo* info = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::GetBlobRequest request;
    request.set_room_id(room_id);
    request.set_address(address);
    auto reader = p.blobs->GetBlob(&context, request);
    v1::GetBlobResponse part;
    bytes->clear();
    bool first = true;
    while (reader->Read(&part)) {
      if (first) {
        EXPECT_TRUE(part.has_info());
        if (info != nullptr) *info = part.info();
        first = false;
      } else {
        EXPECT_TRUE(part.has_chunk());
        *bytes += part.chunk();
      }
    }
    return reader->Finish();
  }

  grpc::StatusCode StatCode(const Peer& p, const std::string& room_id,
                            const std::string& address) {
    v1::StatBlobRequest request;
    request.set_room_id(room_id);
    request.set_address(address);
    return CodeOf(*p.blobs, &v1::BlobService::Stub::StatBlob, request);
  }

  std::string TmpDir() const { return server_->blob_dir() + "/tmp"; }
  std::string BlobPath(const std::string& room_id, const std::string& address) const {
    return absl::StrCat(server_->blob_dir(), "/rooms/", room_id, "/", address);
  }
  // Nothing of any upload is on disk: no partial file, no blob of the room.
  bool NothingStored(const std::string& room_id) const {
    return DirEntries(TmpDir()).empty() &&
           DirEntries(absl::StrCat(server_->blob_dir(), "/rooms/", room_id)).empty();
  }

  std::unique_ptr<UnibusdProcess> server_;
};

TEST_F(BlobsTest, PutStatGetRoundTripAndIdempotentReupload) {
  Peer alice = NewPeer("alice");
  Peer bob = NewPeer("bob");
  std::string room = NewRoom(alice);
  AddMember(alice, room, bob);
  std::string bytes = TestBytes(kChunk * 2 + 12345, 1);
  std::string address = Sha256Hex(bytes);

  v1::PutBlobResponse put;
  grpc::Status s = Put(alice, room, bytes, &put);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(put.created());
  EXPECT_EQ(put.info().address(), address);
  EXPECT_EQ(put.info().room_id(), room);
  EXPECT_EQ(put.info().size(), bytes.size());
  EXPECT_GT(put.info().created_at_ms(), 0);
  EXPECT_EQ(StatCode(bob, room, address), grpc::StatusCode::OK);

  std::string got;
  v1::BlobInfo info;
  s = Get(bob, room, address, &got, &info);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got, bytes);
  EXPECT_EQ(info.size(), bytes.size());

  // The same bytes again, by another member: accepted, nothing changes.
  s = Put(bob, room, bytes, &put);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(put.created());
  EXPECT_EQ(DirEntries(absl::StrCat(server_->blob_dir(), "/rooms/", room)).size(), 1u);
  EXPECT_TRUE(DirEntries(TmpDir()).empty());

  // An empty blob is a blob too.
  ASSERT_TRUE(Put(alice, room, "").ok());
  ASSERT_TRUE(Get(bob, room, Sha256Hex(""), &got).ok());
  EXPECT_EQ(got, "");
}

TEST_F(BlobsTest, HashMismatchIsInvalidArgumentAndStoresNothing) {
  Peer alice = NewPeer("alice");
  std::string room = NewRoom(alice);
  std::string bytes = TestBytes(kChunk + 7, 2);
  std::string claimed = Sha256Hex(TestBytes(kChunk + 7, 3));  // the address of other bytes
  Upload upload(*alice.blobs);
  upload.Header(room, claimed, bytes.size());
  upload.Chunks(bytes);
  grpc::Status s = upload.Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(StatCode(alice, room, claimed), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(StatCode(alice, room, Sha256Hex(bytes)), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Eventually([&] { return NothingStored(room); }));

  // One flipped bit in the last chunk, with the original's address.
  std::string flipped = bytes;
  flipped.back() ^= 1;
  Upload second(*alice.blobs);
  second.Header(room, Sha256Hex(bytes), bytes.size());
  second.Chunks(flipped);
  EXPECT_EQ(second.Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(StatCode(alice, room, Sha256Hex(bytes)), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Eventually([&] { return NothingStored(room); }));
}

TEST_F(BlobsTest, ByteCountDifferentFromTheHeaderIsInvalidArgument) {
  Peer alice = NewPeer("alice");
  std::string room = NewRoom(alice);
  std::string bytes = TestBytes(1000, 4);
  for (uint64_t declared : {999u, 1001u}) {
    Upload upload(*alice.blobs);
    upload.Header(room, Sha256Hex(bytes), declared);
    upload.Chunks(bytes);
    grpc::Status s = upload.Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << declared;
  }
  EXPECT_EQ(StatCode(alice, room, Sha256Hex(bytes)), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Eventually([&] { return NothingStored(room); }));
}

TEST_F(BlobsTest, MalformedUploadsAreInvalidArgument) {
  Peer alice = NewPeer("alice");
  std::string room = NewRoom(alice);
  {  // a chunk first
    Upload upload(*alice.blobs);
    upload.Chunks("data");
    EXPECT_EQ(upload.Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // nothing at all
    Upload upload(*alice.blobs);
    EXPECT_EQ(upload.Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {  // a second header
    Upload upload(*alice.blobs);
    upload.Header(room, Sha256Hex("x"), 1);
    upload.Header(room, Sha256Hex("x"), 1);
    EXPECT_EQ(upload.Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  for (const std::string& address :
       {std::string("abc"), std::string(64, 'A'), std::string("../") + std::string(61, 'a')}) {
    Upload upload(*alice.blobs);
    upload.Header(room, address, 1);
    upload.Chunks("x");
    EXPECT_EQ(upload.Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT) << address;
  }
  std::string got;
  EXPECT_EQ(Get(alice, "../../etc", Sha256Hex("x"), &got).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Eventually([&] { return NothingStored(room); }));
}

TEST_F(BlobsTest, ExactlyTheCapIsAcceptedOneByteOverIsRefusedBeforeAnyByte) {
  Peer alice = NewPeer("alice");
  std::string room = NewRoom(alice);
  const uint64_t cap = 3 * kMiB;
  std::string at_cap = TestBytes(cap, 5);
  v1::PutBlobResponse put;
  grpc::Status s = Put(alice, room, at_cap, &put);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(put.info().size(), cap);

  // Only the header is sent and the request stream stays open: the answer must come from the
  // header alone (a server that waited for the bytes would run into the deadline instead).
  std::string over = TestBytes(cap + 1, 6);
  Upload upload(*alice.blobs);
  ASSERT_TRUE(upload.Header(room, Sha256Hex(over), over.size()));
  s = upload.FinishWithoutWritesDone();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(upload.Trailer("unibus-retry-after-ms"), "");  // too big is final: no retry hint

  // Declaring the cap and sending one byte more is caught at that byte.
  Upload liar(*alice.blobs);
  liar.Header(room, Sha256Hex(over), cap);
  liar.Chunks(over);
  EXPECT_EQ(liar.Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(StatCode(alice, room, Sha256Hex(over)), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Eventually([&] { return DirEntries(TmpDir()).empty(); }));
}

TEST_F(BlobsTest, OnlyMembersOfTheBlobsRoomMayPutStatOrGetIt) {
  Peer alice = NewPeer("alice");
  Peer mallory = NewPeer("mallory");
  std::string room = NewRoom(alice);
  std::string mallorys_room = NewRoom(mallory);
  std::string bytes = TestBytes(5000, 7);
  std::string address = Sha256Hex(bytes);
  ASSERT_TRUE(Put(alice, room, bytes).ok());

  // Attack: a non-member who learned the room id and the address.
  std::string got;
  EXPECT_EQ(Get(mallory, room, address, &got).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(StatCode(mallory, room, address), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Put(mallory, room, TestBytes(10, 8)).error_code(), grpc::StatusCode::NOT_FOUND);
  // ... or asking through a room it is a member of: blobs belong to the room they were put in.
  EXPECT_EQ(Get(mallory, mallorys_room, address, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(StatCode(mallory, mallorys_room, address), grpc::StatusCode::NOT_FOUND);
  // Unknown rooms look the same as rooms one is not in.
  EXPECT_EQ(StatCode(alice, std::string(32, '0'), address), grpc::StatusCode::NOT_FOUND);
  // Not on the allowlist at all.
  Identity stranger = Identity::Generate();
  auto stranger_blobs = v1::BlobService::NewStub(server_->ChannelFor(stranger));
  v1::StatBlobRequest stat;
  stat.set_room_id(room);
  stat.set_address(address);
  EXPECT_EQ(CodeOf(*stranger_blobs, &v1::BlobService::Stub::StatBlob, stat),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(DirEntries(absl::StrCat(server_->blob_dir(), "/rooms/", room)).size(), 1u);
}

TEST_F(BlobsTest, DeletingTheRoomRemovesItsBlobs) {
  Peer alice = NewPeer("alice");
  std::string room = NewRoom(alice);
  std::string bytes = TestBytes(100, 9);
  ASSERT_TRUE(Put(alice, room, bytes).ok());
  ASSERT_EQ(DirEntries(absl::StrCat(server_->blob_dir(), "/rooms/", room)).size(), 1u);
  v1::DeleteRoomRequest request;
  request.set_room_id(room);
  ASSERT_EQ(CodeOf(*alice.rooms, &v1::RoomService::Stub::DeleteRoom, request),
            grpc::StatusCode::OK);
  EXPECT_TRUE(DirEntries(absl::StrCat(server_->blob_dir(), "/rooms")).empty());
}

TEST_F(BlobsTest, CancelledUploadLeavesNothing) {
  Peer alice = NewPeer("alice");
  std::string room = NewRoom(alice);
  std::string bytes = TestBytes(3 * kMiB, 10);
  Upload upload(*alice.blobs);
  upload.Header(room, Sha256Hex(bytes), bytes.size());
  upload.Chunks(absl::string_view(bytes).substr(0, 2 * kMiB));
  // The partial upload is on disk, in tmp/ only.
  ASSERT_TRUE(Eventually([&] { return DirEntries(TmpDir()).size() == 1; }));
  upload.Cancel();
  EXPECT_EQ(upload.FinishWithoutWritesDone().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Eventually([&] { return NothingStored(room); }));
  EXPECT_EQ(StatCode(alice, room, Sha256Hex(bytes)), grpc::StatusCode::NOT_FOUND);
}

TEST_F(BlobsTest, UploadCutByACrashIsRemovedAtStartUp) {
  Peer alice = NewPeer("alice");
  std::string room = NewRoom(alice);
  std::string bytes = TestBytes(3 * kMiB, 11);
  {
    Upload upload(*alice.blobs);
    upload.Header(room, Sha256Hex(bytes), bytes.size());
    upload.Chunks(absl::string_view(bytes).substr(0, 2 * kMiB));
    ASSERT_TRUE(Eventually([&] { return DirEntries(TmpDir()).size() == 1; }));
    server_->Crash();
    EXPECT_FALSE(upload.Finish().ok());
  }
  EXPECT_EQ(DirEntries(TmpDir()).size(), 1u);  // what the crash left
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_TRUE(NothingStored(room));
  EXPECT_NE(server_->LogTail().find("removed 1 unfinished upload"), std::string::npos)
      << server_->LogTail();
  EXPECT_EQ(StatCode(alice, room, Sha256Hex(bytes)), grpc::StatusCode::NOT_FOUND);
  // And the store works as before.
  ASSERT_TRUE(Put(alice, room, bytes).ok());
  EXPECT_EQ(StatCode(alice, room, Sha256Hex(bytes)), grpc::StatusCode::OK);
}

// Budget 5 MiB; every upload holds 2.25 MiB (the 256 KiB stream window plus twice the 1 MiB
// message limit) whatever size it declares: two fit at once.
class BlobBudgetTest : public BlobsTest {
 protected:
  void SetUp() override {
    StartServer({"--max_blob_bytes=16777216", "--blob_upload_budget_bytes=5242880"});
  }

  // Starts an upload of `bytes` and sends all but the last chunk, holding it open.
  std::unique_ptr<Upload> Hold(const Peer& p, const std::string& room, const std::string& bytes) {
    auto upload = std::make_unique<Upload>(*p.blobs);
    upload->Header(room, Sha256Hex(bytes), bytes.size());
    upload->Chunks(absl::string_view(bytes).substr(0, kChunk));
    return upload;
  }
};

TEST_F(BlobBudgetTest, OverTheBudgetIsRefusedAtOnceAcrossIdentitiesAndComesBack) {
  Peer alice = NewPeer("alice");
  Peer bob = NewPeer("bob");
  Peer carol = NewPeer("carol");
  std::string room = NewRoom(alice);
  AddMember(alice, room, bob);
  AddMember(alice, room, carol);
  std::string c = TestBytes(5 * kMiB, 14);
  for (int round = 0; round < 2; ++round) {
    // New bytes each round: bytes already stored are not written to tmp/ again.
    std::string a = TestBytes(5 * kMiB, 20 + round), b = TestBytes(5 * kMiB, 30 + round);
    std::unique_ptr<Upload> first = Hold(alice, room, a);
    std::unique_ptr<Upload> second = Hold(bob, room, b);
    // Both hold their share once their first chunk reached the disk.
    ASSERT_TRUE(Eventually([&] { return DirEntries(TmpDir()).size() == 2; })) << round;

    // A third identity, while the two are open: refused without waiting for them.
    // (The header's write may fail: the server refuses at admission and can end the call before
    // it arrives. What counts is the status.)
    Upload third(*carol.blobs);
    (void)third.Header(room, Sha256Hex(c), c.size());
    grpc::Status s = third.FinishWithoutWritesDone();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_EQ(third.Trailer("unibus-retry-after-ms"), "250");
    // Declaring a small size does not get in either: what a stream can hold in memory does not
    // depend on the size it claims.
    EXPECT_EQ(Put(carol, room, TestBytes(1000, 40 + round)).error_code(),
              grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_EQ(Put(carol, room, "").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

    if (round == 0) {
      // End the two differently: one completes, one is cancelled.
      ASSERT_TRUE(first->Chunks(absl::string_view(a).substr(kChunk)));
      ASSERT_TRUE(first->Finish().ok());
      second->Cancel();
      second->FinishWithoutWritesDone();
    } else {
      // A hash mismatch and a completed upload.
      std::string tampered = b;
      tampered[kChunk + 1] ^= 1;
      ASSERT_TRUE(second->Chunks(absl::string_view(tampered).substr(kChunk)));
      EXPECT_EQ(second->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
      ASSERT_TRUE(first->Chunks(absl::string_view(a).substr(kChunk)));
      ASSERT_TRUE(first->Finish().ok());
    }
    // Every share came back: after a bounded wait, two full uploads fit again (the next round),
    // and a small one fits right now.
    EXPECT_TRUE(Eventually([&] { return DirEntries(TmpDir()).empty(); }));
    EXPECT_TRUE(Eventually([&] { return Put(carol, room, TestBytes(kMiB, 60 + round)).ok(); }));
  }
  // Finally both budget shares are free at the same time.
  std::string d = TestBytes(5 * kMiB, 15);
  std::unique_ptr<Upload> x = Hold(alice, room, d);
  std::unique_ptr<Upload> y = Hold(bob, room, c);
  ASSERT_TRUE(x->Chunks(absl::string_view(d).substr(kChunk)));
  ASSERT_TRUE(y->Chunks(absl::string_view(c).substr(kChunk)));
  EXPECT_TRUE(x->Finish().ok());
  EXPECT_TRUE(y->Finish().ok());
}

TEST_F(BlobsTest, OneIdentityRunsAtMostFourUploadsAtOnce) {
  // Attack: one member opens uploads until the budget is gone for everyone.
  Peer alice = NewPeer("alice");
  Peer bob = NewPeer("bob");
  std::string room = NewRoom(alice);
  AddMember(alice, room, bob);
  std::vector<std::unique_ptr<Upload>> held;
  for (int i = 0; i < 4; ++i) {
    std::string bytes = TestBytes(kMiB, 70 + i);
    held.push_back(std::make_unique<Upload>(*alice.blobs));
    held.back()->Header(room, Sha256Hex(bytes), bytes.size());
    held.back()->Chunks(absl::string_view(bytes).substr(0, kChunk));
  }
  ASSERT_TRUE(Eventually([&] { return DirEntries(TmpDir()).size() == 4; }));
  std::string fifth = TestBytes(1000, 80);
  Upload refused(*alice.blobs);
  refused.Header(room, Sha256Hex(fifth), fifth.size());
  grpc::Status s = refused.FinishWithoutWritesDone();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(refused.Trailer("unibus-retry-after-ms"), "250");
  EXPECT_TRUE(Put(bob, room, fifth).ok());  // others are not affected
  held.pop_back();                          // cancelled by the client going away
  EXPECT_TRUE(Eventually([&] { return Put(alice, room, TestBytes(1000, 81)).ok(); }));
}

// One upload fills the budget; transfers idle for a second are cancelled; one download per
// identity.
class BlobIdleTest : public BlobsTest {
 protected:
  void SetUp() override {
    StartServer({"--blob_upload_budget_bytes=2359296", "--blob_transfer_idle_timeout_ms=1000",
                 "--blob_downloads_per_identity=1"});
  }
};

TEST_F(BlobIdleTest, StalledUploadIsCancelledAndFreesTheBudget) {
  // Attack: a slow client sends a header and one chunk, then nothing, to sit on the budget.
  Peer alice = NewPeer("alice");
  Peer bob = NewPeer("bob");
  std::string room = NewRoom(alice);
  AddMember(alice, room, bob);
  std::string bytes = TestBytes(3 * kMiB, 90);
  Upload stalled(*alice.blobs);
  stalled.Header(room, Sha256Hex(bytes), bytes.size());
  stalled.Chunks(absl::string_view(bytes).substr(0, kChunk));
  ASSERT_TRUE(Eventually([&] { return DirEntries(TmpDir()).size() == 1; }));
  EXPECT_EQ(Put(bob, room, TestBytes(kMiB, 91)).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  EXPECT_EQ(stalled.FinishWithoutWritesDone().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Eventually([&] { return NothingStored(room); }));
  EXPECT_TRUE(Eventually([&] { return Put(bob, room, TestBytes(kMiB, 92)).ok(); }));
}

TEST_F(BlobIdleTest, StreamsWaitingForTheirHeaderCountAndAreCancelled) {
  // Attack: open uploads and never send a header, to hold threads and windows outside every
  // limit.
  Peer alice = NewPeer("alice");
  Peer bob = NewPeer("bob");
  std::string room = NewRoom(alice);
  AddMember(alice, room, bob);
  Upload silent(*alice.blobs);
  // It holds the whole budget: bob is refused while it waits...
  EXPECT_TRUE(Eventually([&] {
    return Put(bob, room, TestBytes(100, 93)).error_code() ==
           grpc::StatusCode::RESOURCE_EXHAUSTED;
  }));
  // ... and the watchdog ends it.
  EXPECT_EQ(silent.FinishWithoutWritesDone().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Eventually([&] { return Put(bob, room, TestBytes(100, 94)).ok(); }));
}

// A channel for `identity` whose receive window stays at 64 KiB (no BDP growth): a download it
// does not read keeps the server's writes waiting, so the download stays open.
std::shared_ptr<grpc::Channel> SlowReaderChannel(const UnibusdProcess& server,
                                                 const Identity& identity) {
  common::PemKeyPair cert = common::MakeClientCertificate(identity).value();
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = server.ca_pem();
  tls.pem_private_key = cert.key_pem;
  tls.pem_cert_chain = cert.cert_pem;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 << 10);
  return grpc::CreateCustomChannel(server.target(), grpc::SslCredentials(tls), args);
}

TEST_F(BlobIdleTest, DownloadsPerIdentityAreLimited) {
  // Attack: start downloads and leave them open, to hold threads and open files.
  Peer alice = NewPeer("alice");
  Peer bob = NewPeer("bob");
  std::string room = NewRoom(alice);
  AddMember(alice, room, bob);
  std::string bytes = TestBytes(3 * kMiB, 95);
  ASSERT_TRUE(Put(alice, room, bytes).ok());
  auto slow = v1::BlobService::NewStub(SlowReaderChannel(*server_, alice.id));
  grpc::ClientContext open;
  open.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::GetBlobRequest request;
  request.set_room_id(room);
  request.set_address(Sha256Hex(bytes));
  auto reader = slow->GetBlob(&open, request);
  v1::GetBlobResponse part;
  ASSERT_TRUE(reader->Read(&part));  // started; the rest waits for the window
  std::string got;
  EXPECT_EQ(Get(alice, room, Sha256Hex(bytes), &got).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);  // one download per identity here
  EXPECT_TRUE(Get(bob, room, Sha256Hex(bytes), &got).ok());  // others are not affected
  std::string held;
  while (reader->Read(&part)) held += part.chunk();
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(held, bytes);
  EXPECT_TRUE(Eventually([&] { return Get(alice, room, Sha256Hex(bytes), &got).ok(); }));
  EXPECT_EQ(got, bytes);
}

TEST_F(BlobsTest, UploadFinishingAfterItsRoomWasDeletedLeavesNothing) {
  Peer alice = NewPeer("alice");
  std::string room = NewRoom(alice);
  std::string bytes = TestBytes(kMiB, 96);
  Upload upload(*alice.blobs);
  upload.Header(room, Sha256Hex(bytes), bytes.size());
  upload.Chunks(absl::string_view(bytes).substr(0, kChunk));
  ASSERT_TRUE(Eventually([&] { return DirEntries(TmpDir()).size() == 1; }));
  v1::DeleteRoomRequest request;
  request.set_room_id(room);
  ASSERT_EQ(CodeOf(*alice.rooms, &v1::RoomService::Stub::DeleteRoom, request),
            grpc::StatusCode::OK);
  upload.Chunks(absl::string_view(bytes).substr(kChunk));
  EXPECT_EQ(upload.Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Eventually([&] { return NothingStored(room); }));
  EXPECT_TRUE(DirEntries(absl::StrCat(server_->blob_dir(), "/rooms")).empty());
}


// How a member stops being one while its upload streams.
enum class Departure { kLeaves, kIsRemoved };

// Bob uploads `bob_bytes` to Alice's room, stops being a member half-way (Leave, or Alice removes
// him), then sends the rest. Returns his upload's status.
grpc::Status UploadAcrossDeparture(const Peer& alice, const Peer& bob, const std::string& room,
                                   const std::string& bob_bytes, Departure departure,
                                   const std::function<bool()>& started) {
  Upload upload(*bob.blobs);
  upload.Header(room, Sha256Hex(bob_bytes), bob_bytes.size());
  upload.Chunks(absl::string_view(bob_bytes).substr(0, kChunk));
  if (!Eventually(started)) return grpc::Status(grpc::StatusCode::UNKNOWN, "upload never started");
  grpc::StatusCode left;
  if (departure == Departure::kLeaves) {
    v1::LeaveRequest leave;
    leave.set_room_id(room);
    left = CodeOf(*bob.rooms, &v1::RoomService::Stub::Leave, leave);
  } else {
    v1::RemoveMemberRequest remove;
    remove.set_room_id(room);
    remove.set_sign_pub(bob.id.sign_pub_hex());
    left = CodeOf(*alice.rooms, &v1::RoomService::Stub::RemoveMember, remove);
  }
  if (left != grpc::StatusCode::OK) return grpc::Status(left, "could not end the membership");
  upload.Chunks(absl::string_view(bob_bytes).substr(kChunk));
  return upload.Finish();
}

class BlobDepartureTest : public BlobsTest,
                          public ::testing::WithParamInterface<Departure> {};

TEST_P(BlobDepartureTest, MemberWhoDepartsDuringAnUploadLosesOnlyThatUpload) {
  // Attack (H2): Bob, a member, starts an upload, leaves the room (or is removed) while it
  // streams, then finishes it, so that the server's post-upload check takes "not a member" for
  // "room deleted" and deletes every blob of the room. Failed before the fix (Alice's earlier
  // blob was NOT_FOUND afterwards and rooms/<room> was gone).
  Peer alice = NewPeer("alice");
  Peer bob = NewPeer("bob");
  std::string room = NewRoom(alice);
  AddMember(alice, room, bob);
  std::string alices = TestBytes(kMiB, 97);
  ASSERT_TRUE(Put(alice, room, alices).ok());
  std::string bobs = TestBytes(2 * kMiB, 98);

  grpc::Status s = UploadAcrossDeparture(alice, bob, room, bobs, GetParam(),
                                         [&] { return DirEntries(TmpDir()).size() == 1; });
  // A non-member is told what non-members are told (blobs.proto): NOT_FOUND.
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  std::string got;
  s = Get(alice, room, Sha256Hex(alices), &got);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(got == alices) << "Alice's blob came back with " << got.size() << " bytes";
  // Bob's blob is not kept: nobody who may still read the room uploaded it.
  EXPECT_EQ(StatCode(alice, room, Sha256Hex(bobs)), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(Eventually([&] { return DirEntries(TmpDir()).empty(); }));
  EXPECT_EQ(DirEntries(absl::StrCat(server_->blob_dir(), "/rooms/", room)).size(), 1u);
}

TEST_P(BlobDepartureTest, DepartedUploaderOfBytesAlreadyStoredRemovesNothing) {
  // Attack (H2): Bob re-uploads the bytes of Alice's blob and departs while it streams; his
  // upload created nothing, so nothing may be removed. Failed before the fix (the room's blobs,
  // Alice's included, were deleted).
  Peer alice = NewPeer("alice");
  Peer bob = NewPeer("bob");
  std::string room = NewRoom(alice);
  AddMember(alice, room, bob);
  std::string alices = TestBytes(2 * kMiB, 99);
  ASSERT_TRUE(Put(alice, room, alices).ok());

  // Bytes already stored are not written to tmp/, so there is nothing to watch on disk. None is
  // needed: the first chunk (512 KiB) is larger than the server's fixed 256 KiB stream window, so
  // its write completes only once the server asked for it, i.e. after its first membership check.
  grpc::Status s = UploadAcrossDeparture(alice, bob, room, alices, GetParam(), [] { return true; });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  std::string got;
  s = Get(alice, room, Sha256Hex(alices), &got);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(got == alices) << "Alice's blob came back with " << got.size() << " bytes";
}

INSTANTIATE_TEST_SUITE_P(LeaveOrRemove, BlobDepartureTest,
                         ::testing::Values(Departure::kLeaves, Departure::kIsRemoved),
                         [](const ::testing::TestParamInfo<Departure>& info) {
                           return info.param == Departure::kLeaves ? "Leaves" : "IsRemoved";
                         });


// Blobs of at most 1 MiB; quotas set per test.
class BlobQuotaTest : public BlobsTest {
 protected:
  void SetUp() override {}
  void StartWithQuotas(uint64_t per_room, uint64_t per_identity) {
    StartServer({"--max_blob_bytes=1048576", absl::StrCat("--blob_quota_per_room=", per_room),
                 absl::StrCat("--blob_quota_per_identity=", per_identity)});
  }

  // The header of `bytes` alone, the request stream left open: the answer must come from the
  // header (a server that waited for the bytes would run into the deadline instead).
  grpc::Status HeaderOnly(const Peer& p, const std::string& room, const std::string& bytes) {
    Upload upload(*p.blobs);
    upload.Header(room, Sha256Hex(bytes), bytes.size());
    grpc::Status s = upload.FinishWithoutWritesDone();
    EXPECT_EQ(upload.Trailer("unibus-retry-after-ms"), "");  // a quota is final: no retry hint
    return s;
  }

  // Restarts unibusd and gives the peers new connections (their old ones died with the process).
  void RestartServer(std::initializer_list<Peer*> peers) {
    ASSERT_TRUE(server_->Restart().ok());
    for (Peer* p : peers) {
      auto channel = server_->ChannelFor(p->id);
      p->rooms = v1::RoomService::NewStub(channel);
      p->blobs = v1::BlobService::NewStub(channel);
    }
  }

  // Every blob in `blobs` (room, bytes) reads back intact.
  void ExpectReadable(const Peer& p, const std::vector<std::pair<std::string, std::string>>& blobs) {
    for (const auto& [room, bytes] : blobs) {
      std::string got;
      grpc::Status s = Get(p, room, Sha256Hex(bytes), &got);
      EXPECT_TRUE(s.ok()) << s.error_message();
      EXPECT_TRUE(got == bytes) << "a blob of " << bytes.size() << " came back with " << got.size();
    }
  }
};

TEST_F(BlobQuotaTest, RoomQuotaRefusesTheUploadThatWouldExceedItAndSparesOtherRooms) {
  // Attack (L4): a member fills a room (and with it the disk) with blobs. Failed before the fix
  // (unibusd had no quota: the fourth MiB into a 3 MiB room was stored).
  StartWithQuotas(/*per_room=*/3 * kMiB, /*per_identity=*/100 * kMiB);
  Peer alice = NewPeer("alice");
  Peer bob = NewPeer("bob");
  std::string room = NewRoom(alice);
  std::string other_room = NewRoom(alice);
  AddMember(alice, room, bob);
  std::vector<std::pair<std::string, std::string>> stored;
  for (int i = 0; i < 3; ++i) {
    stored.emplace_back(room, TestBytes(kMiB, 200 + i));
    grpc::Status s = Put(alice, room, stored.back().second);
    ASSERT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
  grpc::Status s = HeaderOnly(alice, room, TestBytes(kMiB, 210));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("room's blob storage quota"), std::string::npos)
      << s.error_message();
  // The room is full for every member, whatever size one declares...
  EXPECT_EQ(Put(bob, room, TestBytes(1000, 211)).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // ... but bytes already stored cost nothing, and another room has its own quota.
  EXPECT_TRUE(Put(bob, room, stored.front().second).ok());
  stored.emplace_back(other_room, TestBytes(kMiB, 212));
  EXPECT_TRUE(Put(alice, other_room, stored.back().second).ok());
  ExpectReadable(alice, stored);

  // The count is derived from what is stored, so a restart changes nothing.
  RestartServer({&alice, &bob});
  s = HeaderOnly(alice, room, TestBytes(kMiB, 213));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_TRUE(Put(alice, other_room, TestBytes(kMiB, 215)).ok());
  ExpectReadable(alice, stored);
}

TEST_F(BlobQuotaTest, IdentityQuotaCountsEveryRoomAndSparesOtherIdentities) {
  // Attack (L4): a member spreads its blobs over many rooms of its own. Failed before the fix
  // (unibusd had no quota: a fourth MiB from a 3 MiB identity was stored).
  StartWithQuotas(/*per_room=*/100 * kMiB, /*per_identity=*/3 * kMiB);
  Peer alice = NewPeer("alice");
  Peer bob = NewPeer("bob");
  std::string room = NewRoom(alice);
  std::string other_room = NewRoom(alice);
  AddMember(alice, room, bob);
  std::vector<std::pair<std::string, std::string>> stored = {
      {room, TestBytes(kMiB, 220)}, {other_room, TestBytes(kMiB, 221)}};
  for (const auto& [where, bytes] : stored) ASSERT_TRUE(Put(alice, where, bytes).ok());

  // One more MiB in flight takes Alice to her quota: even a small upload beside it is refused,
  // so concurrent uploads cannot overshoot together.
  std::string third = TestBytes(kMiB, 222);
  Upload held(*alice.blobs);
  held.Header(room, Sha256Hex(third), third.size());
  held.Chunks(absl::string_view(third).substr(0, kChunk));
  ASSERT_TRUE(Eventually([&] { return DirEntries(TmpDir()).size() == 1; }));
  grpc::Status s = HeaderOnly(alice, other_room, TestBytes(1000, 223));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_NE(s.error_message().find("your blob storage quota"), std::string::npos)
      << s.error_message();
  held.Chunks(absl::string_view(third).substr(kChunk));
  ASSERT_TRUE(held.Finish().ok());
  stored.emplace_back(room, third);

  EXPECT_EQ(Put(alice, other_room, TestBytes(1000, 224)).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Another identity, in the same room: its own quota.
  stored.emplace_back(room, TestBytes(kMiB, 225));
  EXPECT_TRUE(Put(bob, room, stored.back().second).ok());
  ExpectReadable(alice, stored);

  RestartServer({&alice, &bob});
  EXPECT_EQ(Put(alice, room, TestBytes(1000, 226)).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(Put(bob, room, TestBytes(kMiB, 227)).ok());
  ExpectReadable(alice, stored);
}

}  // namespace
}  // namespace unibus::control
