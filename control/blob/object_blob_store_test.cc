// ObjectBlobStore against a real nats-server with JetStream, and interop with the real `nats`
// CLI ($UNIBUS_NATS_CLI, installed by tools/install-deps and passed by tools/dev test).
#include "control/blob/object_blob_store.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/nats/nats_ptr.h"
#include "common/testing/child_process.h"
#include "common/testing/nats_server.h"
#include "common/testing/test_bytes.h"
#include "common/time/clock.h"
#include "common/nats/jetstream_api.h"
#include "control/blob/blob_store_conformance.h"
#include "control/blob/object_layout.h"
#include "gtest/gtest.h"

namespace unibus::control::blob {
namespace {

using common::nats::JetStreamApi;
using common::testing::JetStreamServer;
using common::testing::TestBytes;

constexpr size_t kChunk = 128 * 1024;
constexpr char kBucket[] = "unibus_blobs";
const std::string kRoomA(32, 'a');
const std::string kRoomB = "0123456789abcdef0123456789abcdef";

std::string NewTestDir() {
  static std::atomic<int> counter{0};
  const char* tmp = getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/objstore", counter++);
  mkdir(dir.c_str(), 0700);
  return dir;
}

std::string ReadAll(BlobReader& reader, size_t piece = 50'000) {
  std::string all, part;
  for (;;) {
    absl::Status s = reader.Read(piece, &part);
    EXPECT_TRUE(s.ok()) << s;
    if (!s.ok() || part.empty()) return all;
    all += part;
  }
}

// One nats-server for the conformance suite; every store it makes has a bucket of its own.
class ConformanceServer : public ::testing::Environment {
 public:
  static ConformanceServer* Get() {
    static ConformanceServer* const kServer = [] {
      auto* server = new ConformanceServer;
      ::testing::AddGlobalTestEnvironment(server);  // gtest owns and tears it down
      return server;
    }();
    return kServer;
  }

  void TearDown() override {
    connection_.reset();
    server_.reset();
  }

  BlobStorePtr NewStore() {
    if (server_ == nullptr && !Connect()) return nullptr;
    ObjectBlobStoreOptions options;
    options.connection = connection_.get();
    options.bucket = absl::StrCat("conformance_", ++buckets_);
    options.chunk_size = kChunk;
    absl::StatusOr<std::unique_ptr<ObjectBlobStore>> store = ObjectBlobStore::Open(options, clock_);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    return *std::move(store);
  }

 private:
  bool Connect() {
    absl::StatusOr<std::unique_ptr<JetStreamServer>> server = JetStreamServer::Start(NewTestDir());
    EXPECT_TRUE(server.ok()) << server.status();
    if (!server.ok()) return false;
    server_ = std::move(*server);
    natsOptions* raw_opts = nullptr;
    if (natsOptions_Create(&raw_opts) != NATS_OK) return false;
    common::nats::NatsOptionsPtr opts(raw_opts);
    natsConnection* nc = nullptr;
    if (natsOptions_SetURL(raw_opts, server_->url().c_str()) != NATS_OK ||
        natsConnection_Connect(&nc, raw_opts) != NATS_OK) {
      return false;
    }
    connection_.reset(nc);
    return true;
  }

  common::FakeClock clock_;
  std::unique_ptr<JetStreamServer> server_;
  common::nats::NatsConnectionPtr connection_;
  int buckets_ = 0;
};

// Registered before main runs, so that gtest tears the server down after the last test.
const ConformanceServer* const kConformanceServer = ConformanceServer::Get();

INSTANTIATE_TEST_SUITE_P(Object, BlobStoreConformanceTest,
                         ::testing::Values(BlobStoreFactory{
                             "Object", [] { return ConformanceServer::Get()->NewStore(); }}),
                         BlobStoreFactoryName);

class ObjectBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTestDir();
    absl::StatusOr<std::unique_ptr<JetStreamServer>> server = JetStreamServer::Start(dir_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    natsOptions* raw_opts = nullptr;
    ASSERT_EQ(natsOptions_Create(&raw_opts), NATS_OK);
    common::nats::NatsOptionsPtr opts(raw_opts);
    ASSERT_EQ(natsOptions_SetURL(raw_opts, server_->url().c_str()), NATS_OK);
    natsConnection* nc = nullptr;
    ASSERT_EQ(natsConnection_Connect(&nc, raw_opts), NATS_OK);
    connection_.reset(nc);
    store_ = OpenStore();
  }

