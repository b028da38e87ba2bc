// Server memory under many large uploads: 40 clients each push a maximum-size blob (16 MiB) at
// the same time into a real unibusd with the default upload budget (64 MiB). Uploads the budget
// cannot hold are refused at once and retried by the clients after the server's hint; the
// server's peak resident memory must stay within its baseline plus the budget plus a fixed
// margin for the 40 TLS connections and their threads, and afterwards the whole budget must be
// free again.
#include <fcntl.h>
#include <grpcpp/client_context.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/identity.h"
#include "common/crypto/sha256.h"
#include "common/testing/process_memory.h"
#include "control/testing/rpc.h"
#include "control/testing/unibusd_process.h"
#include "gtest/gtest.h"
#include "unibus/v1/blobs.grpc.pb.h"
#include "unibus/v1/rooms.grpc.pb.h"

namespace unibus::control {
namespace {

using common::Identity;
using common::testing::ProcessMemory;
using common::testing::ResetPeak;
using testing::Call;
using testing::CodeOf;

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kMaxBlob = 16 * kMiB;     // unibusd's default --max_blob_bytes
constexpr uint64_t kBudget = 64 * kMiB;      // unibusd's default --blob_upload_budget_bytes
// Held by each upload of at least that size: the server's 256 KiB stream window plus twice its
// default 1 MiB message limit.
constexpr uint64_t kReservation = 256 * 1024 + 2 * kMiB;
constexpr size_t kChunk = 512 << 10;
constexpr int kClients = 40;
// Connections, their TLS state and the threads serving them, beyond what the budget covers.
// Measured: see the test's recorded properties.
constexpr uint64_t kMargin = 48 * kMiB;

// The bytes of blob `n`: chunk i is a shared pattern with (n, i) written over its start, so every
// blob is different while the test holds only one chunk's worth of pattern.
std::string ChunkOf(const std::string& pattern, int n, size_t i) {
  std::string chunk = pattern;
  std::string tag = absl::StrCat("blob ", n, " chunk ", i, ";");
  chunk.replace(0, tag.size(), tag);
  return chunk;
}

std::string AddressOf(const std::string& pattern, int n) {
  common::Sha256 hasher;
  for (size_t i = 0; i < kMaxBlob / kChunk; ++i) hasher.Update(ChunkOf(pattern, n, i));
  return hasher.FinishHex();
}

struct Outcome {
  grpc::Status status;
  std::string retry_after;
};

// One attempt to upload blob `n`; when `hold` is set it stops after the first chunk and waits.
Outcome TryUpload(v1::BlobService::Stub& stub, const std::string& room, const std::string& pattern,
                  int n, const std::string& address) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::PutBlobResponse response;
  auto writer = stub.PutBlob(&context, &response);
  v1::PutBlobRequest request;
  request.mutable_header()->set_room_id(room);
  request.mutable_header()->set_address(address);
  request.mutable_header()->set_size(kMaxBlob);
  bool open = writer->Write(request);
  for (size_t i = 0; open && i < kMaxBlob / kChunk; ++i) {
    request.set_chunk(ChunkOf(pattern, n, i));
    open = writer->Write(request);
  }
  if (open) writer->WritesDone();
  Outcome outcome{writer->Finish(), ""};
  auto trailers = context.GetServerTrailingMetadata();
  if (auto it = trailers.find("unibus-retry-after-ms"); it != trailers.end()) {
    outcome.retry_after.assign(it->second.data(), it->second.size());
  }
  return outcome;
}

TEST(BlobMemoryTest, FortyConcurrentMaximumUploadsStayWithinTheBudget) {
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("blob-memory")).value();
  Identity owner = Identity::Generate();
  ASSERT_TRUE(server->AddUser(owner, v1::ROLE_MEMBER, "owner").ok());
  auto rooms = v1::RoomService::NewStub(server->ChannelFor(owner));
  v1::CreateRoomRequest create;
  create.set_name("uploads");
  create.set_encrypted(false);
  v1::CreateRoomResponse created;
  ASSERT_TRUE(Call(*rooms, &v1::RoomService::Stub::CreateRoom, create, &created).ok());
  const std::string room = created.room().room_id();

  std::string pattern(kChunk, '\0');
  for (size_t i = 0; i < kChunk; ++i) pattern[i] = static_cast<char>((i * 7919) >> 3);
  std::vector<std::unique_ptr<v1::BlobService::Stub>> stubs;
  std::vector<std::string> addresses;
  for (int n = 0; n < kClients; ++n) {
    Identity id = Identity::Generate();
    ASSERT_TRUE(server->AddUser(id, v1::ROLE_MEMBER, absl::StrCat("uploader", n)).ok());
    v1::AddMemberRequest add;
    add.set_room_id(room);
    add.set_sign_pub(id.sign_pub_hex());
    add.set_role(v1::ROOM_ROLE_MEMBER);
    ASSERT_EQ(CodeOf(*rooms, &v1::RoomService::Stub::AddMember, add), grpc::StatusCode::OK);
    stubs.push_back(v1::BlobService::NewStub(server->ChannelFor(id)));
    addresses.push_back(AddressOf(pattern, n));
    // Connect now (a StatBlob of nothing), so the baseline already holds the 40 connections'
    // handshakes and the comparison is about uploads.
    v1::StatBlobRequest stat;
    stat.set_room_id(room);
    stat.set_address(addresses.back());
    ASSERT_EQ(CodeOf(*stubs.back(), &v1::BlobService::Stub::StatBlob, stat),
              grpc::StatusCode::NOT_FOUND);
  }

