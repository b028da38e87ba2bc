// control_plane_bench: warm mutual-TLS unary RPC throughput and latency of unibusd's control plane,
// measured as a ratio against a no-op gRPC echo server with the same TLS setup, in the same
// process and the same run (the machine is shared and noisy: only same-run ratios mean anything).
//
// In one process it starts
//   - the real ControlServer (all services, mTLS, SqliteStore in a temp dir, rate limits at 1e9),
//   - an "echo" gRPC server: same server certificate, same client-certificate mode
//     (REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY), same sync server model and channel
//     arguments, whose UserService/WhoAmI returns OK at once (no auth, no store),
// then measures, with closed-loop client threads (one mTLS connection per thread, warmed first):
//   reads : echo, sized echo, WhoAmI (auth only), GetRoom, ListMyRooms (caller in
//           --rooms_per_reader rooms); each round runs the cases in --slices interleaved slices
//           so that noise hits all of them alike; medians of the rounds.
//   writes: CreateRoom (encrypted, real owner_key) and AddMember (real sealed key) over RPC, and
//           the same writes straight on a second SqliteStore (no gRPC, no auth) as a reference.
//           Sealed keys and requests are made before each timed section. The echo is run again,
//           interleaved with the writes, as their baseline.
// See bench/README.md.
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/bench_env.h"
#include "bench/report.h"
#include "bench/stats.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/crypto/cert.h"
#include "common/crypto/identity.h"
#include "common/time/clock.h"
#include "control/blob/disk_blob_store.h"
#include "control/server/control_server.h"
#include "control/server/transport_limits.h"
#include "control/store/sqlite/sqlite_store.h"
#include "control/testing/sealed_keys.h"
#include "unibus/v1/rooms.grpc.pb.h"
#include "unibus/v1/users.grpc.pb.h"

ABSL_FLAG(double, seconds, 3.0, "Length of each timed read run, in seconds.");
ABSL_FLAG(int, rounds, 3, "Rounds. Each round runs every case once (interleaved); medians are "
                          "reported.");
ABSL_FLAG(std::string, threads, "1,4", "Closed-loop client thread counts, comma-separated.");
ABSL_FLAG(int, slices, 6, "Each round runs every case in this many interleaved slices (reads: "
                         "--seconds/slices each; writes: --write_ops/slices each).");
ABSL_FLAG(int, warmup_calls, 500, "Untimed calls per connection and read method first.");
ABSL_FLAG(int, rooms_per_reader, 50, "Rooms each reader is a member of (ListMyRooms returns "
                                     "all of them in one page).");
ABSL_FLAG(int, write_ops, 3000, "Writes per timed write run, split over the client threads.");
ABSL_FLAG(std::string, tmpdir, "", "Directory for the SQLite files (default $TMPDIR or /tmp).");
ABSL_FLAG(bool, mutex_deadlock_detection, true,
          "Leave absl::Mutex deadlock detection as the installed Abseil has it (Debian's: on, "
          "as in unibusd). false = kIgnore, to measure what it costs.");
ABSL_FLAG(bool, print_run_times, false,
          "Print each timed run's CLOCK_MONOTONIC start and end to stderr, to slice a profile "
          "(perf record -k CLOCK_MONOTONIC, then perf report --time START,END).");