  std::unique_ptr<ObjectBlobStore> OpenStore(absl::Duration timeout = absl::Seconds(2)) {
    ObjectBlobStoreOptions options;
    options.connection = connection_.get();
    options.bucket = kBucket;
    options.chunk_size = kChunk;
    options.timeout = timeout;
    absl::StatusOr<std::unique_ptr<ObjectBlobStore>> store = ObjectBlobStore::Open(options, clock_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Uploads `bytes` in appends of `piece` bytes; returns Commit's answer.
  absl::StatusOr<bool> Put(const std::string& room, const std::string& bytes,
                           size_t piece = 10'000) {
    absl::StatusOr<std::unique_ptr<BlobWriter>> writer =
        store_->Create(room, common::Sha256Hex(bytes), "");
    if (!writer.ok()) return writer.status();
    for (size_t at = 0; at < bytes.size(); at += piece) {
      absl::Status s = (*writer)->Append(absl::string_view(bytes).substr(at, piece));
      if (!s.ok()) return s;
    }
    return (*writer)->Commit();
  }

  uint64_t MessageCount() {
    absl::StatusOr<uint64_t> n =
        JetStreamApi(connection_.get(), absl::Seconds(2)).MessageCount(store_->stream_name());
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(0);
  }

  std::string dir_;
  common::FakeClock clock_;
  std::unique_ptr<JetStreamServer> server_;
  common::nats::NatsConnectionPtr connection_;
  std::unique_ptr<ObjectBlobStore> store_;
};

TEST_F(ObjectBlobStoreTest, RoundTripsAtChunkBoundaries) {
  int seed = 1;
  for (size_t size : {size_t{0}, size_t{1}, kChunk - 1, kChunk, kChunk + 1, size_t{3} << 20}) {
    SCOPED_TRACE(size);
    std::string bytes = TestBytes(size, seed++);
    std::string address = common::Sha256Hex(bytes);
    absl::StatusOr<bool> created = Put(kRoomA, bytes, size > kChunk ? 70'000 : 1000);
    ASSERT_TRUE(created.ok()) << created.status();
    EXPECT_TRUE(*created);
    absl::StatusOr<BlobMeta> meta = store_->Stat(kRoomA, address);
    ASSERT_TRUE(meta.ok()) << meta.status();
    EXPECT_EQ(meta->size, size);
    EXPECT_EQ(meta->created_at_ms, clock_.NowMs());
    absl::StatusOr<std::unique_ptr<BlobReader>> reader = store_->Open(kRoomA, address);
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->meta().size, size);
    EXPECT_TRUE(ReadAll(**reader) == bytes);
    clock_.Advance(absl::Seconds(1));
  }
}

TEST_F(ObjectBlobStoreTest, ReuploadReturnsFalseAndKeepsOneObject) {
  std::string bytes = TestBytes(2 * kChunk + 5, 7);
  ASSERT_EQ(Put(kRoomA, bytes).value_or(false), true);
  uint64_t after_first = MessageCount();
  EXPECT_EQ(after_first, 3u + 1u);  // three chunks and one meta
  clock_.Advance(absl::Seconds(5));
  absl::StatusOr<bool> again = Put(kRoomA, bytes);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);
  EXPECT_EQ(MessageCount(), after_first);  // the second upload's chunks were purged
  absl::StatusOr<BlobMeta> meta = store_->Stat(kRoomA, common::Sha256Hex(bytes));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->created_at_ms, clock_.NowMs() - 5000);  // the first upload's time
}

TEST_F(ObjectBlobStoreTest, DroppedWriterLeavesNothing) {
  std::string bytes = TestBytes(3 * kChunk + 10, 3);
  {
    absl::StatusOr<std::unique_ptr<BlobWriter>> writer =
        store_->Create(kRoomA, common::Sha256Hex(bytes), "");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(bytes).ok());
    EXPECT_EQ(MessageCount(), 3u);  // full chunks went out as they filled; nothing visible
    EXPECT_TRUE(absl::IsNotFound(store_->Stat(kRoomA, common::Sha256Hex(bytes)).status()));
  }
  EXPECT_EQ(MessageCount(), 0u);
  EXPECT_TRUE(absl::IsNotFound(store_->Open(kRoomA, common::Sha256Hex(bytes)).status()));
}

