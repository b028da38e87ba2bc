// blob_bench: encrypted blobs (issue #5, DESIGN.md §11 "Blobs"), measured end to end through
// libunibus against references taken in the same process and the same run (the machine is
// shared and noisy: only same-run ratios mean anything).
//
// It starts the real unibusd (control/testing/unibusd_process.h: its own process, mTLS, SQLite
// and the disk blob store in a temp dir; no NATS) and an in-process "transport" gRPC server with
// the same TLS mode and HTTP/2 settings whose BlobService does nothing. Then, --rounds times, in
// an order that rotates per round, one blob of --blob_bytes (default: the largest a default
// unibusd takes, 16 MiB of ciphertext) through each path:
//   (1)  e2e      : Client::PutBlob, then Client::GetBlob (connect_nats = false): encryption,
//                   sha256, TLS gRPC, unibusd hashing and writing to disk with fsync, download,
//                   sha256 and decryption;
//   (2a) crypto   : the library's own cipher (client/internal/blob_cipher.h) in this process:
//                   SealBlob (encrypt + sha256) and OpenBlob (sha256 + decrypt), and their parts;
//   (2b) raw      : the same ciphertext size through raw BlobService stubs on the same unibusd
//                   (no client crypto): what the server and the transport cost;
//   (2c) transport: the same through raw stubs on the in-process no-op BlobService (PutBlob
//                   discards the chunks, GetBlob streams the bytes from memory);
//   (2c')         : the same with gRPC's default stream window (BDP probing) instead of
//                   unibusd's fixed 256 KiB one, to show what that costs;
//   (d)  disk     : write + fsync + rename of the same bytes next to unibusd's blob directory,
//                   as DiskBlobStore commits an upload (a reference, not a baseline).
// Afterwards, --concurrency clients (one identity and connection each) put one blob each at
// the same time, through the library (which retries the upload budget's refusals) and through
// raw stubs (which count them), while unibusd's peak resident memory is tracked (VmHWM after
// clear_refs, and VmRSS sampled every 5 ms).
// Not a test: it prints tables and exits 1 only if a call failed, never for a missed goal.
// See bench/README.md.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_env.h"
#include "bench/cpu_time.h"
#include "bench/report.h"
#include "bench/stats.h"
#include "client/client.h"
#include "client/internal/blob_cipher.h"
#include "client/testing/peers.h"
#include "common/crypto/cert.h"
#include "common/crypto/identity.h"
#include "common/testing/process_memory.h"
#include "control/server/transport_limits.h"
#include "control/testing/unibusd_process.h"
#include "unibus/v1/blobs.grpc.pb.h"

ABSL_FLAG(int, rounds, 7, "Rounds; each moves one blob through every path, in an order rotating "
                          "per round. Medians are reported.");
ABSL_FLAG(int, warmup_rounds, 1, "Untimed rounds first.");
ABSL_FLAG(uint64_t, blob_bytes, 0,
          "Plaintext bytes of each blob. 0: the largest blob unibusd's default --max_blob_bytes "
          "takes (16 MiB of ciphertext = 16,772,840 bytes of plaintext). Over that, unibusd is "
          "started with a --max_blob_bytes to match.");
ABSL_FLAG(int, concurrency, 40, "Clients uploading one blob each at once in the memory phase "
                                "(0: no memory phase).");
ABSL_FLAG(bool, raw_concurrent, true, "Also run the memory phase with raw stubs that count the "
                                      "budget's refusals.");
ABSL_FLAG(uint64_t, upload_budget_bytes, 64 << 20,
          "unibusd --blob_upload_budget_bytes (its default is 64 MiB).");
ABSL_FLAG(int, alt_window_bytes, 0,
          "Stream receive window of the (2c') transport server: 0 = gRPC's default, grown by BDP "
          "probing; otherwise a fixed window of this many bytes without BDP probing (to try a "
          "size for unibusd's).");
ABSL_FLAG(std::string, tmpdir, "", "Where the temporary directory goes (default $TMPDIR or "
                                   "/tmp). Removed at exit unless --keep_dir.");
ABSL_FLAG(bool, keep_dir, false, "Keep the temporary directory (unibusd's log and blobs).");
ABSL_FLAG(bool, print_run_times, false,
          "Print each timed operation's CLOCK_MONOTONIC start and end to stderr, to slice a "
          "profile (perf record -k CLOCK_MONOTONIC, then perf report --time START,END).");

