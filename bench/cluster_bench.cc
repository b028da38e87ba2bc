// cluster_bench: what the three-node cluster (JetStream KV store, R3 by default) costs against the
// single-node stack (SQLite), each cluster figure as a ratio to the single-node figure of the same
// round of the same run (the machine is shared and noisy: only same-run ratios mean anything).
//
// It starts, in one temporary directory,
//   - single: the whole single-node stack (broker_auth/testing/stack.h): unibusd on SQLite,
//     nats-server with the auth callout, unibus-authd;
//   - cluster: three nodes (broker_auth/testing/cluster.h), each nats-server (JetStream, routes),
//     unibusd --store=kv (--replicas, default 3) and unibus-authd,
// then, for --rounds rounds, interleaved (which system goes first alternates round by round):
//   AddUser: --writes fresh identities added through UserService/AddUser by admins, closed-loop,
//            with 1 and --callers concurrent callers; the cluster's calls spread over its three
//            unibusd;
//   WhoAmI:  --reads calls (the per-call allowlist read that every RPC makes), same callers;
//   connect: --connects raw nats.c connects + closes through the auth callout of --identities
//            allowed identities (added and accepted by every authd first), sequential and with
//            --threads threads; the cluster's connects spread over its three nats-servers.
// Every caller has its own warm mTLS channels, one per admin identity of its pool
// (--ids_per_caller): unibusd rate-limits each identity (200/s, burst 400), and the pool keeps
// that limit out of the figures (a call refused with RESOURCE_EXHAUSTED is counted as
// "throttled" and retried; the table says so if it ever happens).
// Also: CPU time per operation of each kind of process, to show what dominates.
// If the cluster does not come up (--cluster_start_seconds), its failure and log tails are
// printed and the single node is measured alone (exit code 1).
// Not a test: it prints tables and exits 1 if the setup failed or a timed operation failed;
// never for a ratio.
#include <dirent.h>
#include <signal.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_env.h"
#include "bench/cpu_time.h"
#include "bench/report.h"
#include "bench/stats.h"
#include "broker_auth/testing/cluster.h"
#include "broker_auth/testing/stack.h"
#include "common/crypto/identity.h"
#include "common/testing/child_process.h"
#include "control/testing/unibusd_process.h"
#include "unibus/v1/users.grpc.pb.h"

ABSL_FLAG(int, rounds, 5, "Interleaved rounds; medians are reported.");
ABSL_FLAG(int, callers, 8, "Concurrent callers of the concurrent AddUser/WhoAmI cases (the other "
                           "case is 1 caller).");
ABSL_FLAG(int, writes, 240, "AddUser calls (fresh identities) per case and round.");
ABSL_FLAG(int, reads, 600, "WhoAmI calls per case and round.");
ABSL_FLAG(int, ids_per_caller, 6, "Admin identities (each its own warm mTLS channel) each caller "
                                  "rotates over, so that unibusd's per-identity rate limit stays "
                                  "out of the figures. Cluster: the channels go to the three "
                                  "nodes in turn.");
ABSL_FLAG(int, identities, 200, "Allowed identities whose connects are timed (round-robin).");
ABSL_FLAG(int, connects, 200, "Connects (connect + close) per case and round.");
ABSL_FLAG(int, threads, 8, "Client threads of the concurrent connect case (the other is 1).");
ABSL_FLAG(int, replicas, 3, "JetStream replicas of the cluster's KV buckets.");
ABSL_FLAG(int, cluster_start_seconds, 120,
          "If the cluster is not up by then, its one-shot setup commands (they have no timeout "
          "of their own) are killed, the failure is reported and the single node is measured "
          "alone.");
ABSL_FLAG(std::string, tmpdir, "", "Where the run's directory goes (default $TMPDIR or /tmp). "
                                   "Removed at exit unless --keep_dir.");
ABSL_FLAG(bool, keep_dir, false, "Keep the temporary directory (logs) at exit.");