TEST_F(ObjectBlobStoreTest, DeleteRoomRemovesOnlyThatRoom) {
  std::string a1 = TestBytes(kChunk + 1, 11), a2 = TestBytes(100, 12), b1 = TestBytes(500, 13);
  ASSERT_TRUE(Put(kRoomA, a1).value_or(false));
  ASSERT_TRUE(Put(kRoomA, a2).value_or(false));
  ASSERT_TRUE(Put(kRoomB, b1).value_or(false));
  ASSERT_TRUE(store_->DeleteRoom(kRoomA).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->Stat(kRoomA, common::Sha256Hex(a1)).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->Open(kRoomA, common::Sha256Hex(a2)).status()));
  absl::StatusOr<std::unique_ptr<BlobReader>> b = store_->Open(kRoomB, common::Sha256Hex(b1));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(ReadAll(**b) == b1);
  // Left: b1's chunk and meta, and a deleted-marker meta for each of room A's blobs.
  EXPECT_EQ(MessageCount(), 2u + 2u);
  EXPECT_TRUE(store_->DeleteRoom(kRoomA).ok());  // again: nothing to do
  EXPECT_TRUE(store_->DeleteRoom(std::string(32, 'c')).ok());  // a room without blobs
  // A deleted blob can be uploaded again.
  EXPECT_EQ(Put(kRoomA, a2).value_or(false), true);
  EXPECT_TRUE(store_->Stat(kRoomA, common::Sha256Hex(a2)).ok());
}

TEST_F(ObjectBlobStoreTest, ConcurrentUploadsOfOneAddressStoreItOnce) {
  std::string bytes = TestBytes(kChunk + 3, 17);
  constexpr int kWriters = 4;
  std::vector<absl::StatusOr<bool>> results(kWriters, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] { results[i] = Put(kRoomA, bytes, 5000); });
  }
  for (std::thread& t : threads) t.join();
  int created = 0;
  for (const absl::StatusOr<bool>& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    created += *r ? 1 : 0;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(MessageCount(), 2u + 1u);  // one object's two chunks and its meta
  absl::StatusOr<std::unique_ptr<BlobReader>> reader = store_->Open(kRoomA, common::Sha256Hex(bytes));
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE(ReadAll(**reader) == bytes);
}

TEST_F(ObjectBlobStoreTest, MalformedNamesAreInvalidArgument) {
  const std::string good = common::Sha256Hex("x");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"ABCDEF0123456789abcdef0123456789", good},  // uppercase room
      {kRoomA.substr(1), good},                     // short room
      {kRoomA, good.substr(2)},                     // short address
      {kRoomA, absl::StrCat(good.substr(1), "/")},  // separator in address
      {absl::StrCat(kRoomA.substr(1), "/"), good},
      {kRoomA, absl::StrCat(good.substr(1), "G")},
  };
  for (const auto& [room, address] : bad) {
    SCOPED_TRACE(absl::StrCat(room, " ", address));
    EXPECT_TRUE(absl::IsInvalidArgument(store_->Create(room, address, "").status()));
    EXPECT_TRUE(absl::IsInvalidArgument(store_->Stat(room, address).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(store_->Open(room, address).status()));
  }
  EXPECT_TRUE(absl::IsInvalidArgument(store_->DeleteRoom("abc")));
  EXPECT_TRUE(absl::IsInvalidArgument(store_->DeleteRoom(std::string(32, 'A'))));
}