namespace unibus::bench {
namespace {

using client::Client;
using client::internal::SealedBlob;
using common::Identity;
using common::PemKeyPair;
using common::testing::ProcessMemory;
using common::testing::ResetPeak;

constexpr double kGoalMBps = 300;  // issue #5: put + get of a 16 MiB blob, end to end
// unibusd's default --max_blob_bytes (ciphertext bytes) and libunibus's default
// ClientOptions::max_blob_bytes (plaintext bytes).
constexpr uint64_t kDefaultMaxBlob = 16 << 20;
constexpr double kMiB = 1 << 20;
// What the library and unibusd do, mirrored by the raw paths (neither constant is exported):
constexpr size_t kUploadChunkBytes = 512 << 10;    // client_blobs.cc kUploadChunkSize
constexpr size_t kDownloadChunkBytes = 512 << 10;  // BlobServiceOptions::download_chunk_bytes
// unibusd's --max_message_bytes default (main.cc); its other transport settings are
// control/server/transport_limits.h.
constexpr int kMaxMessageBytes = 1 << 20;
using control::server::kStreamWindowBytes;
constexpr char kRetryAfterKey[] = "unibus-retry-after-ms";

// ---------------------------------------------------------------------------------------------
// Formatting (the rest is in report.h)

constexpr int kRuleWidth = 112;  // of the tables' rules (report.h PrintRule)

double MBps(uint64_t bytes, double seconds) { return seconds > 0 ? bytes / 1e6 / seconds : 0; }

// ---------------------------------------------------------------------------------------------
// Timing one operation: wall time, this process's CPU, unibusd's CPU.

struct Sample {
  double seconds = 0;
  double self_cpu_s = 0;    // this process: client threads (and the transport server in (2c))
  double self_sys_s = 0;    // its kernel part
  double server_cpu_s = 0;  // unibusd, every thread, exited ones too (ProcessCpuTicksNs)
};

absl::Status Timed(pid_t server_pid, const std::string& name,
                   const std::function<absl::Status()>& op, Sample* out) {
  const int64_t cpu0 = SelfCpuNs(), sys0 = SelfCpuNs(true), srv0 = ProcessCpuTicksNs(server_pid);
  const int64_t t0 = NowNs();
  absl::Status s = op();
  const int64_t t1 = NowNs();
  out->seconds = (t1 - t0) / 1e9;
  out->self_cpu_s = (SelfCpuNs() - cpu0) / 1e9;
  out->self_sys_s = (SelfCpuNs(true) - sys0) / 1e9;
  out->server_cpu_s = (ProcessCpuTicksNs(server_pid) - srv0) / 1e9;
  if (absl::GetFlag(FLAGS_print_run_times)) {
    std::fprintf(stderr, "run %-16s monotonic %.6f,%.6f\n", name.c_str(), t0 / 1e9, t1 / 1e9);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// gRPC plumbing shared by the raw paths (2b) and (2c)

absl::Status ToAbsl(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

struct PutOutcome {
  absl::Status status;
  std::optional<int> retry_after_ms;  // the server's pushback on a budget refusal
};

// Uploads `ciphertext` as the library does: the header, then 512 KiB chunks, the last one
// half-closing the stream. REQUIRES: !ciphertext.empty().
PutOutcome RawPut(v1::BlobService::Stub& stub, const std::string& room_id,
                  const std::string& address, absl::string_view ciphertext) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::PutBlobResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::PutBlobRequest>> writer =
      stub.PutBlob(&context, &response);
  v1::PutBlobRequest request;
  request.mutable_header()->set_room_id(room_id);
  request.mutable_header()->set_address(address);
  request.mutable_header()->set_size(ciphertext.size());
  bool open = writer->Write(request);
  for (size_t done = 0; open && done < ciphertext.size();) {
    size_t n = std::min(kUploadChunkBytes, ciphertext.size() - done);
    request.set_chunk(ciphertext.data() + done, n);
    grpc::WriteOptions options;
    if (done + n == ciphertext.size()) options.set_last_message();
    open = writer->Write(request, options);
    done += n;
  }
  PutOutcome out{ToAbsl(writer->Finish()), std::nullopt};
  const auto& trailers = context.GetServerTrailingMetadata();
  if (auto it = trailers.find(kRetryAfterKey); it != trailers.end()) {
    int ms = 0;
    if (absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()), &ms)) {
      out.retry_after_ms = ms;
    }
  }
  if (out.status.ok() && response.info().size() != ciphertext.size()) {
    out.status =
        absl::InternalError(absl::StrCat("PutBlob answered size ", response.info().size()));
  }
  return out;
}

// Downloads a blob into *out (no hashing, no decryption).
absl::Status RawGet(v1::BlobService::Stub& stub, const std::string& room_id,
                    const std::string& address, uint64_t expected, std::string* out) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::GetBlobRequest request;
  request.set_room_id(room_id);
  request.set_address(address);
  out->clear();
  out->reserve(expected);
  std::unique_ptr<grpc::ClientReader<v1::GetBlobResponse>> reader =
      stub.GetBlob(&context, request);
  v1::GetBlobResponse part;
  while (reader->Read(&part)) {
    if (part.has_chunk()) out->append(part.chunk());
  }
  absl::Status s = ToAbsl(reader->Finish());
  if (s.ok() && out->size() != expected) {
    return absl::DataLossError(absl::StrCat("GetBlob sent ", out->size(), " of ", expected));
  }
  return s;
}

// (2c): unibusd's BlobService minus everything but the transport. PutBlob reads and discards
// the chunks; GetBlob streams `blob` in unibusd's chunk size, copying each chunk into the
// message as unibusd's read() into it does.
class TransportBlobService final : public v1::BlobService::Service {
 public:
  explicit TransportBlobService(std::string blob) : blob_(std::move(blob)) {}

  grpc::Status PutBlob(grpc::ServerContext*, grpc::ServerReader<v1::PutBlobRequest>* reader,
                       v1::PutBlobResponse* response) override {
    v1::PutBlobRequest request;
    uint64_t received = 0;
    while (reader->Read(&request)) {
      if (request.has_chunk()) received += request.chunk().size();
    }
    response->mutable_info()->set_size(received);
    response->set_created(true);
    return grpc::Status::OK;
  }

  grpc::Status GetBlob(grpc::ServerContext*, const v1::GetBlobRequest*,
                       grpc::ServerWriter<v1::GetBlobResponse>* writer) override {
    v1::GetBlobResponse response;
    response.mutable_info()->set_size(blob_.size());
    if (!writer->Write(response)) return grpc::Status::CANCELLED;
    for (size_t done = 0; done < blob_.size();) {
      size_t n = std::min(kDownloadChunkBytes, blob_.size() - done);
      response.set_chunk(blob_.data() + done, n);
      if (!writer->Write(response)) return grpc::Status::CANCELLED;
      done += n;
    }
    return grpc::Status::OK;
  }

 private:
  const std::string blob_;
};

// The same TLS mode, message limits and HTTP/2 settings as ControlServer::Start, and the same
// sync server model, except the stream window: a fixed `window` bytes without BDP probing
// (unibusd: 256 KiB), or with `window` 0 gRPC's default, grown by BDP probing.
std::unique_ptr<grpc::Server> StartTransportServer(const PemKeyPair& server_cert,
                                                   grpc::Service* service, int window,
                                                   int* port) {
  grpc::SslServerCredentialsOptions tls(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  tls.pem_key_cert_pairs.push_back({server_cert.key_pem, server_cert.cert_pem});
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), port);
  control::server::ApplyTransportLimits(builder, kMaxMessageBytes, window);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

// A connection of its own with the client arguments libunibus uses (control_link.cc).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, const std::string& ca_pem,
                                           const Identity& identity) {
  PemKeyPair cert = common::MakeClientCertificate(identity).value();
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ca_pem;
  tls.pem_private_key = cert.key_pem;
  tls.pem_cert_chain = cert.cert_pem;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(4 << 20);
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(tls), args);
}