namespace unibus::bench {
namespace {

using common::Identity;
using common::PemKeyPair;
using SteadyClock = std::chrono::steady_clock;

constexpr double kGoalReadRatio = 0.70;
constexpr double kGoalWritesPerSecond = 5000;
// Users that AddMember adds (each room gets at most this many new members).
constexpr int kMemberPool = 64;

// ---------------------------------------------------------------------------------------------
// Closed-loop runner

// One operation: the i-th call of a client thread.
using Op = std::function<absl::Status(int64_t i)>;

struct RunResult {
  double rate = 0;  // successful ops per second
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  int64_t ops = 0;
  int64_t errors = 0;
  std::string first_error;
  double seconds = 0;            // wall time of the run
  std::vector<float> latencies;  // microseconds, sorted
  // CLOCK_MONOTONIC seconds (steady_clock on Linux).
  double start_s = 0;
  double end_s = 0;
};

// Fills rate and percentiles from ops, seconds and latencies.
void Summarize(RunResult& r) {
  std::sort(r.latencies.begin(), r.latencies.end());
  r.ops = static_cast<int64_t>(r.latencies.size());
  r.rate = r.seconds > 0 ? r.ops / r.seconds : 0;
  r.p50_us = Percentile(r.latencies, 0.50);
  r.p99_us = Percentile(r.latencies, 0.99);
  r.max_us = r.latencies.empty() ? 0 : r.latencies.back();
}

// Slices of one case as one run: total ops over total time, percentiles over every call.
RunResult Merge(const std::vector<RunResult>& slices) {
  RunResult m;
  for (const RunResult& r : slices) {
    m.seconds += r.seconds;
    m.errors += r.errors;
    if (m.first_error.empty()) m.first_error = r.first_error;
    m.latencies.insert(m.latencies.end(), r.latencies.begin(), r.latencies.end());
  }
  if (!slices.empty()) {
    m.start_s = slices.front().start_s;
    m.end_s = slices.back().end_s;
  }
  Summarize(m);
  return m;
}

// Runs ops[t] on thread t, all threads released at once. With max_per_thread > 0 each thread
// makes exactly that many calls (duration is ignored); otherwise each calls until `duration`.
RunResult RunClosedLoop(const std::vector<Op>& ops, absl::Duration duration,
                        int64_t max_per_thread) {
  const size_t n = ops.size();
  std::vector<std::vector<float>> latencies(n);
  std::vector<int64_t> errors(n, 0);
  std::vector<std::string> first_error(n);
  std::vector<SteadyClock::time_point> ends(n);
  std::atomic<size_t> ready{0};
  absl::Notification go;
  SteadyClock::time_point start;  // written before go.Notify()
  const auto length = absl::ToChronoNanoseconds(duration);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float>& lat = latencies[t];
      lat.reserve(max_per_thread > 0 ? max_per_thread : 1 << 16);
      ready.fetch_add(1);
      go.WaitForNotification();
      const SteadyClock::time_point deadline = start + length;
      for (int64_t i = 0; max_per_thread <= 0 || i < max_per_thread; ++i) {
        SteadyClock::time_point t0 = SteadyClock::now();
        if (max_per_thread <= 0 && t0 >= deadline) break;
        absl::Status s = ops[t](i);
        SteadyClock::time_point t1 = SteadyClock::now();
        if (s.ok()) {
          lat.push_back(std::chrono::duration<float, std::micro>(t1 - t0).count());
        } else if (errors[t]++ == 0) {
          first_error[t] = s.ToString();
        }
      }
      ends[t] = SteadyClock::now();
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  start = SteadyClock::now();
  go.Notify();
  for (std::thread& th : threads) th.join();

  RunResult r;
  SteadyClock::time_point end = *std::max_element(ends.begin(), ends.end());
  r.seconds = std::chrono::duration<double>(end - start).count();
  for (size_t t = 0; t < n; ++t) {
    r.latencies.insert(r.latencies.end(), latencies[t].begin(), latencies[t].end());
    r.errors += errors[t];
    if (r.first_error.empty()) r.first_error = first_error[t];
  }
  Summarize(r);
  r.start_s = std::chrono::duration<double>(start.time_since_epoch()).count();
  r.end_s = std::chrono::duration<double>(end.time_since_epoch()).count();
  return r;
}

void PrintRunTimes(const std::string& name, int threads, const RunResult& r) {
  if (!absl::GetFlag(FLAGS_print_run_times)) return;
  std::fprintf(stderr, "run %-18s %d thr  monotonic %.6f,%.6f\n", name.c_str(), threads,
               r.start_s, r.end_s);
}

// All rounds of one case at one thread count.
struct Series {
  std::vector<RunResult> runs;
  double rate() const { return Median(Collect(&RunResult::rate)); }
  double p50() const { return Median(Collect(&RunResult::p50_us)); }
  double p99() const { return Median(Collect(&RunResult::p99_us)); }
  double max() const { return Median(Collect(&RunResult::max_us)); }
  int64_t errors() const {
    int64_t e = 0;
    for (const RunResult& r : runs) e += r.errors;
    return e;
  }
  std::string first_error() const {
    for (const RunResult& r : runs) {
      if (!r.first_error.empty()) return r.first_error;
    }
    return "";
  }
  std::vector<double> Collect(double RunResult::*field) const {
    std::vector<double> v;
    for (const RunResult& r : runs) v.push_back(r.*field);
    return v;
  }
};

// ---------------------------------------------------------------------------------------------
// gRPC plumbing

absl::Status ToAbsl(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

template <typename Stub, typename Request, typename Response>
absl::Status Unary(Stub& stub,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const Request& request, Response* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ToAbsl((stub.*method)(&context, request, response));
}

// The baseline: the same transport as unibusd, and handlers that do nothing.
//   WhoAmI  returns an empty reply at once: the no-op echo every ratio is taken against.
//   GetUser returns a canned reply of reply_bytes (set before use), so that a large reply
//           (ListMyRooms) can also be compared with pure transport of the same size.
class EchoService final : public v1::UserService::Service {
 public:
  grpc::Status WhoAmI(grpc::ServerContext*, const v1::WhoAmIRequest*,
                      v1::WhoAmIResponse*) override {
    return grpc::Status::OK;
  }
  grpc::Status GetUser(grpc::ServerContext*, const v1::GetUserRequest*,
                       v1::GetUserResponse* response) override {
    response->mutable_user()->set_handle(std::string(reply_bytes_.load(), 'x'));
    return grpc::Status::OK;
  }
  void set_reply_bytes(size_t n) { reply_bytes_.store(n); }

 private:
  std::atomic<size_t> reply_bytes_{0};
};

// Same TLS mode, certificate, message limits and HTTP/2 settings as ControlServer::Start with
// the default options Main gives it.
std::unique_ptr<grpc::Server> StartEchoServer(const PemKeyPair& server_cert, EchoService* service,
                                              int* port) {
  grpc::SslServerCredentialsOptions tls(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  tls.pem_key_cert_pairs.push_back({server_cert.key_pem, server_cert.cert_pem});
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), port);
  const int max_message_bytes = control::server::ServerOptions().max_message_bytes;
  control::server::ApplyTransportLimits(builder, max_message_bytes,
                                        control::server::kStreamWindowBytes);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

// One mTLS connection of its own (no subchannel sharing), as a separate peer would have.
std::shared_ptr<grpc::Channel> MakeChannel(int port, const std::string& ca_pem,
                                           const PemKeyPair& client) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ca_pem;
  tls.pem_private_key = client.key_pem;
  tls.pem_cert_chain = client.cert_pem;
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(absl::StrCat("localhost:", port), grpc::SslCredentials(tls),
                                   args);
}

// A client identity with its certificate.
struct Peer {
  Identity id;
  PemKeyPair cert;
  static Peer Make() {
    Identity id = Identity::Generate();
    PemKeyPair cert = common::MakeClientCertificate(id).value();
    return Peer{std::move(id), std::move(cert)};
  }
};

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "control_plane_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

void Check(const std::string& what, const absl::Status& s) {
  if (!s.ok()) Die(what, s);
}

v1::User UserRecord(const Identity& id, const std::string& handle, v1::Role role) {
  v1::User user;
  user.set_sign_pub(id.sign_pub_hex());
  user.set_kex_pub(id.kex_pub_hex());
  user.set_handle(handle);
  user.set_role(role);
  user.set_status(v1::USER_STATUS_ACTIVE);
  user.set_created_at_ms(common::RealClock::Get().NowMs());
  return user;
}

// ---------------------------------------------------------------------------------------------
// Writes: requests (with real sealed keys) made before the timed section

struct ThreadWrites {
  std::vector<v1::CreateRoomRequest> create;
  std::vector<v1::AddMemberRequest> add;
  // The same writes in store form, for the raw SqliteStore reference.
  std::vector<v1::Room> rooms;
  std::vector<v1::Member> members;
  std::vector<std::vector<v1::SealedKey>> member_keys;
};

// `n` new encrypted rooms owned by `writer`, then `n` AddMembers spread over the first of them
// (kMemberPool members per room).
ThreadWrites MakeWrites(const Identity& writer, const std::vector<Peer>& pool, int n) {
  ThreadWrites w;
  std::vector<std::string> room_keys;
  int64_t now_ms = common::RealClock::Get().NowMs();
  for (int i = 0; i < n; ++i) {
    std::string room_id = control::testing::NewRoomId();
    std::string room_key = control::testing::NewRoomKey();
    v1::CreateRoomRequest req;
    req.set_room_id(room_id);
    req.set_name(absl::StrCat("bench room ", i));
    *req.mutable_owner_key() = control::testing::SealRoomKey(writer, room_id, 1, writer, room_key);
    v1::Room room;
    room.set_room_id(room_id);
    room.set_name(req.name());
    room.set_owner(writer.sign_pub_hex());
    room.mutable_policy()->set_encrypted(true);
    room.mutable_policy()->set_signed_frames(true);
    room.mutable_policy()->set_history(true);
    room.set_epoch(1);
    room.set_subject(absl::StrCat("ub.room.", room_id));
    room.set_created_at_ms(now_ms);
    w.create.push_back(std::move(req));
    w.rooms.push_back(std::move(room));
    room_keys.push_back(std::move(room_key));
  }
  for (int i = 0; i < n; ++i) {
    const std::string& room_id = w.create[i / kMemberPool].room_id();
    const Identity& member = pool[i % kMemberPool].id;
    v1::SealedKey key = control::testing::SealRoomKey(writer, room_id, 1, member,
                                                      room_keys[i / kMemberPool]);
    v1::AddMemberRequest req;
    req.set_room_id(room_id);
    req.set_sign_pub(member.sign_pub_hex());
    req.set_role(v1::ROOM_ROLE_MEMBER);
    *req.add_keys() = key;
    v1::Member m;
    m.set_sign_pub(member.sign_pub_hex());
    m.set_role(v1::ROOM_ROLE_MEMBER);
    m.set_added_at_ms(now_ms);
    w.add.push_back(std::move(req));
    w.members.push_back(std::move(m));
    w.member_keys.push_back({std::move(key)});
  }
  return w;
}

// One ThreadWrites per writer thread, made in parallel.
std::vector<ThreadWrites> MakeAllWrites(const std::vector<Peer>& writers,
                                        const std::vector<Peer>& pool, int threads, int total) {
  std::vector<ThreadWrites> out(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back(
        [&, t] { out[t] = MakeWrites(writers[t].id, pool, std::max(1, total / threads)); });
  }
  for (std::thread& w : workers) w.join();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Output

// This bench's columns are sized for whole numbers; report.h's Fmt adds decimals below 100.
std::string Whole(double v) { return absl::StrFormat("%.0f", v); }

constexpr int kRuleWidth = 96;  // of the tables' rules (report.h PrintRule)

std::vector<int> ParseThreads(const std::string& text) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 1 || n > 64) {
      Die("--threads", absl::InvalidArgumentError(absl::StrCat("bad thread count: ", part)));
    }
    out.push_back(n);
  }
  if (out.empty()) Die("--threads", absl::InvalidArgumentError("no thread counts"));
  return out;
}