TEST_F(ObjectBlobStoreTest, StoppedServerIsUnavailableNotNotFound) {
  std::string bytes = TestBytes(1000, 5);
  ASSERT_TRUE(Put(kRoomA, bytes).value_or(false));
  store_ = OpenStore(absl::Milliseconds(300));
  server_->process().Stop();
  for (const std::string& address : {common::Sha256Hex(bytes), common::Sha256Hex("absent")}) {
    absl::Status stat = store_->Stat(kRoomA, address).status();
    EXPECT_TRUE(absl::IsUnavailable(stat)) << stat;
    absl::Status open = store_->Open(kRoomA, address).status();
    EXPECT_TRUE(absl::IsUnavailable(open)) << open;
  }
  EXPECT_TRUE(absl::IsUnavailable(store_->DeleteRoom(kRoomA)));
}

TEST_F(ObjectBlobStoreTest, BytesThatDoNotMatchTheDigestAreDataLoss) {
  std::string bytes = TestBytes(kChunk + 100, 9);
  ASSERT_TRUE(Put(kRoomA, bytes).value_or(false));
  // Rewrite the meta so that it claims other bytes of the same size.
  std::string name = absl::StrCat(kRoomA, "/", common::Sha256Hex(bytes));
  absl::StatusOr<std::optional<ObjectBlobStore::MetaRecord>> record = store_->ReadMeta(name);
  ASSERT_TRUE(record.ok() && record->has_value());
  object_layout::ObjectInfo forged = (*record)->info;
  forged.digest = object_layout::DigestValue(std::string(32, '\x01'));
  JetStreamApi api(connection_.get(), absl::Seconds(2));
  ASSERT_TRUE(api.Publish(object_layout::MetaSubject(kBucket, name),
                          object_layout::EncodeObjectInfo(forged),
                          {{"Nats-Rollup", "sub"}})
                  .ok());
  absl::StatusOr<std::unique_ptr<BlobReader>> reader =
      store_->Open(kRoomA, common::Sha256Hex(bytes));
  ASSERT_TRUE(reader.ok());
  std::string part, got;
  absl::Status s;
  while ((s = (*reader)->Read(kChunk / 2, &part)).ok() && !part.empty()) got += part;
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_LT(got.size(), bytes.size());  // the last chunk was never handed out
}

TEST_F(ObjectBlobStoreTest, OpenBindsToAnExistingBucketAndRefusesAForeignStream) {
  ASSERT_TRUE(Put(kRoomA, "hello").value_or(false));
  std::unique_ptr<ObjectBlobStore> second = OpenStore();  // another node
  ASSERT_NE(second, nullptr);
  EXPECT_TRUE(second->Stat(kRoomA, common::Sha256Hex("hello")).ok());
  JetStreamApi api(connection_.get(), absl::Seconds(2));
  ASSERT_TRUE(api.Call("$JS.API.STREAM.CREATE.OBJ_other",
                       R"({"name":"OBJ_other","subjects":["other.>"],"storage":"memory"})")
                  .ok());
  ObjectBlobStoreOptions options;
  options.connection = connection_.get();
  options.bucket = "other";
  EXPECT_TRUE(absl::IsFailedPrecondition(ObjectBlobStore::Open(options, clock_).status()));
  options.bucket = "bad.name";
  EXPECT_TRUE(absl::IsInvalidArgument(ObjectBlobStore::Open(options, clock_).status()));
}