  const pid_t pid = server->pid();
  const uint64_t baseline = ProcessMemory(pid, "VmRSS");
  ASSERT_GT(baseline, 0u);
  ASSERT_TRUE(ResetPeak(pid));

  std::atomic<int> refusals{0}, failures{0};
  std::atomic<uint64_t> sampled_peak{0};
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      uint64_t rss = ProcessMemory(pid, "VmRSS");
      if (rss > sampled_peak) sampled_peak = rss;
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  std::vector<std::thread> clients;
  for (int n = 0; n < kClients; ++n) {
    clients.emplace_back([&, n] {
      for (int attempt = 0; attempt < 2000; ++attempt) {
        Outcome outcome = TryUpload(*stubs[n], room, pattern, n, addresses[n]);
        if (outcome.status.ok()) return;
        int pause_ms = 0;
        if (outcome.status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED ||
            !absl::SimpleAtoi(outcome.retry_after, &pause_ms)) {
          ADD_FAILURE() << "upload " << n << ": " << outcome.status.error_code() << " "
                        << outcome.status.error_message();
          ++failures;
          return;
        }
        ++refusals;
        absl::SleepFor(absl::Milliseconds(pause_ms / 4 + (n * 7) % pause_ms));
      }
      ++failures;
    });
  }
  for (std::thread& t : clients) t.join();
  done = true;
  sampler.join();
  const uint64_t peak = std::max<uint64_t>(ProcessMemory(pid, "VmHWM"), sampled_peak.load());
  const uint64_t growth = peak > baseline ? peak - baseline : 0;
  ::testing::Test::RecordProperty("baseline_rss_mib", static_cast<int>(baseline / kMiB));
  ::testing::Test::RecordProperty("peak_growth_mib", static_cast<int>(growth / kMiB));
  ::testing::Test::RecordProperty("refusals", refusals.load());
  std::printf("server RSS: baseline %.1f MiB, peak %.1f MiB, growth %.1f MiB (budget %llu MiB, "
              "margin %llu MiB); %d refusals retried\n",
              baseline / double(kMiB), peak / double(kMiB), growth / double(kMiB),
              static_cast<unsigned long long>(kBudget / kMiB),
              static_cast<unsigned long long>(kMargin / kMiB), refusals.load());
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(refusals.load(), 0) << "the budget never refused anything: the test proves nothing";
  EXPECT_LE(growth, kBudget + kMargin);
  v1::StatBlobRequest stat;
  stat.set_room_id(room);
  for (int n = 0; n < kClients; ++n) {
    stat.set_address(addresses[n]);
    EXPECT_EQ(CodeOf(*stubs[n], &v1::BlobService::Stub::StatBlob, stat), grpc::StatusCode::OK);
  }

  // The budget is whole again: as many uploads as it holds are admitted together. Each is held
  // open after its header until all of them were admitted (an upload refused answers at once).
  constexpr int kFit = static_cast<int>(kBudget / kReservation);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<v1::PutBlobResponse> responses(kFit);
  std::vector<std::unique_ptr<grpc::ClientWriter<v1::PutBlobRequest>>> writers;
  std::string last_pattern(kChunk, 'z');
  for (int i = 0; i < kFit; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    writers.push_back(stubs[i]->PutBlob(contexts.back().get(), &responses[i]));
    v1::PutBlobRequest request;
    request.mutable_header()->set_room_id(room);
    request.mutable_header()->set_address(AddressOf(last_pattern, i));
    request.mutable_header()->set_size(kMaxBlob);
    ASSERT_TRUE(writers.back()->Write(request));
    request.set_chunk(ChunkOf(last_pattern, i, 0));
    // A refused upload's stream is closed by the server: the write of the chunk then fails or
    // the final status says so below.
    writers.back()->Write(request);
  }
  for (int i = 0; i < kFit; ++i) {
    v1::PutBlobRequest request;
    bool open = true;
    for (size_t c = 1; open && c < kMaxBlob / kChunk; ++c) {
      request.set_chunk(ChunkOf(last_pattern, i, c));
      open = writers[i]->Write(request);
    }
    if (open) writers[i]->WritesDone();
    grpc::Status s = writers[i]->Finish();
    EXPECT_TRUE(s.ok()) << i << ": " << s.error_message();
  }
}

}  // namespace
}  // namespace unibus::control