namespace unibus::bench {
namespace {

using broker_auth::testing::Cluster;
using broker_auth::testing::Stack;
using common::Identity;
using common::testing::ReadFileOrEmpty;
using SteadyClock = std::chrono::steady_clock;

constexpr int kRuleWidth = 112;

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }
double Micros(SteadyClock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// ---------------------------------------------------------------------------------------------
// The processes of one system, found among this process's children by their command lines, and
// their CPU time.

enum ProcKind { kNats = 0, kUnibusd = 1, kAuthd = 2, kProcKinds = 3 };
const char* const kProcNames[kProcKinds] = {"nats-srv", "unibusd", "authd"};

struct Procs {
  std::vector<pid_t> pids[kProcKinds];
};

// Children of this process whose command line mentions `dir`/.
Procs FindProcs(const std::string& dir) {
  Procs p;
  DIR* d = opendir("/proc");
  if (d == nullptr) return p;
  const pid_t self = getpid();
  while (dirent* e = readdir(d)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string stat = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
    size_t paren = stat.rfind(')');
    int ppid = 0;
    char state = 0;
    if (paren == std::string::npos ||
        std::sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) != 2 || ppid != self) {
      continue;
    }
    std::string cmd = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cmdline"));
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (!absl::StrContains(cmd, dir + "/")) continue;
    if (absl::StrContains(cmd, "nats-server")) {
      p.pids[kNats].push_back(pid);
    } else if (absl::StrContains(cmd, "unibus-authd")) {
      p.pids[kAuthd].push_back(pid);
    } else if (absl::StrContains(cmd, "unibusd")) {
      p.pids[kUnibusd].push_back(pid);
    }
  }
  closedir(d);
  return p;
}

// Kills (SIGKILL) this process's children under `dir` that run a one-shot command (not a
// server: not nats-server, not `serve`); their command lines.
std::vector<std::string> KillSetupCommands(const std::string& dir) {
  std::vector<std::string> killed;
  DIR* d = opendir("/proc");
  if (d == nullptr) return killed;
  const pid_t self = getpid();
  while (dirent* e = readdir(d)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string stat = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
    size_t paren = stat.rfind(')');
    int ppid = 0;
    char state = 0;
    if (paren == std::string::npos ||
        std::sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) != 2 || ppid != self ||
        state == 'Z') {
      continue;
    }
    std::string cmd = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cmdline"));
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (!absl::StrContains(cmd, dir + "/") || absl::StrContains(cmd, "nats-server") ||
        absl::StrContains(cmd, " serve ")) {
      continue;
    }
    kill(pid, SIGKILL);
    killed.push_back(absl::StrCat("pid ", pid, ": ", cmd));
  }
  closedir(d);
  return killed;
}