// ---------------------------------------------------------------------------------------------

int Main() {
  if (!absl::GetFlag(FLAGS_mutex_deadlock_detection)) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  common::InitSodium();
  const std::vector<int> thread_counts = ParseThreads(absl::GetFlag(FLAGS_threads));
  const int max_threads = *std::max_element(thread_counts.begin(), thread_counts.end());
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  const absl::Duration run_length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  const int slices = std::max(1, absl::GetFlag(FLAGS_slices));
  const int warmup = std::max(0, absl::GetFlag(FLAGS_warmup_calls));
  const int rooms_per_reader = std::max(1, absl::GetFlag(FLAGS_rooms_per_reader));
  const int write_ops = std::max(1, absl::GetFlag(FLAGS_write_ops));
  const common::Clock& clock = common::RealClock::Get();

  const std::string dir = MakeTempDir(absl::GetFlag(FLAGS_tmpdir), "unibus-bench");
  if (dir.empty()) {
    Die("mkdtemp", absl::InternalError("cannot create a temporary directory"));
  }
  std::printf("unibus control-plane bench: gRPC %s, %u hardware threads, absl::Mutex deadlock "
              "detection %s%s\n",
              grpc::Version().c_str(), std::thread::hardware_concurrency(),
              absl::GetFlag(FLAGS_mutex_deadlock_detection) ? "as installed" : "off", BuildNote());
  std::printf("SQLite files in %s (removed at exit)\n", dir.c_str());

  // ---- TLS material and identities ----
  PemKeyPair ca = common::MakeCertificateAuthority("unibus bench CA").value();
  PemKeyPair server_cert = common::IssueServerCertificate(ca, {"localhost", "127.0.0.1"}).value();
  Peer admin = Peer::Make();
  Peer owner = Peer::Make();  // owns the rooms the readers are in
  std::vector<Peer> readers, writers, pool;
  for (int i = 0; i < max_threads; ++i) readers.push_back(Peer::Make());
  for (int i = 0; i < max_threads; ++i) writers.push_back(Peer::Make());
  for (int i = 0; i < kMemberPool; ++i) pool.push_back(Peer::Make());

  // ---- Servers ----
  auto store = control::store::SqliteStore::Open(dir + "/control.db", clock);
  if (!store.ok()) Die("open control.db", store.status());
  Check("bootstrap admin", (*store)->AddUser(UserRecord(admin.id, "admin", v1::ROLE_ADMIN)));
  control::server::ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert_pem = server_cert.cert_pem;
  options.tls_key_pem = server_cert.key_pem;
  options.rate_limit_per_second = 1e9;
  options.rate_limit_burst = 1e9;
  auto blobs = control::blob::DiskBlobStore::Open(dir + "/blobs");
  if (!blobs.ok()) Die("open the blob directory", blobs.status());
  auto server =
      control::server::ControlServer::Start(options, *std::move(store), *std::move(blobs), clock);
  if (!server.ok()) Die("start ControlServer", server.status());
  const int control_port = (*server)->port();

  EchoService echo_service;
  int echo_port = 0;
  std::unique_ptr<grpc::Server> echo = StartEchoServer(server_cert, &echo_service, &echo_port);
  if (!echo || echo_port == 0) Die("start echo server", absl::UnavailableError("no port"));
  std::printf("unibusd (in-process) on 127.0.0.1:%d, echo on 127.0.0.1:%d\n", control_port,
              echo_port);

  // ---- Population through the API ----
  auto admin_users = v1::UserService::NewStub(MakeChannel(control_port, ca.cert_pem, admin.cert));
  auto add_user = [&](const Peer& p, const std::string& handle) {
    v1::AddUserRequest req;
    req.set_sign_pub(p.id.sign_pub_hex());
    req.set_kex_pub(p.id.kex_pub_hex());
    req.set_handle(handle);
    req.set_role(v1::ROLE_MEMBER);
    v1::AddUserResponse resp;
    Check("AddUser " + handle,
          Unary(*admin_users, &v1::UserService::Stub::AddUser, req, &resp));
  };
  add_user(owner, "owner");
  for (int i = 0; i < max_threads; ++i) add_user(readers[i], absl::StrCat("reader", i));
  for (int i = 0; i < max_threads; ++i) add_user(writers[i], absl::StrCat("writer", i));
  for (int i = 0; i < kMemberPool; ++i) add_user(pool[i], absl::StrCat("member", i));

  auto owner_rooms = v1::RoomService::NewStub(MakeChannel(control_port, ca.cert_pem, owner.cert));
  std::vector<std::string> room_ids;
  for (int r = 0; r < rooms_per_reader; ++r) {
    std::string room_id = control::testing::NewRoomId();
    std::string room_key = control::testing::NewRoomKey();
    v1::CreateRoomRequest create;
    create.set_room_id(room_id);
    create.set_name(absl::StrCat("read room ", r));
    *create.mutable_owner_key() =
        control::testing::SealRoomKey(owner.id, room_id, 1, owner.id, room_key);
    v1::CreateRoomResponse created;
    Check("CreateRoom", Unary(*owner_rooms, &v1::RoomService::Stub::CreateRoom, create, &created));
    for (const Peer& reader : readers) {
      v1::AddMemberRequest add;
      add.set_room_id(room_id);
      add.set_sign_pub(reader.id.sign_pub_hex());
      *add.add_keys() = control::testing::SealRoomKey(owner.id, room_id, 1, reader.id, room_key);
      v1::AddMemberResponse added;
      Check("AddMember", Unary(*owner_rooms, &v1::RoomService::Stub::AddMember, add, &added));
    }
    room_ids.push_back(room_id);
  }

  // ---- Read connections, one per thread, warmed ----
  struct ReaderConn {
    std::unique_ptr<v1::UserService::Stub> echo;
    std::unique_ptr<v1::UserService::Stub> users;
    std::unique_ptr<v1::RoomService::Stub> rooms;
    std::vector<v1::GetRoomRequest> get_room;
  };
  std::vector<ReaderConn> conns(max_threads);
  for (int t = 0; t < max_threads; ++t) {
    ReaderConn& c = conns[t];
    c.echo = v1::UserService::NewStub(MakeChannel(echo_port, ca.cert_pem, readers[t].cert));
    auto channel = MakeChannel(control_port, ca.cert_pem, readers[t].cert);
    c.users = v1::UserService::NewStub(channel);
    c.rooms = v1::RoomService::NewStub(channel);
    for (const std::string& id : room_ids) {
      v1::GetRoomRequest req;
      req.set_room_id(id);
      c.get_room.push_back(std::move(req));
    }
  }

  // The size of a ListMyRooms reply, for the sized echo.
  size_t list_reply_bytes = 0;
  {
    v1::ListMyRoomsRequest req;
    req.set_page_size(rooms_per_reader);
    v1::ListMyRoomsResponse resp;
    Check("ListMyRooms", Unary(*conns[0].rooms, &v1::RoomService::Stub::ListMyRooms, req, &resp));
    list_reply_bytes = resp.ByteSizeLong();
    // GetUserResponse{user{handle}} adds about 6 bytes of tags and lengths.
    echo_service.set_reply_bytes(list_reply_bytes > 6 ? list_reply_bytes - 6 : 0);
  }

  // Indices into read_cases.
  enum { kEcho, kEchoSized, kWhoAmI, kGetRoom, kListMyRooms };
  struct ReadCase {
    std::string name;
    std::function<absl::Status(ReaderConn&, int64_t)> call;
  };
  const std::vector<ReadCase> read_cases = {
      {"echo (no-op)",
       [](ReaderConn& c, int64_t) {
         v1::WhoAmIRequest req;
         v1::WhoAmIResponse resp;
         return Unary(*c.echo, &v1::UserService::Stub::WhoAmI, req, &resp);
       }},
      {absl::StrCat("echo (", list_reply_bytes, " B)"),
       [](ReaderConn& c, int64_t) {
         v1::GetUserRequest req;
         v1::GetUserResponse resp;
         return Unary(*c.echo, &v1::UserService::Stub::GetUser, req, &resp);
       }},
      {"WhoAmI (auth)",
       [](ReaderConn& c, int64_t) {
         v1::WhoAmIRequest req;
         v1::WhoAmIResponse resp;
         return Unary(*c.users, &v1::UserService::Stub::WhoAmI, req, &resp);
       }},
      {"GetRoom",
       [](ReaderConn& c, int64_t i) {
         v1::GetRoomResponse resp;
         absl::Status s = Unary(*c.rooms, &v1::RoomService::Stub::GetRoom,
                                c.get_room[i % c.get_room.size()], &resp);
         if (s.ok() && resp.my_role() != v1::ROOM_ROLE_MEMBER) {
           return absl::InternalError("GetRoom: unexpected my_role");
         }
         return s;
       }},
      {absl::StrCat("ListMyRooms(", rooms_per_reader, ")"),
       [rooms_per_reader](ReaderConn& c, int64_t) {
         v1::ListMyRoomsRequest req;
         req.set_page_size(rooms_per_reader);
         v1::ListMyRoomsResponse resp;
         absl::Status s = Unary(*c.rooms, &v1::RoomService::Stub::ListMyRooms, req, &resp);
         if (s.ok() && resp.rooms_size() != rooms_per_reader) {
           return absl::InternalError(
               absl::StrCat("ListMyRooms returned ", resp.rooms_size(), " rooms"));
         }
         return s;
       }},
  };

  std::printf("warming %d connections x %zu methods x %d calls...\n", max_threads,
              read_cases.size(), warmup);
  for (const ReadCase& rc : read_cases) {
    std::vector<Op> ops;
    for (int t = 0; t < max_threads; ++t) {
      ops.push_back([&rc, &conns, t](int64_t i) { return rc.call(conns[t], i); });
    }
    RunResult r = RunClosedLoop(ops, absl::InfiniteDuration(), std::max(1, warmup));
    if (r.errors > 0) Die("warm-up " + rc.name, absl::InternalError(r.first_error));
  }

  // ---- Timed reads: rounds x thread counts x slices x cases, interleaved ----
  // series[case][threads]
  std::vector<std::map<int, Series>> read_series(read_cases.size());
  std::printf("reads: %d round(s) x %zu thread count(s) x %zu cases x %.1f s, in slices of "
              "%.2f s\n",
              rounds, thread_counts.size(), read_cases.size(), absl::ToDoubleSeconds(run_length),
              absl::ToDoubleSeconds(run_length / slices));
  for (int round = 0; round < rounds; ++round) {
    for (int threads : thread_counts) {
      std::vector<std::vector<RunResult>> parts(read_cases.size());
      for (int slice = 0; slice < slices; ++slice) {
        for (size_t k = 0; k < read_cases.size(); ++k) {
          const ReadCase& rc = read_cases[k];
          std::vector<Op> ops;
          for (int t = 0; t < threads; ++t) {
            ops.push_back([&rc, &conns, t](int64_t i) { return rc.call(conns[t], i); });
          }
          parts[k].push_back(RunClosedLoop(ops, run_length / slices, 0));
          PrintRunTimes(rc.name, threads, parts[k].back());
        }
      }
      for (size_t k = 0; k < read_cases.size(); ++k) {
        const ReadCase& rc = read_cases[k];
        RunResult r = Merge(parts[k]);
        std::printf("  round %d  %-18s %d thr  %8s rpc/s  p50 %6s us  p99 %6s us  max %7s us"
                    "%s\n",
                    round + 1, rc.name.c_str(), threads, Whole(r.rate).c_str(),
                    Whole(r.p50_us).c_str(), Whole(r.p99_us).c_str(), Whole(r.max_us).c_str(),
                    r.errors ? absl::StrCat("  ERRORS ", r.errors, ": ", r.first_error).c_str()
                             : "");
        std::fflush(stdout);
        read_series[k][threads].runs.push_back(std::move(r));
      }
    }
  }

  // ---- Writes ----
  auto raw_store = control::store::SqliteStore::Open(dir + "/raw.db", clock);
  if (!raw_store.ok()) Die("open raw.db", raw_store.status());
  control::store::SqliteStore& raw = **raw_store;
  for (int i = 0; i < max_threads; ++i) {
    Check("raw AddUser",
          raw.AddUser(UserRecord(writers[i].id, absl::StrCat("writer", i), v1::ROLE_MEMBER)));
  }
  for (int i = 0; i < kMemberPool; ++i) {
    Check("raw AddUser",
          raw.AddUser(UserRecord(pool[i].id, absl::StrCat("member", i), v1::ROLE_MEMBER)));
  }
  std::vector<std::unique_ptr<v1::RoomService::Stub>> writer_rooms;
  for (int t = 0; t < max_threads; ++t) {
    writer_rooms.push_back(
        v1::RoomService::NewStub(MakeChannel(control_port, ca.cert_pem, writers[t].cert)));
  }

  // kWriteEcho: the echo (no-op) read case again, interleaved slice by slice with the writes,
  // as their baseline.
  enum WriteCase { kWriteEcho, kCreateRpc, kAddRpc, kCreateStore, kAddStore, kWriteCases };
  const char* write_names[kWriteCases] = {"echo (no-op)", "CreateRoom  RPC", "AddMember   RPC",
                                          "CreateRoom  store", "AddMember   store"};
  // Runs the write cases on `plan` (the echo for `echo_length`, if not zero); results in
  // WriteCase order.
  auto run_writes = [&](std::vector<ThreadWrites>& plan, absl::Duration echo_length) {
    const int threads = static_cast<int>(plan.size());
    const int64_t per_thread = static_cast<int64_t>(plan[0].create.size());
    std::vector<Op> echo_ops, create_rpc, add_rpc, create_store, add_store;
    for (int t = 0; t < threads; ++t) {
      echo_ops.push_back(
          [&read_cases, &conns, t](int64_t i) { return read_cases[kEcho].call(conns[t], i); });
      ThreadWrites& w = plan[t];
      v1::RoomService::Stub& stub = *writer_rooms[t];
      create_rpc.push_back([&w, &stub](int64_t i) {
        v1::CreateRoomResponse resp;
        return Unary(stub, &v1::RoomService::Stub::CreateRoom, w.create[i], &resp);
      });
      add_rpc.push_back([&w, &stub](int64_t i) {
        v1::AddMemberResponse resp;
        return Unary(stub, &v1::RoomService::Stub::AddMember, w.add[i], &resp);
      });
      create_store.push_back([&w, &raw](int64_t i) {
        return raw.CreateRoom(w.rooms[i], &w.create[i].owner_key());
      });
      add_store.push_back([&w, &raw](int64_t i) {
        return raw.AddMember(w.rooms[i / kMemberPool].room_id(), w.members[i], 1,
                             w.member_keys[i])
            .status();
      });
    }
    std::vector<RunResult> out;
    out.push_back(echo_length > absl::ZeroDuration() ? RunClosedLoop(echo_ops, echo_length, 0)
                                                     : RunResult());
    out.push_back(RunClosedLoop(create_rpc, absl::InfiniteDuration(), per_thread));
    out.push_back(RunClosedLoop(add_rpc, absl::InfiniteDuration(), per_thread));
    out.push_back(RunClosedLoop(create_store, absl::InfiniteDuration(), per_thread));
    out.push_back(RunClosedLoop(add_store, absl::InfiniteDuration(), per_thread));
    return out;
  };

  std::printf("writes: warm-up...\n");
  {
    std::vector<ThreadWrites> plan = MakeAllWrites(writers, pool, max_threads, 200 * max_threads);
    for (const RunResult& r : run_writes(plan, absl::ZeroDuration())) {
      if (r.errors > 0) Die("write warm-up", absl::InternalError(r.first_error));
    }
  }
  std::vector<std::map<int, Series>> write_series(kWriteCases);
  std::printf("writes: %d round(s) x %zu thread count(s), %d writes per case in %d slices\n",
              rounds, thread_counts.size(), write_ops, slices);
  for (int round = 0; round < rounds; ++round) {
    for (int threads : thread_counts) {
      std::vector<std::vector<RunResult>> parts(kWriteCases);
      for (int slice = 0; slice < slices; ++slice) {
        std::vector<ThreadWrites> plan =
            MakeAllWrites(writers, pool, threads, std::max(threads, write_ops / slices));
        std::vector<RunResult> results = run_writes(plan, run_length / slices);
        for (int k = 0; k < kWriteCases; ++k) {
          PrintRunTimes(write_names[k], threads, results[k]);
          parts[k].push_back(std::move(results[k]));
        }
      }
      for (int k = 0; k < kWriteCases; ++k) {
        RunResult r = Merge(parts[k]);
        std::printf("  round %d  %-18s %d thr  %8s op/s   p50 %6s us  p99 %6s us  max %7s us"
                    "%s\n",
                    round + 1, write_names[k], threads, Whole(r.rate).c_str(),
                    Whole(r.p50_us).c_str(), Whole(r.p99_us).c_str(), Whole(r.max_us).c_str(),
                    r.errors ? absl::StrCat("  ERRORS ", r.errors, ": ", r.first_error).c_str()
                             : "");
        write_series[k][threads].runs.push_back(std::move(r));
      }
      std::fflush(stdout);
    }
  }

  // ---- Report ----
  // Per-round ratios rate(k) / rate(base) at one thread count.
  auto ratios_in = [](std::vector<std::map<int, Series>>& series, size_t k, size_t base,
                      int threads) {
    std::vector<double> ratios;
    const Series& s = series[k][threads];
    const Series& b = series[base][threads];
    for (size_t r = 0; r < s.runs.size() && r < b.runs.size(); ++r) {
      ratios.push_back(b.runs[r].rate > 0 ? s.runs[r].rate / b.runs[r].rate : 0);
    }
    return ratios;
  };
  auto ratios_of = [&](size_t k, size_t base, int threads) {
    return ratios_in(read_series, k, base, threads);
  };
  auto ratio_text = [](const std::vector<double>& ratios) {
    return absl::StrFormat("%.2f [%.2f..%.2f]", Median(ratios),
                           *std::min_element(ratios.begin(), ratios.end()),
                           *std::max_element(ratios.begin(), ratios.end()));
  };
  bool all_ok = true;
  std::printf("\n");
  PrintRule(kRuleWidth);
  std::printf("READS  warm mTLS unary, closed loop, one connection per client thread; median of "
              "%d round(s) of %.1f s per case (%d interleaved slices)\n",
              rounds, absl::ToDoubleSeconds(run_length), slices);
  std::printf("ratio = rpc/s / echo (no-op) rpc/s of the same round: median [min..max] over "
              "rounds\n");
  PrintRule(kRuleWidth);
  std::printf("%-18s %4s %10s %9s %9s %9s   %s\n", "method", "thr", "rpc/s", "p50 us", "p99 us",
              "max us", "ratio vs echo");
  for (int threads : thread_counts) {
    for (size_t k = 0; k < read_cases.size(); ++k) {
      const Series& s = read_series[k][threads];
      std::string ratio = k == kEcho ? "(baseline)" : ratio_text(ratios_of(k, kEcho, threads));
      std::printf("%-18s %4d %10s %9s %9s %9s   %s%s\n", read_cases[k].name.c_str(), threads,
                  Whole(s.rate()).c_str(), Whole(s.p50()).c_str(), Whole(s.p99()).c_str(),
                  Whole(s.max()).c_str(), ratio.c_str(),
                  s.errors() ? absl::StrCat("  ERRORS: ", s.first_error()).c_str() : "");
      if (s.errors()) all_ok = false;
    }
  }
  std::printf("(%s = transport of a reply as large as ListMyRooms'; %s vs it:",
              read_cases[kEchoSized].name.c_str(), read_cases[kListMyRooms].name.c_str());
  for (int threads : thread_counts) {
    std::printf(" %d thr %s", threads,
                ratio_text(ratios_of(kListMyRooms, kEchoSized, threads)).c_str());
  }
  std::printf(")\n");
  PrintRule(kRuleWidth);
  std::printf("WRITES  closed loop, %d writes per case and round (split over the threads, in %d "
              "slices), median of %d round(s)\n",
              write_ops, slices, rounds);
  std::printf("RPC   = over mTLS through RoomService (auth, checks, signature verify, store)\n"
              "store = SqliteStore::CreateRoom/AddMember called directly (no gRPC, no auth)\n"
              "echo  = the no-op echo, %.1f s per round interleaved with the writes: the\n"
              "        transport ceiling of this machine right now; ratio = op/s / echo rpc/s\n",
              absl::ToDoubleSeconds(run_length));
  PrintRule(kRuleWidth);
  std::printf("%-18s %4s %10s %9s %9s %9s   %s\n", "write", "thr", "op/s", "p50 us", "p99 us",
              "max us", "ratio vs echo");
  for (int threads : thread_counts) {
    for (int k = 0; k < kWriteCases; ++k) {
      const Series& s = write_series[k][threads];
      std::string ratio = k == kWriteEcho
                              ? "(baseline)"
                              : ratio_text(ratios_in(write_series, k, kWriteEcho, threads));
      std::printf("%-18s %4d %10s %9s %9s %9s   %s%s\n", write_names[k], threads,
                  Whole(s.rate()).c_str(), Whole(s.p50()).c_str(), Whole(s.p99()).c_str(),
                  Whole(s.max()).c_str(), ratio.c_str(),
                  s.errors() ? absl::StrCat("  ERRORS: ", s.first_error()).c_str() : "");
      if (s.errors()) all_ok = false;
    }
  }
  PrintRule(kRuleWidth);
  std::printf("GOALS\n");
  for (int threads : thread_counts) {
    for (size_t k : {static_cast<size_t>(kGetRoom), static_cast<size_t>(kListMyRooms)}) {
      double ratio = Median(ratios_of(k, kEcho, threads));
      std::printf("  %-18s %d thr: %5.1f%% of echo       (goal >= %.0f%%)     %s\n",
                  read_cases[k].name.c_str(), threads, 100 * ratio, 100 * kGoalReadRatio,
                  ratio >= kGoalReadRatio ? "PASS" : "FAIL");
    }
  }
  for (int threads : thread_counts) {
    for (int k : {kCreateRpc, kAddRpc}) {
      double rate = write_series[k][threads].rate();
      std::printf("  %-18s %d thr: %7.0f writes/s (goal >= %.0f/s)  %s   (echo: %.0f rpc/s)\n",
                  write_names[k], threads, rate, kGoalWritesPerSecond,
                  rate >= kGoalWritesPerSecond ? "PASS" : "FAIL",
                  write_series[kWriteEcho][threads].rate());
    }
  }
  PrintRule(kRuleWidth);

  // ---- Teardown ----
  conns.clear();
  writer_rooms.clear();
  owner_rooms.reset();
  admin_users.reset();
  echo->Shutdown(std::chrono::system_clock::now());
  (*server)->Shutdown(absl::ZeroDuration());
  server->reset();
  raw_store->reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace unibus::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return unibus::bench::Main();
}