// ---------------------------------------------------------------------------------------------
// (d): what DiskBlobWriter does with an upload, in its two steps: the writes as the chunks
// arrive (512 KiB each), then Commit: fsync, rename into place, fsync of the directory.

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status WriteBlobFile(const std::string& path, absl::string_view bytes, int* fd) {
  *fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (*fd < 0) return Errno("open");
  for (size_t done = 0; done < bytes.size();) {
    ssize_t w = write(*fd, bytes.data() + done, std::min(kUploadChunkBytes, bytes.size() - done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Errno("write");
    done += static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

absl::Status CommitBlobFile(int fd, const std::string& path, const std::string& final_path,
                            const std::string& dir) {
  if (fsync(fd) != 0) return Errno("fsync");
  if (rename(path.c_str(), final_path.c_str()) != 0) return Errno("rename");
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Errno("open dir");
  int rc = fsync(dir_fd);
  close(dir_fd);
  return rc == 0 ? absl::OkStatus() : Errno("fsync dir");
}

// ---------------------------------------------------------------------------------------------
// The rounds

// Rows of the results, each one sample per round.
enum Row {
  kE2ePut, kE2eGet,
  kSeal, kOpen, kSha256, kDecrypt, kMemcpy,
  kRawPut, kRawGet,
  kTransportPut, kTransportGet,
  kWindowPut, kWindowGet,
  kDiskWrite, kDiskCommit,
  kRows
};
constexpr const char* kRowNames[kRows] = {
    "e2e PutBlob", "e2e GetBlob", "SealBlob", "OpenBlob", "sha256", "DecryptBlob", "memcpy",
    "raw put", "raw get", "transport put", "transport get",
    "transport' put", "transport' get", "disk write", "disk commit"};

enum Case { kCaseE2e, kCaseCrypto, kCaseRaw, kCaseTransport, kCaseWindow, kCaseDisk, kCases };
constexpr const char* kCaseNames[kCases] = {"e2e", "crypto", "raw", "transport", "transport'",
                                            "disk"};

struct Fixture {
  control::testing::UnibusdProcess* server = nullptr;
  Client* client = nullptr;
  std::string room_id;
  v1::BlobService::Stub* raw = nullptr;        // on unibusd, the owner's own connection
  v1::BlobService::Stub* transport = nullptr;  // on the in-process no-op server
  v1::BlobService::Stub* window = nullptr;     // the same with gRPC's default window
  std::string plaintext;
  uint64_t ciphertext_bytes = 0;
  std::string disk_dir;
};

// Times the operations of one round into their rows (one sample each); a failure names its row.
class RowTimer {
 public:
  RowTimer(pid_t server_pid, std::vector<std::vector<Sample>>& rows)
      : server_pid_(server_pid), rows_(rows) {}

  absl::Status operator()(Row row, const std::function<absl::Status()>& op) {
    Sample sample;
    absl::Status s = Timed(server_pid_, kRowNames[row], op, &sample);
    rows_[row].push_back(sample);
    if (s.ok()) return s;
    return absl::Status(s.code(), absl::StrCat(kRowNames[row], ": ", s.message()));
  }

 private:
  const pid_t server_pid_;
  std::vector<std::vector<Sample>>& rows_;
};

absl::Status RunE2e(const Fixture& f, RowTimer& timed) {
  absl::StatusOr<v1::BlobRef> ref;
  absl::Status s = timed(kE2ePut, [&] {
    ref = f.client->PutBlob(f.room_id, f.plaintext);
    return ref.status();
  });
  if (!s.ok()) return s;
  absl::StatusOr<std::string> got;
  s = timed(kE2eGet, [&] {
    got = f.client->GetBlob(f.room_id, *ref);
    return got.status();
  });
  if (!s.ok()) return s;
  if (*got != f.plaintext) return absl::DataLossError("GetBlob returned other bytes");
  return absl::OkStatus();
}

absl::Status RunCrypto(const Fixture& f, RowTimer& timed) {
  std::optional<SealedBlob> blob;
  absl::Status s = timed(kSeal, [&] {
    blob.emplace(client::internal::SealBlob(f.plaintext));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  v1::BlobRef ref;
  ref.set_address(blob->address);
  ref.set_key(std::string(blob->key.view()));
  ref.set_size(f.plaintext.size());
  absl::StatusOr<std::string> opened;
  s = timed(kOpen, [&] {
    opened = client::internal::OpenBlob(blob->ciphertext, ref);
    return opened.status();
  });
  if (!s.ok()) return s;
  if (*opened != f.plaintext) return absl::DataLossError("OpenBlob returned other bytes");
  std::string address;
  s = timed(kSha256, [&] {
    address = client::internal::BlobAddress(blob->ciphertext);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  s = timed(kDecrypt, [&] {
    opened = client::internal::DecryptBlob(blob->ciphertext, blob->key.view());
    return opened.status();
  });
  if (!s.ok()) return s;
  std::string copy;
  return timed(kMemcpy, [&] {
    copy.assign(blob->ciphertext);  // an allocation and one pass, as every copy of a blob costs
    return absl::OkStatus();
  });
}

// Raw stubs: (2b) on unibusd, (2c) and (2c') on the transport servers.
absl::Status RunRawPath(const Fixture& f, Case c, RowTimer& timed) {
  // A fresh ciphertext each round, so that unibusd stores it (a known address skips the write).
  SealedBlob blob = client::internal::SealBlob(f.plaintext);
  const bool on_unibusd = c == kCaseRaw;
  v1::BlobService::Stub& stub =
      on_unibusd ? *f.raw : c == kCaseTransport ? *f.transport : *f.window;
  const Row put = on_unibusd ? kRawPut : c == kCaseTransport ? kTransportPut : kWindowPut;
  absl::Status s = timed(put, [&] {
    return RawPut(stub, f.room_id, blob.address, blob.ciphertext).status;
  });
  if (!s.ok()) return s;
  std::string got;
  s = timed(static_cast<Row>(put + 1), [&] {
    return RawGet(stub, f.room_id, blob.address, f.ciphertext_bytes, &got);
  });
  if (!s.ok()) return s;
  if (on_unibusd && got != blob.ciphertext) return absl::DataLossError("raw get: other bytes");
  return absl::OkStatus();
}

absl::Status RunDisk(const Fixture& f, RowTimer& timed) {
  SealedBlob blob = client::internal::SealBlob(f.plaintext);
  const std::string path = f.disk_dir + "/blob.part";
  int fd = -1;
  absl::Status s = timed(kDiskWrite, [&] { return WriteBlobFile(path, blob.ciphertext, &fd); });
  if (s.ok()) {
    s = timed(kDiskCommit, [&] {
      return CommitBlobFile(fd, path, f.disk_dir + "/blob", f.disk_dir);
    });
  }
  if (fd >= 0) close(fd);
  return s;
}

// One case of one round; appends one sample to each of its rows.
absl::Status RunCase(const Fixture& f, Case c, std::vector<std::vector<Sample>>& rows) {
  RowTimer timed(f.server->pid(), rows);
  switch (c) {
    case kCaseE2e:
      return RunE2e(f, timed);
    case kCaseCrypto:
      return RunCrypto(f, timed);
    case kCaseRaw:
    case kCaseTransport:
    case kCaseWindow:
      return RunRawPath(f, c, timed);
    case kCaseDisk:
      return RunDisk(f, timed);
    case kCases:
      break;
  }
  return absl::InternalError("no such case");
}

// ---------------------------------------------------------------------------------------------
// The memory phase: `n` uploads at once

struct ConcurrentResult {
  std::string name;
  int uploads = 0;
  double seconds = 0;
  uint64_t baseline = 0;  // VmRSS just before
  uint64_t hwm = 0;       // VmHWM after, reset just before (0 if it could not be reset)
  uint64_t sampled = 0;   // highest VmRSS sampled every 5 ms
  uint64_t after = 0;     // VmRSS once all uploads finished
  int failures = 0;
  std::string first_error;
  int64_t refusals = -1;  // -1: not observable
  std::string refusals_note;
  double self_cpu_s = 0;
  double server_cpu_s = 0;
  uint64_t peak() const { return std::max(hwm, sampled); }
  uint64_t growth() const { return peak() > baseline ? peak() - baseline : 0; }
};

// Runs upload(i) on n threads released together while sampling unibusd's memory.
ConcurrentResult RunConcurrent(const std::string& name, pid_t pid, int n,
                               const std::function<absl::Status(int)>& upload) {
  ConcurrentResult r;
  r.name = name;
  r.uploads = n;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> sampled{0};
  std::vector<absl::Status> results(n);
  std::atomic<int> ready{0};
  absl::Notification go;
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      go.WaitForNotification();
      results[i] = upload(i);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  r.baseline = ProcessMemory(pid, "VmRSS");
  const bool peak_reset = ResetPeak(pid);  // if not, VmHWM is the lifetime peak: sampling only
  std::thread sampler([&] {
    while (!done.load()) {
      uint64_t rss = ProcessMemory(pid, "VmRSS");
      if (rss > sampled.load()) sampled.store(rss);
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  const int64_t cpu0 = SelfCpuNs(), srv0 = ProcessCpuTicksNs(pid), t0 = NowNs();
  go.Notify();
  for (std::thread& t : threads) t.join();
  const int64_t t1 = NowNs();
  r.self_cpu_s = (SelfCpuNs() - cpu0) / 1e9;
  r.server_cpu_s = (ProcessCpuTicksNs(pid) - srv0) / 1e9;
  done.store(true);
  sampler.join();
  r.seconds = (t1 - t0) / 1e9;
  r.hwm = peak_reset ? ProcessMemory(pid, "VmHWM") : 0;
  r.sampled = sampled.load();
  r.after = ProcessMemory(pid, "VmRSS");
  for (const absl::Status& s : results) {
    if (s.ok()) continue;
    if (r.failures++ == 0) r.first_error = s.ToString();
  }
  if (absl::GetFlag(FLAGS_print_run_times)) {
    std::fprintf(stderr, "run %-16s monotonic %.6f,%.6f\n", name.c_str(), t0 / 1e9, t1 / 1e9);
  }
  return r;
}

// The pause a refused raw upload waits: the server's pushback plus up to as much again of
// jitter, as libunibus does.
absl::Duration Pause(int retry_after_ms, std::minstd_rand& rng) {
  int ms = std::max(10, retry_after_ms);
  return absl::Milliseconds(ms + static_cast<int>(rng() % (static_cast<unsigned>(ms) + 1)));
}

// ---------------------------------------------------------------------------------------------
// Results: one sample per round and row.

struct Results {
  uint64_t blob_bytes = 0;        // plaintext
  uint64_t ciphertext_bytes = 0;
  std::vector<std::vector<Sample>> rows = std::vector<std::vector<Sample>>(kRows);

  // Bytes a row moves: plaintext for the library's own calls, ciphertext for the rest.
  uint64_t Bytes(Row r) const {
    return r == kE2ePut || r == kE2eGet || r == kSeal || r == kOpen ? blob_bytes
                                                                     : ciphertext_bytes;
  }
  size_t rounds() const { return rows[kE2ePut].size(); }
  double Ms(Row r) const {
    std::vector<double> v;
    for (const Sample& s : rows[r]) v.push_back(1e3 * s.seconds);
    return Median(v);
  }
  // CPU: the mean over rounds (unibusd's is counted in 10 ms ticks), in ms.
  double CpuMs(Row r, double Sample::*field) const {
    double sum = 0;
    for (const Sample& s : rows[r]) sum += s.*field;
    return rows[r].empty() ? 0 : 1e3 * sum / rows[r].size();
  }
  double TotalCpuMs(Row r) const {
    return CpuMs(r, &Sample::self_cpu_s) + CpuMs(r, &Sample::server_cpu_s);
  }
  std::vector<double> Rates(Row r) const {
    std::vector<double> v;
    for (const Sample& s : rows[r]) v.push_back(MBps(Bytes(r), s.seconds));
    return v;
  }
  // bytes / (put time + get time) of each round.
  std::vector<double> Combined(Row put, Row get) const {
    std::vector<double> v;
    for (size_t i = 0; i < rows[put].size() && i < rows[get].size(); ++i) {
      v.push_back(MBps(Bytes(put), rows[put][i].seconds + rows[get][i].seconds));
    }
    return v;
  }
};

std::vector<double> Ratios(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> v;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) v.push_back(b[i] > 0 ? a[i] / b[i] : 0);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Setup: unibusd, the owner's client and room, the in-process transport server, the stubs.

// The plaintext of every blob: not compressible (gRPC does not compress anyway).
std::string MakePlaintext(uint64_t n) {
  std::string s(n, '\0');
  randombytes_buf(s.data(), s.size());
  return s;
}

absl::StatusOr<std::unique_ptr<Client>> ConnectControlOnly(
    const control::testing::UnibusdProcess& server, const Identity& identity, uint64_t max_blob) {
  client::ClientOptions options;
  options.control_urls = {server.target()};
  options.ca_pem = server.ca_pem();
  options.connect_nats = false;
  options.max_blob_bytes = max_blob;
  return client::testing::ConnectWhenAllowed(identity, options);
}

struct Bench {
  std::unique_ptr<control::testing::UnibusdProcess> server;
  uint64_t client_max_blob = 0;
  Identity owner = Identity::Generate();
  std::unique_ptr<Client> owner_client;
  std::unique_ptr<TransportBlobService> transport_service, window_service;
  std::unique_ptr<grpc::Server> transport_server, window_server;
  std::unique_ptr<v1::BlobService::Stub> raw_stub, transport_stub, window_stub;
  Fixture f;

  ~Bench() {
    transport_stub.reset();
    window_stub.reset();
    for (grpc::Server* server : {transport_server.get(), window_server.get()}) {
      if (server != nullptr) server->Shutdown(std::chrono::system_clock::now());
    }
  }
};

absl::Status StartBench(const std::string& dir, uint64_t blob_bytes, uint64_t budget,
                        Bench* b) {
  const uint64_t ciphertext_bytes = client::internal::CiphertextSize(blob_bytes);
  b->client_max_blob = std::max(kDefaultMaxBlob, blob_bytes);
  const std::string server_dir = dir + "/unibusd";
  b->f.disk_dir = dir + "/disk";
  mkdir(server_dir.c_str(), 0700);
  mkdir(b->f.disk_dir.c_str(), 0700);
  std::vector<std::string> flags = {absl::StrCat("--blob_upload_budget_bytes=", budget)};
  if (ciphertext_bytes > kDefaultMaxBlob) {
    flags.push_back(absl::StrCat("--max_blob_bytes=", ciphertext_bytes));
  }
  auto started = control::testing::UnibusdProcess::Start(server_dir, flags);
  if (!started.ok()) return started.status();
  b->server = *std::move(started);
  std::printf("unibusd pid %d on %s:", static_cast<int>(b->server->pid()),
              b->server->target().c_str());
  for (const std::string& flag : flags) std::printf(" %s", flag.c_str());
  std::printf("\n");

  if (auto added = b->server->AddUser(b->owner, v1::ROLE_MEMBER, "owner"); !added.ok()) {
    return added.status();
  }
  auto owner_client = ConnectControlOnly(*b->server, b->owner, b->client_max_blob);
  if (!owner_client.ok()) return owner_client.status();
  b->owner_client = *std::move(owner_client);
  client::RoomSettings settings;
  settings.name = "blobs";
  settings.history = false;
  absl::StatusOr<v1::Room> room = b->owner_client->CreateRoom(settings);
  if (!room.ok()) return room.status();

  PemKeyPair ca = common::MakeCertificateAuthority("unibus bench CA").value();
  PemKeyPair cert = common::IssueServerCertificate(ca, {"localhost", "127.0.0.1"}).value();
  b->transport_service = std::make_unique<TransportBlobService>(MakePlaintext(ciphertext_bytes));
  b->window_service = std::make_unique<TransportBlobService>(MakePlaintext(ciphertext_bytes));
  int port = 0, window_port = 0;
  const int alt_window = std::max(0, absl::GetFlag(FLAGS_alt_window_bytes));
  b->transport_server =
      StartTransportServer(cert, b->transport_service.get(), kStreamWindowBytes, &port);
  b->window_server = StartTransportServer(cert, b->window_service.get(), alt_window, &window_port);
  if (!b->transport_server || port == 0 || !b->window_server || window_port == 0) {
    return absl::UnavailableError("a transport server cannot listen");
  }
  b->raw_stub =
      v1::BlobService::NewStub(MakeChannel(b->server->target(), b->server->ca_pem(), b->owner));
  b->transport_stub = v1::BlobService::NewStub(
      MakeChannel(absl::StrCat("localhost:", port), ca.cert_pem, b->owner));
  b->window_stub = v1::BlobService::NewStub(
      MakeChannel(absl::StrCat("localhost:", window_port), ca.cert_pem, b->owner));
  std::printf("(2c) transport server: fixed %d B stream window, as unibusd; (2c'): %s\n",
              kStreamWindowBytes,
              alt_window > 0 ? absl::StrCat("fixed ", alt_window, " B window").c_str()
                             : "gRPC's default window with BDP probing");

  b->f.server = b->server.get();
  b->f.client = b->owner_client.get();
  b->f.room_id = room->room_id();
  b->f.raw = b->raw_stub.get();
  b->f.transport = b->transport_stub.get();
  b->f.window = b->window_stub.get();
  b->f.plaintext = MakePlaintext(blob_bytes);
  b->f.ciphertext_bytes = ciphertext_bytes;
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// The rounds

void PrintRound(const char* label, int n, const Results& r) {
  auto rate = [&](Row row) { return Fmt(r.Rates(row).back()); };
  const double disk_s = r.rows[kDiskWrite].back().seconds + r.rows[kDiskCommit].back().seconds;
  std::printf("  %s %-2d e2e %4s/%4s | crypto %4s/%4s | raw %4s/%4s | transport %4s/%4s | "
              "transport' %4s/%4s | disk %4s  MB/s put/get\n",
              label, n, rate(kE2ePut).c_str(), rate(kE2eGet).c_str(), rate(kSeal).c_str(),
              rate(kOpen).c_str(), rate(kRawPut).c_str(), rate(kRawGet).c_str(),
              rate(kTransportPut).c_str(), rate(kTransportGet).c_str(), rate(kWindowPut).c_str(),
              rate(kWindowGet).c_str(), Fmt(MBps(r.ciphertext_bytes, disk_s)).c_str());
  std::fflush(stdout);
}

// Warm-up rounds, then `rounds` rounds into *results; every case once per round, in an order
// rotating per round so that slow drift on the machine hits every case alike.
absl::Status RunRounds(Fixture& f, int warmup_rounds, int rounds, Results* results) {
  for (int round = -warmup_rounds; round < rounds && !Interrupted(); ++round) {
    Results these = *results;
    for (auto& row : these.rows) row.clear();
    for (int k = 0; k < kCases; ++k) {
      Case c = static_cast<Case>((k + std::max(0, round)) % kCases);
      if (absl::Status s = RunCase(f, c, these.rows); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat(round < 0 ? "warm-up" : "round ",
                                                   round < 0 ? -round : round + 1, " ",
                                                   kCaseNames[c], ": ", s.message()));
      }
    }
    PrintRound(round < 0 ? "warm-up" : "round  ", round < 0 ? -round : round + 1, these);
    if (round < 0) continue;
    for (int r = 0; r < kRows; ++r) results->rows[r].push_back(these.rows[r][0]);
  }
  if (results->rounds() == 0) return absl::CancelledError("interrupted");
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// The memory phase

// `n` uploaders, one identity, library client and raw channel each, all members of the room
// and all connected, so that the baselines hold every connection's TLS state.
struct Uploaders {
  std::vector<Identity> ids;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<v1::BlobService::Stub>> stubs;
};

absl::Status AddUploaders(Bench& b, int n, Uploaders* u) {
  const control::testing::UnibusdProcess& server = *b.server;
  for (int i = 0; i < n; ++i) {
    u->ids.push_back(Identity::Generate());
    const Identity& id = u->ids.back();
    if (auto added = server.AddUser(id, v1::ROLE_MEMBER, absl::StrCat("uploader", i));
        !added.ok()) {
      return added.status();
    }
    if (auto m = b.owner_client->AddMember(b.f.room_id, id.sign_pub_hex()); !m.ok()) {
      return m.status();
    }
    auto c = ConnectControlOnly(server, id, b.client_max_blob);
    if (!c.ok()) return c.status();
    u->clients.push_back(*std::move(c));
    u->stubs.push_back(
        v1::BlobService::NewStub(MakeChannel(server.target(), server.ca_pem(), id)));
    grpc::ClientContext context;
    v1::StatBlobRequest stat;
    stat.set_room_id(b.f.room_id);
    stat.set_address(std::string(64, '0'));
    v1::StatBlobResponse response;
    grpc::Status st = u->stubs.back()->StatBlob(&context, stat, &response);
    if (st.error_code() != grpc::StatusCode::NOT_FOUND) return ToAbsl(st);
  }
  return absl::OkStatus();
}

// Through the library: PutBlob retries refusals on its own. A retry that restarts after chunks
// went out shows as progress going back; that gives a lower bound of the retries.
ConcurrentResult LibraryUploads(const Fixture& f, Uploaders& u) {
  const int n = static_cast<int>(u.clients.size());
  std::atomic<int64_t> restarts{0};
  ConcurrentResult r = RunConcurrent(
      absl::StrCat(n, " x Client::PutBlob"), f.server->pid(), n, [&](int i) {
        uint64_t last = 0;
        client::BlobOptions options;
        options.busy_retry = absl::Minutes(2);
        options.progress = [&last, &restarts](uint64_t done, uint64_t) {
          if (done <= last) restarts.fetch_add(1);
          last = done;
        };
        return u.clients[i]->PutBlob(f.room_id, f.plaintext, options).status();
      });
  r.refusals_note = absl::StrCat(">= ", restarts.load(), " (restarted progress)");
  return r;
}

// Through raw stubs, which count the budget's refusals and retry them as libunibus does.
ConcurrentResult RawUploads(const Fixture& f, Uploaders& u) {
  const int n = static_cast<int>(u.stubs.size());
  std::vector<SealedBlob> sealed;
  for (int i = 0; i < n; ++i) sealed.push_back(client::internal::SealBlob(f.plaintext));
  std::atomic<int64_t> refusals{0};
  ConcurrentResult r = RunConcurrent(
      absl::StrCat(n, " x raw PutBlob"), f.server->pid(), n, [&](int i) {
        std::minstd_rand rng(static_cast<unsigned>(i + 1));
        const absl::Time give_up = absl::Now() + absl::Minutes(2);
        for (;;) {
          PutOutcome out = RawPut(*u.stubs[i], f.room_id, sealed[i].address,
                                  sealed[i].ciphertext);
          if (out.status.ok() || !out.retry_after_ms.has_value() || absl::Now() > give_up ||
              Interrupted()) {
            return out.status;
          }
          refusals.fetch_add(1);
          absl::SleepFor(Pause(*out.retry_after_ms, rng));
        }
      });
  r.refusals = refusals.load();
  return r;
}

// ---------------------------------------------------------------------------------------------
// Report

struct Path {
  const char* name;
  Row put, get;
};
const Path kPaths[] = {
    {"(1)  e2e   Client::PutBlob / GetBlob", kE2ePut, kE2eGet},
    {"(2a) crypto SealBlob / OpenBlob", kSeal, kOpen},
    {"(2b) raw BlobService on unibusd", kRawPut, kRawGet},
    {"(2c) transport: no-op BlobService", kTransportPut, kTransportGet},
    {"(2c') the same, --alt_window_bytes", kWindowPut, kWindowGet},
};

void PrintThroughput(const Results& r) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  PrintRule(kRuleWidth);
  std::printf("THROUGHPUT  one %.2f MiB blob per path and round; median of %zu round(s); MB = "
              "10^6 bytes (plaintext for (1) and (2a), ciphertext for the rest)\n",
              r.blob_bytes / kMiB, r.rounds());
  std::printf("put+get = bytes / (put time + get time). CPU ms = this process / unibusd, mean over "
              "rounds ((2c)'s server runs in this process).\nceiling = put+get MB/s if that CPU "
              "were spread over all %u cores and nothing else ran\n",
              cores);
  PrintRule(kRuleWidth);
  std::printf("%-38s %8s %8s %8s %7s %7s %11s %11s %8s\n", "path", "put MB/s", "get MB/s",
              "put+get", "put ms", "get ms", "put CPU ms", "get CPU ms", "ceiling");
  auto cpu = [&](Row row) {
    return absl::StrFormat("%.0f/%.0f", r.CpuMs(row, &Sample::self_cpu_s),
                           r.CpuMs(row, &Sample::server_cpu_s));
  };
  for (const Path& p : kPaths) {
    const double cpu_s = (r.TotalCpuMs(p.put) + r.TotalCpuMs(p.get)) / 1e3;
    std::printf("%-38s %8s %8s %8s %7s %7s %11s %11s %8s\n", p.name,
                Fmt(Median(r.Rates(p.put))).c_str(), Fmt(Median(r.Rates(p.get))).c_str(),
                Fmt(Median(r.Combined(p.put, p.get))).c_str(), Fmt(r.Ms(p.put)).c_str(),
                Fmt(r.Ms(p.get)).c_str(), cpu(p.put).c_str(), cpu(p.get).c_str(),
                Fmt(MBps(r.Bytes(p.put), cpu_s / cores)).c_str());
  }
  std::printf("%-38s %8s %8s %8s %7s %7s %11s\n", "(d)  disk: write / fsync+rename",
              Fmt(Median(r.Combined(kDiskWrite, kDiskCommit))).c_str(), "", "",
              Fmt(r.Ms(kDiskWrite)).c_str(), Fmt(r.Ms(kDiskCommit)).c_str(),
              cpu(kDiskWrite).c_str());
  PrintRule(kRuleWidth);
  std::printf("CRYPTO PARTS  (this process, one thread; SealBlob = key + encrypt + sha256, "
              "OpenBlob = sha256 + decrypt, memcpy = a fresh copy)\n");
  for (Row row : {kSeal, kOpen, kSha256, kDecrypt, kMemcpy}) {
    std::printf("  %-12s %8s MB/s %8s ms\n", kRowNames[row], Fmt(Median(r.Rates(row))).c_str(),
                Fmt(r.Ms(row)).c_str());
  }
}

void PrintRatios(const Results& r) {
  PrintRule(kRuleWidth);
  std::printf("RATIOS  (1) e2e as a fraction of each baseline, per round: median [min..max]\n");
  std::printf("%-38s %20s %20s %20s\n", "baseline", "put", "get", "put+get");
  const std::vector<double> put = r.Rates(kE2ePut), get = r.Rates(kE2eGet);
  const std::vector<double> both = r.Combined(kE2ePut, kE2eGet);
  for (const Path& p : kPaths) {
    if (p.put == kE2ePut || p.put == kWindowPut) continue;
    std::printf("%-38s %20s %20s %20s\n", p.name, PercentText(Ratios(put, r.Rates(p.put))).c_str(),
                PercentText(Ratios(get, r.Rates(p.get))).c_str(),
                PercentText(Ratios(both, r.Combined(p.put, p.get))).c_str());
  }
  auto line = [&r](const char* name, Row a_put, Row b_put) {
    const Row a_get = static_cast<Row>(a_put + 1), b_get = static_cast<Row>(b_put + 1);
    std::printf("%-38s %20s %20s %20s\n", name,
                PercentText(Ratios(r.Rates(a_put), r.Rates(b_put))).c_str(),
                PercentText(Ratios(r.Rates(a_get), r.Rates(b_get))).c_str(),
                PercentText(Ratios(r.Combined(a_put, a_get), r.Combined(b_put, b_get))).c_str());
  };
  line("and (2b) raw unibusd / (2c) transport", kRawPut, kTransportPut);
  line("and (2c) unibusd's window / (2c')", kTransportPut, kWindowPut);
}

void PrintWhereTimeGoes(const Results& r) {
  PrintRule(kRuleWidth);
  std::printf("WHERE THE TIME GOES  (median ms per blob; the library seals the whole blob before "
              "it uploads, and downloads it whole before it decrypts, so the parts add up)\n");
  const double put = r.Ms(kE2ePut), get = r.Ms(kE2eGet), seal = r.Ms(kSeal), open = r.Ms(kOpen);
  const double raw_put = r.Ms(kRawPut), raw_get = r.Ms(kRawGet);
  const double tr_put = r.Ms(kTransportPut), tr_get = r.Ms(kTransportGet);
  std::printf("  put %6.1f = SealBlob %5.1f + raw put %5.1f (rest %+5.1f);  raw put = transport "
              "%5.1f + unibusd %+5.1f  [disk alone: write %.1f + fsync/rename %.1f]\n",
              put, seal, raw_put, put - seal - raw_put, tr_put, raw_put - tr_put,
              r.Ms(kDiskWrite), r.Ms(kDiskCommit));
  std::printf("  get %6.1f = raw get %5.1f + OpenBlob %5.1f (rest %+5.1f);  raw get = transport "
              "%5.1f + unibusd %+5.1f\n",
              get, raw_get, open, get - raw_get - open, tr_get, raw_get - tr_get);
  std::printf("  CPU ms (mean): e2e put: this process %.0f (kernel %.0f), unibusd %.0f;  e2e get: "
              "this process %.0f (kernel %.0f), unibusd %.0f\n",
              r.CpuMs(kE2ePut, &Sample::self_cpu_s), r.CpuMs(kE2ePut, &Sample::self_sys_s),
              r.CpuMs(kE2ePut, &Sample::server_cpu_s), r.CpuMs(kE2eGet, &Sample::self_cpu_s),
              r.CpuMs(kE2eGet, &Sample::self_sys_s), r.CpuMs(kE2eGet, &Sample::server_cpu_s));
  std::printf("  unibusd's fixed stream window: transport put %.1f ms, %.1f with (2c')'s "
              "window; get %.1f vs %.1f\n",
              tr_put, r.Ms(kWindowPut), tr_get, r.Ms(kWindowGet));
  std::printf("  %.0f MB/s put+get leaves %.1f ms for both; (2c) transport alone takes %.1f, "
              "(2a) crypto alone %.1f\n",
              kGoalMBps, r.blob_bytes / 1e3 / kGoalMBps, tr_put + tr_get, seal + open);
}

void PrintMemory(const std::vector<ConcurrentResult>& results, uint64_t blob_bytes,
                 uint64_t budget) {
  if (results.empty()) return;
  PrintRule(kRuleWidth);
  std::printf("MEMORY  unibusd's resident memory while uploads of one %.2f MiB blob each run at "
              "once (budget %.0f MiB);\npeak = max(VmHWM after clear_refs, VmRSS sampled every "
              "5 ms); growth = peak - base (VmRSS just before); vs start = peak - the first "
              "phase's base\n(freed memory stays resident, so a later phase starts higher); "
              "CPU s = this process / unibusd\n",
              blob_bytes / kMiB, budget / kMiB);
  PrintRule(kRuleWidth);
  std::printf("%-22s %6s %6s %8s %8s %8s %8s %8s %9s %9s %4s  %s\n", "uploads", "wall s",
              "MB/s", "base MiB", "peak MiB", "growth", "-budget", "vs start", "after MiB",
              "CPU s", "fail", "refusals");
  const uint64_t start = results.front().baseline;
  for (const ConcurrentResult& r : results) {
    std::string refusals = r.refusals >= 0 ? absl::StrCat(r.refusals) : r.refusals_note;
    std::printf("%-22s %6.2f %6s %8.1f %8.1f %8.1f %+8.1f %8.1f %9.1f %9s %4d  %s\n",
                r.name.c_str(), r.seconds, Fmt(MBps(r.uploads * blob_bytes, r.seconds)).c_str(),
                r.baseline / kMiB, r.peak() / kMiB, r.growth() / kMiB,
                (static_cast<double>(r.growth()) - budget) / kMiB,
                (static_cast<double>(r.peak()) - start) / kMiB, r.after / kMiB,
                absl::StrFormat("%.1f/%.1f", r.self_cpu_s, r.server_cpu_s).c_str(), r.failures,
                refusals.c_str());
    if (r.failures > 0) std::printf("    first failure: %s\n", r.first_error.c_str());
  }
}

// ---------------------------------------------------------------------------------------------

int Fail(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "blob_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

int Main(const std::string& dir) {
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  const int warmup_rounds = std::max(0, absl::GetFlag(FLAGS_warmup_rounds));
  const int concurrency = std::max(0, absl::GetFlag(FLAGS_concurrency));
  const uint64_t budget = absl::GetFlag(FLAGS_upload_budget_bytes);
  Results results;
  results.blob_bytes = absl::GetFlag(FLAGS_blob_bytes);
  if (results.blob_bytes == 0) results.blob_bytes = client::LargestBlobPlaintext(kDefaultMaxBlob);
  results.ciphertext_bytes = client::internal::CiphertextSize(results.blob_bytes);

  std::printf("unibus blob bench: blob %llu B plaintext (%.2f MiB), %llu B ciphertext; libsodium "
              "%s; %u hardware threads%s\n",
              static_cast<unsigned long long>(results.blob_bytes), results.blob_bytes / kMiB,
              static_cast<unsigned long long>(results.ciphertext_bytes), sodium_version_string(),
              std::thread::hardware_concurrency(), BuildNote());
  std::printf("directory %s (%s at exit)\n", dir.c_str(),
              absl::GetFlag(FLAGS_keep_dir) ? "kept" : "removed");
  Bench b;
  if (absl::Status s = StartBench(dir, results.blob_bytes, budget, &b); !s.ok()) {
    return Fail("setup", s);
  }
  std::printf("%d warm-up round(s), then %d round(s) of: e2e, crypto, raw, transport, "
              "transport', disk (order rotating)\n",
              warmup_rounds, rounds);
  std::fflush(stdout);
  if (absl::Status s = RunRounds(b.f, warmup_rounds, rounds, &results); !s.ok()) {
    return Fail("rounds", s);
  }

  std::vector<ConcurrentResult> concurrent;
  if (concurrency > 0 && !Interrupted()) {
    std::printf("memory phase: %d uploaders, one identity and connection each...\n", concurrency);
    std::fflush(stdout);
    Uploaders uploaders;
    if (absl::Status s = AddUploaders(b, concurrency, &uploaders); !s.ok()) {
      return Fail("uploaders", s);
    }
    concurrent.push_back(LibraryUploads(b.f, uploaders));
    if (absl::GetFlag(FLAGS_raw_concurrent) && !Interrupted()) {
      concurrent.push_back(RawUploads(b.f, uploaders));
    }
  }

  std::printf("\n");
  PrintThroughput(results);
  PrintRatios(results);
  PrintWhereTimeGoes(results);
  PrintMemory(concurrent, results.blob_bytes, budget);
  PrintRule(kRuleWidth);
  const double combined = Median(results.Combined(kE2ePut, kE2eGet));
  std::printf("GOAL (issue #5): e2e put+get of a %.2f MiB blob: %.0f MB/s (goal >= %.0f MB/s)  "
              "%s\n",
              results.blob_bytes / kMiB, combined, kGoalMBps,
              combined >= kGoalMBps ? "PASS" : "FAIL");
  PrintRule(kRuleWidth);
  bool ok = true;
  for (const ConcurrentResult& r : concurrent) ok = ok && r.failures == 0;
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace unibus::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  unibus::bench::SetUpRunfiles(argv[0]);
  unibus::bench::CatchInterrupts();
  unibus::common::InitSodium();
  return unibus::bench::RunInTempDir(absl::GetFlag(FLAGS_tmpdir), "unibus-blob-bench",
                                     absl::GetFlag(FLAGS_keep_dir), &unibus::bench::Main);
}