// Cluster::Start, on another thread; after `timeout` the one-shot commands it waits for with no
// timeout of its own (RunToCompletion) are killed, so that it returns their failure. `killed`:
// what was killed.
absl::StatusOr<std::unique_ptr<Cluster>> StartCluster(const std::string& dir, int replicas,
                                                      absl::Duration timeout,
                                                      std::vector<std::string>* killed) {
  std::atomic<bool> done{false};
  absl::StatusOr<std::unique_ptr<Cluster>> result = absl::UnknownError("not started");
  std::thread starter([&] {
    result = Cluster::Start(dir, replicas);
    done.store(true);
  });
  absl::Time deadline = absl::Now() + timeout;
  while (!done.load()) {
    if (absl::Now() > deadline || Interrupted()) {
      for (std::string& k : KillSetupCommands(dir)) killed->push_back(std::move(k));
      deadline = absl::Now() + absl::Seconds(5);
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  starter.join();
  return result;
}

// CPU nanoseconds of this process (index kProcKinds) and of each kind of `procs`. unibusd's
// sync gRPC server threads come and go, so it is read in clock ticks (see cpu_time.h).
struct CpuSample {
  int64_t ns[kProcKinds + 1] = {0, 0, 0, 0};
};

CpuSample SampleCpu(const Procs& procs) {
  CpuSample s;
  for (int k = 0; k < kProcKinds; ++k) {
    for (pid_t pid : procs.pids[k]) {
      int64_t v = k == kUnibusd ? ProcessCpuTicksNs(pid) : ProcessCpuNs(pid);
      if (v > 0) s.ns[k] += v;
    }
  }
  s.ns[kProcKinds] = SelfCpuNs();
  return s;
}

// ---------------------------------------------------------------------------------------------
// A system under test: the single-node stack or the cluster, behind the same few functions.

// An admin identity with its own warm channel to one node.
struct Writer {
  Identity id = Identity::Generate();
  int node = 0;
  std::unique_ptr<v1::UserService::Stub> stub;
};

struct System {
  std::string name;
  std::string dir;
  int nodes = 1;
  std::vector<std::string> nats_urls;  // per node
  std::function<std::shared_ptr<grpc::Channel>(const Identity&, int node)> channel;
  std::function<absl::StatusOr<v1::User>(const Identity&, v1::Role, const std::string&, int node)>
      add_as_admin;
  std::vector<std::unique_ptr<Writer>> writers;  // caller t: [t * K, (t + 1) * K)
  std::vector<Identity> peers;                    // allowed identities for the connects
  Procs procs;
};

// Retries `call` while it fails with one of the transient codes, until `timeout`.
absl::Status Retry(const std::function<absl::Status()>& call, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::Status s = call();
    if (s.ok()) return s;
    bool transient = s.code() == absl::StatusCode::kResourceExhausted ||
                     s.code() == absl::StatusCode::kUnavailable ||
                     s.code() == absl::StatusCode::kUnauthenticated;  // not replicated yet
    if (!transient || absl::Now() > deadline || Interrupted()) return s;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

grpc::Status CallWhoAmI(v1::UserService::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WhoAmIRequest request;
  v1::WhoAmIResponse response;
  return stub.WhoAmI(&context, request, &response);
}

grpc::Status CallAddUser(v1::UserService::Stub& stub, const v1::AddUserRequest& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::AddUserResponse response;
  return stub.AddUser(&context, request, &response);
}

v1::AddUserRequest AddRequest(const Identity& id, v1::Role role, const std::string& handle) {
  v1::AddUserRequest r;
  r.set_sign_pub(id.sign_pub_hex());
  r.set_kex_pub(id.kex_pub_hex());
  r.set_handle(handle);
  r.set_role(role);
  return r;
}

// Makes the writer admins (through the first admin), their warm channels (a WhoAmI each, retried
// until the node knows the identity), and adds + waits for the connect identities.
absl::Status Prepare(System& sys, int callers, int per_caller, int n_peers) {
  for (int i = 0; i < callers * per_caller; ++i) {
    auto w = std::make_unique<Writer>();
    w->node = i % sys.nodes;
    std::string handle = absl::StrFormat("%s-admin-%03d", sys.name, i);
    absl::Status s = Retry(
        [&] { return sys.add_as_admin(w->id, v1::ROLE_ADMIN, handle, w->node).status(); },
        absl::Seconds(30));
    if (!s.ok()) return absl::Status(s.code(), "adding a writer admin: " + s.ToString());
    w->stub = v1::UserService::NewStub(sys.channel(w->id, w->node));
    sys.writers.push_back(std::move(w));
  }
  for (auto& w : sys.writers) {
    absl::Status s = Retry([&] { return FromGrpc(CallWhoAmI(*w->stub)); }, absl::Seconds(30));
    if (!s.ok()) return absl::Status(s.code(), "warming a writer channel: " + s.ToString());
  }
  // The connect identities, added through the warm writers (untimed).
  sys.peers.reserve(n_peers);
  for (int i = 0; i < n_peers; ++i) sys.peers.push_back(Identity::Generate());
  for (int i = 0; i < n_peers; ++i) {
    Writer& w = *sys.writers[i % sys.writers.size()];
    v1::AddUserRequest req =
        AddRequest(sys.peers[i], v1::ROLE_MEMBER, absl::StrFormat("%s-peer-%05d", sys.name, i));
    absl::Status s = Retry([&] { return FromGrpc(CallAddUser(*w.stub, req)); }, absl::Seconds(30));
    if (!s.ok()) return absl::Status(s.code(), "adding a connect identity: " + s.ToString());
  }
  // Every identity accepted by every node's authd (the grants feed may lag the AddUser calls);
  // this is also the warm-up: one connect per identity and node.
  constexpr int kWaitThreads = 4;
  std::vector<std::thread> workers;
  std::vector<absl::Status> status(kWaitThreads);
  for (int t = 0; t < kWaitThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = t; i < n_peers && status[t].ok(); i += kWaitThreads) {
        for (int node = 0; node < sys.nodes && status[t].ok(); ++node) {
          status[t] = Retry(
              [&] {
                auto nc = broker_auth::testing::ConnectPeer(sys.nats_urls[node], sys.peers[i]);
                // A refused CONNECT comes back as some nats.c error: treat all as "not yet".
                return nc.ok() ? absl::OkStatus() : absl::UnavailableError(nc.status().ToString());
              },
              absl::Seconds(60));
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  for (const absl::Status& s : status) {
    if (!s.ok()) return absl::Status(s.code(), "waiting until authd accepts: " + s.ToString());
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Timed runs

struct Result {
  double rate = 0;  // successful operations per second of wall time
  double p50_us = 0;
  double p99_us = 0;
  int64_t ok = 0;
  int64_t errors = 0;
  int64_t throttled = 0;  // RESOURCE_EXHAUSTED answers (retried)
  std::string first_error;
  double cpu_us[kProcKinds + 1] = {0, 0, 0, 0};  // per successful op; [kProcKinds] = client
};

// `threads` closed-loop threads; thread t runs op(t, i) for i = t, t + threads, ... < total.
// `op` returns OK, or an error; it adds its throttled retries to the counter it is given.
Result RunClosedLoop(
    const Procs& procs, int threads, int total,
    const std::function<absl::Status(int t, int i, std::atomic<int64_t>& throttled)>& op) {
  constexpr int kMaxErrors = 20;
  std::vector<std::vector<float>> lat(threads);
  std::vector<std::string> first_error(threads);
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> throttled{0};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      lat[t].reserve(total / threads + 1);
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      for (int i = t; i < total; i += threads) {
        if (errors.load() >= kMaxErrors || Interrupted()) break;
        auto t0 = SteadyClock::now();
        absl::Status s = op(t, i, throttled);
        auto t1 = SteadyClock::now();
        if (!s.ok()) {
          if (first_error[t].empty()) first_error[t] = s.ToString();
          errors.fetch_add(1);
          continue;
        }
        lat[t].push_back(static_cast<float>(Micros(t1 - t0)));
      }
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  const CpuSample cpu0 = SampleCpu(procs);
  auto start = SteadyClock::now();
  go.store(true);
  for (std::thread& w : workers) w.join();
  double seconds = Seconds(SteadyClock::now() - start);
  const CpuSample cpu1 = SampleCpu(procs);
  Result r;
  std::vector<float> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  r.ok = static_cast<int64_t>(all.size());
  r.errors = errors.load();
  r.throttled = throttled.load();
  for (const std::string& e : first_error) {
    if (r.first_error.empty()) r.first_error = e;
  }
  r.rate = seconds > 0 ? r.ok / seconds : 0;
  r.p50_us = Percentile(all, 0.50);
  r.p99_us = Percentile(all, 0.99);
  for (int k = 0; k <= kProcKinds; ++k) {
    r.cpu_us[k] = r.ok > 0 ? (cpu1.ns[k] - cpu0.ns[k]) / 1e3 / static_cast<double>(r.ok) : 0;
  }
  return r;
}

// One RPC with the writer pool of caller t: writer (t * K + i / threads % K), retried while
// throttled.
absl::Status PooledCall(System& sys, int per_caller, int t, int k,
                        const std::function<grpc::Status(v1::UserService::Stub&)>& call,
                        std::atomic<int64_t>& throttled) {
  Writer& w = *sys.writers[static_cast<size_t>(t) * per_caller + k % per_caller];
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (true) {
    grpc::Status s = call(*w.stub);
    if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED || absl::Now() > deadline) {
      return FromGrpc(s);
    }
    throttled.fetch_add(1);
    absl::SleepFor(absl::Milliseconds(5));
  }
}

Result RunAddUsers(System& sys, int per_caller, int callers,
                   const std::vector<v1::AddUserRequest>& requests) {
  return RunClosedLoop(sys.procs, callers, static_cast<int>(requests.size()),
                       [&](int t, int i, std::atomic<int64_t>& throttled) {
                         return PooledCall(
                             sys, per_caller, t, i / callers,
                             [&](v1::UserService::Stub& stub) {
                               return CallAddUser(stub, requests[i]);
                             },
                             throttled);
                       });
}

Result RunWhoAmIs(System& sys, int per_caller, int callers, int total) {
  return RunClosedLoop(sys.procs, callers, total,
                       [&](int t, int i, std::atomic<int64_t>& throttled) {
                         return PooledCall(sys, per_caller, t, i / callers, &CallWhoAmI,
                                           throttled);
                       });
}

// Connect i: identity i % identities to node i % nodes; the latency is the connect alone
// (ConnectPeer: options + natsConnection_Connect, retrying a zero-byte signature), the rate
// includes the close.
Result RunConnects(System& sys, int threads, int total) {
  return RunClosedLoop(sys.procs, threads, total, [&](int, int i, std::atomic<int64_t>&) {
    const Identity& id = sys.peers[static_cast<size_t>(i) % sys.peers.size()];
    auto nc = broker_auth::testing::ConnectPeer(sys.nats_urls[i % sys.nodes], id);
    return nc.status();  // closed and destroyed here
  });
}

// ---------------------------------------------------------------------------------------------
// Report

struct Series {
  std::vector<Result> runs;
  double Med(double Result::*f) const {
    std::vector<double> v;
    for (const Result& r : runs) v.push_back(r.*f);
    return Median(v);
  }
  double MedCpu(int k) const {
    std::vector<double> v;
    for (const Result& r : runs) v.push_back(r.cpu_us[k]);
    return Median(v);
  }
  int64_t Sum(int64_t Result::*f) const {
    int64_t n = 0;
    for (const Result& r : runs) n += r.*f;
    return n;
  }
  std::string FirstError() const {
    for (const Result& r : runs) {
      if (!r.first_error.empty()) return r.first_error;
    }
    return "";
  }
};

// A case: one operation at one concurrency, on both systems.
struct Case {
  std::string op;
  int threads = 1;
  Series s[2];  // [0] single, [1] cluster
  std::vector<double> Ratios(double Result::*f) const {
    std::vector<double> v;
    for (size_t r = 0; r < std::min(s[0].runs.size(), s[1].runs.size()); ++r) {
      if (s[0].runs[r].*f > 0) v.push_back(s[1].runs[r].*f / s[0].runs[r].*f);
    }
    return v;
  }
};

void PrintRound(int round, const Case& c, const char* system, const Result& r) {
  std::printf("  round %d  %-8s %2d thr  %-8s %7s ops/s  p50 %7s us  p99 %7s us%s%s\n", round + 1,
              c.op.c_str(), c.threads, system, Fmt(r.rate).c_str(), Fmt(r.p50_us).c_str(),
              Fmt(r.p99_us).c_str(),
              r.throttled ? absl::StrCat("  throttled ", r.throttled).c_str() : "",
              r.errors ? absl::StrCat("  ERRORS ", r.errors, ": ", r.first_error).c_str() : "");
  std::fflush(stdout);
}

// Prints the rates table; false if any timed operation failed.
bool PrintRates(const std::vector<Case>& cases) {
  std::printf("%-8s %3s | %9s %8s %8s | %9s %8s %8s | %-16s %-16s %-16s\n", "op", "thr",
              "single/s", "p50 us", "p99 us", "cluster/s", "p50 us", "p99 us",
              "ops/s clu/single", "p50 clu/single", "p99 clu/single");
  bool ok = true;
  for (const Case& c : cases) {
    std::string notes;
    for (int k = 0; k < 2; ++k) {
      const Series& s = c.s[k];
      if (s.runs.empty()) {
        absl::StrAppend(&notes, "  ", k == 0 ? "single" : "cluster", " not measured");
        continue;
      }
      if (s.Sum(&Result::errors) > 0) {
        ok = false;
        absl::StrAppend(&notes, "  ", k == 0 ? "single" : "cluster", " ERRORS ",
                        s.Sum(&Result::errors), ": ", s.FirstError());
      }
      if (s.Sum(&Result::throttled) > 0) {
        absl::StrAppend(&notes, "  ", k == 0 ? "single" : "cluster", " THROTTLED ",
                        s.Sum(&Result::throttled), "x (rate limit: raise --ids_per_caller)");
      }
    }
    auto med = [](const Series& s, double Result::*f) {
      return s.runs.empty() ? std::string("-") : Fmt(s.Med(f));
    };
    std::printf("%-8s %3d | %9s %8s %8s | %9s %8s %8s | %-16s %-16s %-16s%s\n", c.op.c_str(),
                c.threads, med(c.s[0], &Result::rate).c_str(), med(c.s[0], &Result::p50_us).c_str(),
                med(c.s[0], &Result::p99_us).c_str(), med(c.s[1], &Result::rate).c_str(),
                med(c.s[1], &Result::p50_us).c_str(), med(c.s[1], &Result::p99_us).c_str(),
                PercentText(c.Ratios(&Result::rate)).c_str(),
                PercentText(c.Ratios(&Result::p50_us)).c_str(),
                PercentText(c.Ratios(&Result::p99_us)).c_str(), notes.c_str());
  }
  return ok;
}

// CPU per op by process kind, the cores that adds up to at the measured rate, and the verdict:
// near 2 cores busy = CPU-bound on this machine, well below = waiting (round trips, fsync).
void PrintCpu(const std::vector<Case>& cases) {
  std::printf("%-8s %3s %-8s %9s %9s %9s %9s %9s   %-6s %s\n", "op", "thr", "system", "client",
              kProcNames[kNats], kProcNames[kUnibusd], kProcNames[kAuthd], "total", "cores",
              "largest share");
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  for (const Case& c : cases) {
    for (int k = 0; k < 2; ++k) {
      const Series& s = c.s[k];
      if (s.runs.empty()) continue;
      double v[kProcKinds + 1];
      double total = 0;
      for (int p = 0; p <= kProcKinds; ++p) {
        v[p] = s.MedCpu(p);
        total += v[p];
      }
      int top = kProcKinds;
      for (int p = 0; p < kProcKinds; ++p) {
        if (v[p] > v[top]) top = p;
      }
      double cores = total * s.Med(&Result::rate) / 1e6;
      std::printf("%-8s %3d %-8s %9s %9s %9s %9s %9s   %-6s %s %.0f%%, %s\n", c.op.c_str(),
                  c.threads, k == 0 ? "single" : "cluster", Fmt(v[kProcKinds]).c_str(),
                  Fmt(v[kNats]).c_str(), Fmt(v[kUnibusd]).c_str(), Fmt(v[kAuthd]).c_str(),
                  Fmt(total).c_str(), absl::StrFormat("%.2f", cores).c_str(),
                  top == kProcKinds ? "client" : kProcNames[top],
                  total > 0 ? 100 * v[top] / total : 0.0,
                  cores > 0.8 * hw ? "CPU-bound" : "latency-bound (waits, not CPU)");
    }
  }
}

// ---------------------------------------------------------------------------------------------

// Fresh AddUser requests (made before any timed section: key generation is not measured).
std::vector<v1::AddUserRequest> FreshRequests(const std::string& tag, int n) {
  std::vector<v1::AddUserRequest> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    out.push_back(AddRequest(Identity::Generate(), v1::ROLE_MEMBER,
                             absl::StrFormat("%s-%05d", tag, i)));
  }
  return out;
}

void PrintLogTails(const std::string& dir) {
  for (const char* node : {"", "/node1", "/node2", "/node3", "/control"}) {
    for (const char* log : {"setup.log", "nats.log", "unibusd.log", "authd.log"}) {
      std::string path = absl::StrCat(dir, node, "/", log);
      std::string text = ReadFileOrEmpty(path);
      if (text.empty()) continue;
      if (text.size() > 1500) text = text.substr(text.size() - 1500);
      std::fprintf(stderr, "---- %s (tail)\n%s\n", path.c_str(), text.c_str());
    }
  }
}

int Main(const std::string& dir) {
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  const int callers = std::max(1, absl::GetFlag(FLAGS_callers));
  const int writes = std::max(1, absl::GetFlag(FLAGS_writes));
  const int reads = std::max(1, absl::GetFlag(FLAGS_reads));
  const int per_caller = std::max(1, absl::GetFlag(FLAGS_ids_per_caller));
  const int n_ids = std::max(1, absl::GetFlag(FLAGS_identities));
  const int connects = std::max(1, absl::GetFlag(FLAGS_connects));
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const int replicas = absl::GetFlag(FLAGS_replicas);
  const auto run_start = SteadyClock::now();

  std::printf("unibus cluster bench: %s, %u hardware threads%s\n", NatsServerVersion(dir).c_str(),
              std::thread::hardware_concurrency(), BuildNote());
  std::printf("directory %s (%s at exit)\n", dir.c_str(),
              absl::GetFlag(FLAGS_keep_dir) ? "kept" : "removed");
  std::fflush(stdout);

  // ---- The two systems ----
  System systems[2];
  System& single = systems[0];
  System& cluster = systems[1];
  single.name = "single";
  single.dir = dir + "/single";
  cluster.name = "cluster";
  cluster.dir = dir + "/cluster";
  mkdir(single.dir.c_str(), 0700);

  auto t0 = SteadyClock::now();
  absl::StatusOr<std::unique_ptr<Stack>> stack = Stack::Start(single.dir);
  if (!stack.ok()) {
    std::fprintf(stderr, "Stack::Start: %s\n", stack.status().ToString().c_str());
    PrintLogTails(single.dir);
    return 1;
  }
  std::printf("single node up in %.1f s: nats-server %s, unibusd %s (SQLite)\n",
              Seconds(SteadyClock::now() - t0), (*stack)->nats_url().c_str(),
              (*stack)->control().target().c_str());
  std::fflush(stdout);
  t0 = SteadyClock::now();
  std::vector<std::string> killed;
  absl::StatusOr<std::unique_ptr<Cluster>> nodes =
      StartCluster(cluster.dir, replicas,
                   absl::Seconds(std::max(1, absl::GetFlag(FLAGS_cluster_start_seconds))), &killed);
  std::string cluster_error;
  if (nodes.ok()) {
    std::printf("cluster up in %.1f s: %d nodes, KV R%d, unibusd %s\n",
                Seconds(SteadyClock::now() - t0), Cluster::kNodes, replicas,
                (*nodes)->control_targets().c_str());
  } else {
    // The harness's message ends with its setup log: keep the first line for the summary.
    cluster_error = std::string(nodes.status().message().substr(
        0, std::min(nodes.status().message().find('\n'), size_t{300})));
    std::printf("CLUSTER FAILED after %.1f s: %s\n", Seconds(SteadyClock::now() - t0),
                nodes.status().ToString().c_str());
    for (const std::string& k : killed) {
      std::printf("  killed after --cluster_start_seconds (it had not returned): %s\n", k.c_str());
    }
    std::printf("  (log tails on stderr; the single node is measured alone)\n");
    std::fflush(stdout);
    PrintLogTails(cluster.dir);
  }
  std::fflush(stdout);
  const bool active[2] = {true, nodes.ok()};

  Stack& st = **stack;
  single.nats_urls = {st.nats_url()};
  single.channel = [&st](const Identity& id, int) { return st.control().ChannelFor(id); };
  single.add_as_admin = [&st](const Identity& id, v1::Role role, const std::string& handle, int) {
    return st.control().AddUser(id, role, handle);
  };
  if (active[1]) {
    Cluster& cl = **nodes;
    cluster.nodes = Cluster::kNodes;
    for (int i = 0; i < Cluster::kNodes; ++i) cluster.nats_urls.push_back(cl.nats_url(i));
    cluster.channel = [&cl](const Identity& id, int node) { return cl.ChannelFor(id, node); };
    cluster.add_as_admin = [&cl](const Identity& id, v1::Role role, const std::string& handle,
                                 int node) { return cl.AddUser(id, role, handle, node); };
  }

  for (System& sys : systems) {
    if (!active[&sys - systems]) continue;
    sys.procs = FindProcs(sys.dir);
    t0 = SteadyClock::now();
    if (absl::Status s = Prepare(sys, callers, per_caller, n_ids); !s.ok()) {
      std::fprintf(stderr, "%s: %s\n", sys.name.c_str(), s.ToString().c_str());
      PrintLogTails(sys.dir);
      return 1;
    }
    std::printf("%s: %zu nats-server, %zu unibusd, %zu unibus-authd; %d writer admins (warm "
                "channels), %d connect identities added and accepted on every node in %.1f s\n",
                sys.name.c_str(), sys.procs.pids[kNats].size(), sys.procs.pids[kUnibusd].size(),
                sys.procs.pids[kAuthd].size(), callers * per_caller, n_ids,
                Seconds(SteadyClock::now() - t0));
    std::fflush(stdout);
  }

  // ---- Rounds ----
  const std::vector<int> concurrency = callers > 1 ? std::vector<int>{1, callers}
                                                   : std::vector<int>{1};
  const std::vector<int> connect_threads = threads > 1 ? std::vector<int>{1, threads}
                                                       : std::vector<int>{1};
  std::vector<Case> cases;
  for (int c : concurrency) cases.push_back(Case{"AddUser", c, {}});
  for (int c : concurrency) cases.push_back(Case{"WhoAmI", c, {}});
  for (int c : connect_threads) cases.push_back(Case{"connect", c, {}});

  std::printf("\n%d round(s); per case and round: %d AddUser, %d WhoAmI, %d connects\n", rounds,
              writes, reads, connects);
  for (int round = 0; round < rounds && !Interrupted(); ++round) {
    for (Case& c : cases) {
      // Alternate which system goes first, so that slow drift hits both alike.
      for (int k : {round % 2, 1 - round % 2}) {
        if (!active[k]) continue;
        System& sys = systems[k];
        Result r;
        if (c.op == "AddUser") {
          auto requests = FreshRequests(
              absl::StrFormat("%s-w-r%d-c%d", sys.name, round, c.threads), writes);
          r = RunAddUsers(sys, per_caller, c.threads, requests);
        } else if (c.op == "WhoAmI") {
          r = RunWhoAmIs(sys, per_caller, c.threads, reads);
        } else {
          r = RunConnects(sys, c.threads, connects);
        }
        PrintRound(round, c, sys.name.c_str(), r);
        c.s[k].runs.push_back(std::move(r));
      }
    }
  }

  // ---- Report ----
  std::printf("\n");
  PrintRule(kRuleWidth);
  std::printf("CLUSTER vs SINGLE NODE  median of %d round(s); ratio = cluster / single of the same "
              "round: median [min..max]\n",
              rounds);
  std::printf("single  = one unibusd (SQLite) + nats-server + unibus-authd\n"
              "cluster = 3 x (nats-server JetStream + unibusd --store=kv R%d + unibus-authd), "
              "routes over mTLS; work spread over the 3 nodes\n"
              "AddUser = admin adds a fresh identity (warm mTLS channel, %d admin identities per "
              "caller); WhoAmI = auth + allowlist read only\n"
              "connect = raw nats.c nkey connect + close through the auth callout, %d allowed "
              "identities round-robin; latency = connect only\n",
              replicas, per_caller, n_ids);
  PrintRule(kRuleWidth);
  const bool timed_ok = PrintRates(cases);
  bool ok = timed_ok;
  if (!active[1]) {
    std::printf("cluster NOT MEASURED: %s\n", cluster_error.c_str());
    ok = false;
  }
  PrintRule(kRuleWidth);
  std::printf("CPU per operation (us, median over rounds) by process kind, summed over a system's "
              "processes; cores = total x ops/s\n");
  PrintCpu(cases);
  PrintRule(kRuleWidth);
  std::printf("run took %.1f s (setup included)\n", Seconds(SteadyClock::now() - run_start));
  std::fflush(stdout);
  if (!timed_ok) {
    PrintLogTails(single.dir);
    if (active[1]) PrintLogTails(cluster.dir);
  }
  for (System& sys : systems) sys.writers.clear();  // channels before the servers
  if (nodes.ok()) nodes->reset();
  stack->reset();
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace unibus::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  unibus::bench::SetUpRunfiles(argv[0]);
  unibus::bench::CatchInterrupts();
  unibus::common::InitSodium();
  return unibus::bench::RunInTempDir(absl::GetFlag(FLAGS_tmpdir), "unibus-cluster-bench",
                                     absl::GetFlag(FLAGS_keep_dir), [](const std::string& dir) {
                                       nats_Open(-1);
                                       int code = unibus::bench::Main(dir);
                                       nats_CloseAndWait(10000);
                                       return code;
                                     });
}