// Interop with the Go client, through the real `nats` CLI.
class ObjectBlobStoreCliTest : public ObjectBlobStoreTest {
 protected:
  void SetUp() override {
    const char* cli = getenv("UNIBUS_NATS_CLI");
    ASSERT_TRUE(cli != nullptr && *cli != '\0')
        << "UNIBUS_NATS_CLI is not set: run through `tools/dev test`, or pass "
           "--test_env=UNIBUS_NATS_CLI=/path/to/nats (tools/install-deps builds it into .tools/bin)";
    cli_ = cli;
    ASSERT_EQ(access(cli_.c_str(), X_OK), 0) << "UNIBUS_NATS_CLI=" << cli_ << " is not executable";
    ObjectBlobStoreTest::SetUp();
  }

  // Runs `nats --server URL --no-context <args...>`; returns its exit code, output in *output.
  int Nats(const std::vector<std::string>& args, std::string* output = nullptr) {
    std::string log = absl::StrCat(dir_, "/nats-cli-", runs_++, ".log");
    std::vector<std::string> argv = {cli_, "--server", server_->url(), "--no-context"};
    argv.insert(argv.end(), args.begin(), args.end());
    int rc = common::testing::RunToCompletion(argv, log);
    std::string text = common::testing::ReadFileOrEmpty(log);
    if (output != nullptr) *output = text;
    if (rc != 0) ADD_FAILURE() << "nats " << args[0] << " exited " << rc << ":\n" << text;
    return rc;
  }

  std::string cli_;
  int runs_ = 0;
};

TEST_F(ObjectBlobStoreCliTest, NatsCliReadsOurBlobs) {
  std::string bytes = TestBytes(2 * kChunk + 77, 21);
  ASSERT_TRUE(Put(kRoomA, bytes).value_or(false));
  std::string name = absl::StrCat(kRoomA, "/", common::Sha256Hex(bytes));
  std::string listing;
  ASSERT_EQ(Nats({"object", "ls", kBucket}, &listing), 0);
  EXPECT_NE(listing.find(name), std::string::npos) << listing;
  std::string info;
  ASSERT_EQ(Nats({"object", "info", kBucket, name}, &info), 0);
  EXPECT_NE(info.find(name), std::string::npos) << info;
  std::string out = dir_ + "/got.bin";
  ASSERT_EQ(Nats({"object", "get", kBucket, name, "--output", out, "--no-progress", "--force"}), 0);
  std::ifstream in(out, std::ios::binary);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got.size(), bytes.size());
  EXPECT_TRUE(got == bytes);
}

TEST_F(ObjectBlobStoreCliTest, WeReadBlobsPutByNatsCli) {
  ASSERT_TRUE(Put(kRoomA, "stays").value_or(false));  // keeps `ls` non-empty at the end
  for (size_t size : {size_t{0}, size_t{300'000}}) {
    SCOPED_TRACE(size);
    std::string bytes = TestBytes(size, 31 + static_cast<int>(size));
    std::string file = absl::StrCat(dir_, "/put", size, ".bin");
    std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(size));
    std::string address = common::Sha256Hex(bytes);
    ASSERT_EQ(Nats({"object", "put", kBucket, file, "--name", absl::StrCat(kRoomB, "/", address),
                    "--no-progress", "--force"}),
              0);
    absl::StatusOr<BlobMeta> meta = store_->Stat(kRoomB, address);
    ASSERT_TRUE(meta.ok()) << meta.status();
    EXPECT_EQ(meta->size, size);
    EXPECT_GT(meta->created_at_ms, 0);  // the meta message's stream timestamp
    absl::StatusOr<std::unique_ptr<BlobReader>> reader = store_->Open(kRoomB, address);
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_TRUE(ReadAll(**reader) == bytes);
    // Our upload of the same bytes finds it and stores nothing.
    EXPECT_EQ(Put(kRoomB, bytes).value_or(true), false);
  }
  ASSERT_TRUE(store_->DeleteRoom(kRoomB).ok());
  std::string listing;
  Nats({"object", "ls", kBucket}, &listing);
  EXPECT_EQ(listing.find(kRoomB), std::string::npos) << listing;
  EXPECT_NE(listing.find(kRoomA), std::string::npos) << listing;
}

}  // namespace
}  // namespace unibus::control::blob
