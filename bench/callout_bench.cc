// callout_bench: how fast nats-server admits unibus peers through unibus-authd's auth callout,
// measured as a ratio against nats-server's own nkey authentication of the same clients, in the
// same run (the machine is shared and noisy: only same-run ratios mean anything), and a reconnect
// storm of many clients through the callout.
//
// It starts
//   - the whole stack (broker_auth/testing/stack.h): real unibusd, nats-server with the config
//     `unibus-authd nats-config` generates (xkey-encrypted callout, 2 s timeout) and unibus-authd;
//   - a second, "baseline" nats-server with a plain config that lists the same identities as
//     `nkey:` users of one account (no callout),
// then
//   rates: closed-loop nkey connect + close of --identities identities, round-robin, sequential
//          (1 thread) and concurrent (--threads), against each server, interleaved round by round
//          (callout, baseline, baseline, callout, ...); connects/s and the latency of
//          natsConnection_Connect; medians of --rounds rounds and the per-round ratio.
//   storm: --storm_clients connections through the callout, then nats-server is restarted (a new
//          server id, same port) and every client must reconnect (reconnected callback) before
//          --storm_deadline_seconds; a closed callback (nats.c gave up) is a failure.
// Also: CPU time per connect of each process (where the time goes), and connects that fail on
// the nats.c 3.4.1 zero-byte signature problem counted apart (see SignNonce).
// Not a test: it prints tables and exits 1 if the setup failed, a timed connect failed (other
// than on a zero-byte signature) or a storm client failed; never for a missed ratio goal.
// See bench/README.md.
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/bench_env.h"
#include "bench/cpu_time.h"
#include "bench/report.h"
#include "bench/stats.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker_auth/testing/stack.h"
#include "common/crypto/identity.h"
#include "common/nats/nats_ptr.h"
#include "common/nats/nkey_signer.h"
#include "common/nats/subjects.h"
#include "common/testing/child_process.h"
#include "control/testing/unibusd_process.h"

ABSL_FLAG(int, identities, 200, "Identities whose connects are timed (added through the API and "
                                "listed as nkey users of the baseline server).");
ABSL_FLAG(int, connects, 400, "Connects per case and round (split over the threads).");
ABSL_FLAG(int, threads, 8, "Client threads of the concurrent cases.");
ABSL_FLAG(int, rounds, 5, "Interleaved rounds; medians are reported.");
ABSL_FLAG(int, storm_clients, 1000, "Connections through the callout in the reconnect storm "
                                    "(each its own identity); 0 skips the storm.");
ABSL_FLAG(int, storms, 2, "nats-server restarts (storms) over the same storm connections.");
ABSL_FLAG(int, storm_connect_threads, 4, "Threads making the storm's initial connections.");
ABSL_FLAG(int, storm_max_reconnect, 60, "nats.c reconnect attempts of each storm client.");
ABSL_FLAG(int, storm_reconnect_wait_ms, 250, "nats.c wait between reconnect attempts.");
ABSL_FLAG(int, storm_jitter_ms, 100, "nats.c reconnect jitter (its default is 100 ms).");
ABSL_FLAG(int, storm_deadline_seconds, 60, "Every storm client must reconnect within this.");
ABSL_FLAG(std::string, tmpdir, "", "Where the stack's directory goes (default $TMPDIR or /tmp). "
                                   "Removed at exit unless --keep_dir.");
ABSL_FLAG(std::string, signer, "project",
          "How clients sign the nonce: \"project\" = common/nats/nkey_signer (what unibus clients, "
          "unibus-authd and Stack::ConnectPeer use: a signature starting with 0x00 fails the attempt "
          "locally), \"raw\" = a plain callback (nats.c 3.4.1 then sends such a signature as none "
          "and the server refuses the CONNECT).");
ABSL_FLAG(bool, keep_dir, false, "Keep the temporary directory (logs) at exit.");
ABSL_FLAG(bool, baseline_trace, false, "Diagnosis: protocol tracing (trace: true) in the baseline "
                                       "nats-server's log. Slows the baseline down.");

namespace unibus::bench {
namespace {

using broker_auth::testing::Stack;
using common::Identity;
using common::nats::NatsConnectionPtr;
using common::nats::NatsOptionsPtr;
using common::testing::ChildProcess;
using common::testing::ReadFileOrEmpty;
using SteadyClock = std::chrono::steady_clock;

constexpr double kGoalRatio = 0.60;

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }
double Micros(SteadyClock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

std::string NatsError(natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  return absl::StrCat(natsStatus_GetText(s), last != nullptr && *last != '\0' ? ": " : "",
                      last != nullptr ? last : "");
}

// ---------------------------------------------------------------------------------------------
// Clients: nats.c nkey connections made exactly as Stack::ConnectPeer makes them (nonce signed
// by a callback, the identity's private inbox prefix), for either server.

// nats.c before 3.8.0 (Debian ships 3.4.1) base64-encodes the signature as if it were a C string:
// a signature whose first byte is 0x00 (1 in 256) is sent as no signature at all, and the server
// answers Authorization Violation (nats.c PR #705). The project's signer
// (common/nats/nkey_signer.h, --signer=project) fails such a signing locally instead; the raw
// callback below (--signer=raw) lets nats.c send it. Either way such a connect fails against
// either server however fast it is, so it is counted apart from the real errors. The connecting
// thread signs (reconnects: nats.c's reconnect thread), hence a thread_local flag.
thread_local bool t_zero_sig = false;
std::atomic<int64_t> g_zero_sigs{0};

bool ProjectSigner() { return absl::GetFlag(FLAGS_signer) != "raw"; }

// Zero-byte signatures so far (raw: sent empty; project: refused locally).
int64_t ZeroSigCount() {
  return ProjectSigner() ? common::nats::ZeroByteSignaturesRefused() : g_zero_sigs.load();
}

// Whether the connect that just failed in this thread with `s` failed because of the zero-byte
// signature (call before anything else touches nats.c's thread-local error).
bool FailedOnZeroByte(natsStatus s) {
  if (s == NATS_OK) return false;
  if (!ProjectSigner()) return t_zero_sig && s == NATS_CONNECTION_AUTH_FAILED;
  const char* last = nats_GetLastError(nullptr);
  return last != nullptr && absl::StrContains(last, "zero byte");
}

// The signature callback's closure: whose key signs, and where to count empty signatures.
struct Signer {
  const Identity* id = nullptr;
  std::atomic<int>* zero_sigs = nullptr;  // optional
};

natsStatus SignNonce(char** error_text, unsigned char** signature, int* length, const char* nonce,
                     void* closure) {
  (void)error_text;
  const auto* signer = static_cast<const Signer*>(closure);
  std::string sig = signer->id->Sign(nonce != nullptr ? nonce : "");
  if (!sig.empty() && sig[0] == '\0') {
    t_zero_sig = true;
    g_zero_sigs.fetch_add(1);
    if (signer->zero_sigs != nullptr) signer->zero_sigs->fetch_add(1);
  }
  *signature = static_cast<unsigned char*>(malloc(sig.size()));
  memcpy(*signature, sig.data(), sig.size());
  *length = static_cast<int>(sig.size());
  return NATS_OK;
}

struct DialConfig {
  int timeout_ms = 5000;
  int max_reconnect = 0;
  int reconnect_wait_ms = 250;
  int jitter_ms = -1;  // -1: nats.c's default
  natsErrHandler on_error = nullptr;
  natsConnectionHandler on_disconnected = nullptr;
  natsConnectionHandler on_reconnected = nullptr;
  natsConnectionHandler on_closed = nullptr;
  void* closure = nullptr;
};

// `signer` must outlive the connection.
absl::StatusOr<NatsOptionsPtr> MakeOptions(const std::string& url, const Signer& signer,
                                           const DialConfig& c) {
  const Identity& id = *signer.id;
  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) return absl::InternalError("natsOptions_Create");
  NatsOptionsPtr opts(raw);
  std::string nkey = id.nkey_public();
  natsStatus s = natsOptions_SetURL(raw, url.c_str());
  if (s == NATS_OK) {
    s = ProjectSigner()
            ? common::nats::SetNKeySigner(raw, nkey, id)
            : natsOptions_SetNKey(raw, nkey.c_str(), &SignNonce, const_cast<Signer*>(&signer));
  }
  if (s == NATS_OK) {
    s = natsOptions_SetCustomInboxPrefix(raw, common::nats::InboxPrefix(id.sign_pub_hex()).c_str());
  }
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(raw, c.max_reconnect);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(raw, c.reconnect_wait_ms);
  if (s == NATS_OK && c.jitter_ms >= 0) s = natsOptions_SetReconnectJitter(raw, c.jitter_ms, c.jitter_ms);
  if (s == NATS_OK) s = natsOptions_SetTimeout(raw, c.timeout_ms);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(raw, c.max_reconnect != 0);
  if (s == NATS_OK && c.on_error) s = natsOptions_SetErrorHandler(raw, c.on_error, c.closure);
  if (s == NATS_OK && c.on_disconnected) {
    s = natsOptions_SetDisconnectedCB(raw, c.on_disconnected, c.closure);
  }
  if (s == NATS_OK && c.on_reconnected) {
    s = natsOptions_SetReconnectedCB(raw, c.on_reconnected, c.closure);
  }
  if (s == NATS_OK && c.on_closed) s = natsOptions_SetClosedCB(raw, c.on_closed, c.closure);
  if (s != NATS_OK) return absl::InternalError(absl::StrCat("nats options: ", NatsError(s)));
  return opts;
}

// ---------------------------------------------------------------------------------------------
// The baseline: a plain nats-server with the identities as nkey users.

// Starts `server` with a config listing `ids` as nkey users of account UNIBUS; its URL.
absl::StatusOr<std::string> StartBaseline(ChildProcess& server, const std::string& dir,
                                          const std::vector<const Identity*>& ids) {
  mkdir(dir.c_str(), 0700);
  std::string ports_dir = dir + "/ports";
  mkdir(ports_dir.c_str(), 0700);
  std::string conf = absl::StrCat("# callout_bench baseline: nats-server's own nkey auth\n",
                                  "server_name: \"baseline\"\nhost: \"127.0.0.1\"\nport: -1\n",
                                  absl::GetFlag(FLAGS_baseline_trace) ? "trace: true\n" : "",
                                  "ports_file_dir: \"", ports_dir, "\"\naccounts {\n  ",
                                  common::nats::kPeerAccount, " {\n    users: [\n");
  for (const Identity* id : ids) absl::StrAppend(&conf, "      { nkey: \"", id->nkey_public(), "\" }\n");
  absl::StrAppend(&conf, "    ]\n  }\n}\n");
  std::string path = dir + "/nats.conf";
  {
    std::ofstream out(path);
    out << conf;
    if (!out) return absl::InternalError("cannot write " + path);
  }
  server.Start({broker_auth::testing::NatsServerPath(), "-c", path}, dir + "/nats.log");
  absl::Status s =
      server.WaitUntil([&] { return broker_auth::testing::ReadNatsPort(ports_dir) > 0; },
                       absl::Seconds(30));
  if (!s.ok()) return s;
  return absl::StrCat("nats://127.0.0.1:", broker_auth::testing::ReadNatsPort(ports_dir));
}

// ---------------------------------------------------------------------------------------------
// CPU accounting of the processes involved (where does a connect's CPU go?)

std::string Cmdline(pid_t pid) {
  std::string raw = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cmdline"));
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  return raw;
}

// This process's children, recognised by their command lines.
struct Pids {
  pid_t callout_nats = -1;
  pid_t baseline_nats = -1;
  pid_t authd = -1;
  pid_t unibusd = -1;
};

Pids FindPids(const std::string& stack_dir, const std::string& baseline_dir) {
  Pids p;
  DIR* d = opendir("/proc");
  if (d == nullptr) return p;
  const pid_t self = getpid();
  while (dirent* e = readdir(d)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string stat = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    int ppid = 0;
    char state = 0;
    if (std::sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) != 2 || ppid != self) {
      continue;
    }
    std::string cmd = Cmdline(pid);
    if (absl::StrContains(cmd, "nats-server") && absl::StrContains(cmd, stack_dir + "/nats.conf")) {
      p.callout_nats = pid;
    } else if (absl::StrContains(cmd, "nats-server") && absl::StrContains(cmd, baseline_dir)) {
      p.baseline_nats = pid;
    } else if (absl::StrContains(cmd, "unibus-authd") && absl::StrContains(cmd, " serve")) {
      p.authd = pid;
    } else if (absl::StrContains(cmd, "unibusd") && absl::StrContains(cmd, " serve")) {
      p.unibusd = pid;
    }
  }
  closedir(d);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Connect rate

struct RateResult {
  double rate = 0;  // successful connects per second of wall time (connect + close)
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  int64_t ok = 0;
  int64_t errors = 0;
  int64_t zero_sig = 0;  // failed on a zero-byte signature (nats.c 3.4.1; not errors)
  std::string first_error;
  // CPU time per successful connect, in microseconds: this process (the clients), the server
  // (nats-server) and unibus-authd (callout only).
  double cpu_client_us = 0;
  double cpu_server_us = 0;
  double cpu_authd_us = 0;
};

// `threads` threads make `total` connects (connect, then close) to `url`, thread t using
// identities t, t+threads, ... round-robin. Latency is natsConnection_Connect alone.
RateResult RunConnects(const std::string& url, const std::vector<const Identity*>& ids,
                       int threads, int total, pid_t server_pid, pid_t authd_pid) {
  constexpr int kMaxErrors = 20;  // each failure may cost the 2 s callout timeout
  std::vector<std::vector<float>> lat(threads);
  std::vector<std::string> first_error(threads);
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> zero_sig{0};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      int mine = total / threads + (t < total % threads ? 1 : 0);
      lat[t].reserve(mine);
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      for (int k = 0; k < mine; ++k) {
        if (errors.load() >= kMaxErrors || Interrupted()) break;
        const Identity& id = *ids[(t + static_cast<size_t>(k) * threads) % ids.size()];
        const Signer signer{&id};
        absl::StatusOr<NatsOptionsPtr> opts = MakeOptions(url, signer, DialConfig{});
        if (!opts.ok()) {
          if (first_error[t].empty()) first_error[t] = opts.status().ToString();
          errors.fetch_add(1);
          continue;
        }
        natsConnection* nc = nullptr;
        t_zero_sig = false;
        auto t0 = SteadyClock::now();
        natsStatus s = natsConnection_Connect(&nc, opts->get());
        auto t1 = SteadyClock::now();
        if (s != NATS_OK) {
          if (FailedOnZeroByte(s)) {
            zero_sig.fetch_add(1);
            continue;
          }
          if (first_error[t].empty()) first_error[t] = NatsError(s);
          errors.fetch_add(1);
          continue;
        }
        lat[t].push_back(static_cast<float>(Micros(t1 - t0)));
        NatsConnectionPtr close(nc);
      }
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  const int64_t cpu0[3] = {SelfCpuNs(), ProcessCpuNs(server_pid), ProcessCpuNs(authd_pid)};
  auto start = SteadyClock::now();
  go.store(true);
  for (std::thread& w : workers) w.join();
  double seconds = Seconds(SteadyClock::now() - start);
  const int64_t cpu1[3] = {SelfCpuNs(), ProcessCpuNs(server_pid), ProcessCpuNs(authd_pid)};
  RateResult r;
  std::vector<float> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  r.ok = static_cast<int64_t>(all.size());
  r.errors = errors.load();
  r.zero_sig = zero_sig.load();
  for (const std::string& e : first_error) {
    if (r.first_error.empty()) r.first_error = e;
  }
  r.rate = seconds > 0 ? r.ok / seconds : 0;
  auto per_connect_us = [&](int k) {
    if (cpu0[k] < 0 || cpu1[k] < 0 || r.ok == 0) return 0.0;
    return (cpu1[k] - cpu0[k]) / 1e3 / static_cast<double>(r.ok);
  };
  r.cpu_client_us = per_connect_us(0);
  r.cpu_server_us = per_connect_us(1);
  r.cpu_authd_us = per_connect_us(2);
  r.p50_us = Percentile(all, 0.50);
  r.p99_us = Percentile(all, 0.99);
  r.max_us = all.empty() ? 0 : all.back();
  return r;
}

// Connects every identity once, retrying refusals (the grants feed may lag the AddUser calls)
// until `deadline`. OK when all were accepted.
absl::Status WaitAllAccepted(const std::string& url, const std::vector<const Identity*>& ids,
                             absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::string last;
  for (const Identity* id : ids) {
    while (true) {
      const Signer signer{id};
      absl::StatusOr<NatsOptionsPtr> opts = MakeOptions(url, signer, DialConfig{});
      if (!opts.ok()) return opts.status();
      natsConnection* nc = nullptr;
      natsStatus s = natsConnection_Connect(&nc, opts->get());
      if (s == NATS_OK) {
        NatsConnectionPtr close(nc);
        break;
      }
      last = NatsError(s);
      if (absl::Now() > deadline || Interrupted()) {
        return absl::DeadlineExceededError("identities not accepted in time: " + last);
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Reconnect storm

struct StormClient {
  const Identity* id = nullptr;
  std::atomic<int> zero_sigs{0};  // signatures of this client that nats.c sent empty (raw)
  Signer signer{nullptr, &zero_sigs};
  natsConnection* nc = nullptr;
  std::atomic<int> disconnects{0};
  std::atomic<int> reconnects{0};
  std::atomic<int> errors{0};
  std::atomic<bool> closed{false};
  std::atomic<int64_t> last_reconnect_ns{0};

  static void OnDisconnected(natsConnection*, void* c) {
    static_cast<StormClient*>(c)->disconnects.fetch_add(1);
  }
  static void OnReconnected(natsConnection*, void* c) {
    auto* self = static_cast<StormClient*>(c);
    self->last_reconnect_ns.store(NowNs());
    self->reconnects.fetch_add(1);
  }
  std::string closed_reason;  // written before `closed` is set, read after
  static void OnClosed(natsConnection* nc, void* c) {
    auto* self = static_cast<StormClient*>(c);
    const char* text = nullptr;
    natsStatus s = natsConnection_GetLastError(nc, &text);
    self->closed_reason = absl::StrCat(natsStatus_GetText(s), text != nullptr && *text ? ": " : "",
                                       text != nullptr ? text : "");
    self->closed.store(true);
  }
  static void OnError(natsConnection*, natsSubscription*, natsStatus, void* c) {
    static_cast<StormClient*>(c)->errors.fetch_add(1);
  }
};

// Lines of `path` after byte `offset` containing `needle` (case-insensitive).
int CountLines(const std::string& path, size_t offset, const std::string& needle) {
  std::string text = ReadFileOrEmpty(path);
  if (offset > text.size()) offset = text.size();
  std::string lower = absl::AsciiStrToLower(needle);
  int n = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text).substr(offset), '\n')) {
    if (absl::StrContains(absl::AsciiStrToLower(line), lower)) ++n;
  }
  return n;
}

// Seconds since midnight of a nats-server log line ("[pid] 2026/01/02 15:04:05.000000 [LVL] ..."),
// or -1.
double LogLineSeconds(absl::string_view line) {
  int h = 0, m = 0;
  double sec = 0;
  size_t sp = line.find(' ');
  if (sp == absl::string_view::npos) return -1;
  sp = line.find(' ', sp + 1);  // after the date
  if (sp == absl::string_view::npos) return -1;
  std::string t(line.substr(sp + 1, 15));
  if (std::sscanf(t.c_str(), "%d:%d:%lf", &h, &m, &sec) != 3) return -1;
  return h * 3600.0 + m * 60.0 + sec;
}

// When, after the new nats-server said it was ready, the auth callouts that took >= 2 s began
// (nats-server logs "Readloop processing time: X" when a client's CONNECT blocked X on the
// callout). Buckets of the start offset: <250 ms, <500 ms, <1 s, <2 s, >= 2 s.
struct SlowCallouts {
  int buckets[5] = {0, 0, 0, 0, 0};
  double first_ms = -1, last_ms = -1;
};

SlowCallouts SlowCalloutStarts(const std::string& path, size_t offset) {
  SlowCallouts out;
  std::string text = ReadFileOrEmpty(path);
  if (offset > text.size()) offset = text.size();
  double ready = -1;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text).substr(offset), '\n')) {
    if (ready < 0 && absl::StrContains(line, "Server is ready")) ready = LogLineSeconds(line);
    size_t at = line.find("Readloop processing time: ");
    if (ready < 0 || at == absl::string_view::npos) continue;
    std::string dur(line.substr(at + 26));
    double x = std::atof(dur.c_str());
    if (absl::EndsWith(dur, "ms")) x /= 1e3;
    double start_ms = (LogLineSeconds(line) - x - ready) * 1e3;
    int b = start_ms < 250 ? 0 : start_ms < 500 ? 1 : start_ms < 1000 ? 2 : start_ms < 2000 ? 3 : 4;
    ++out.buckets[b];
    if (out.first_ms < 0 || start_ms < out.first_ms) out.first_ms = start_ms;
    out.last_ms = std::max(out.last_ms, start_ms);
  }
  return out;
}

size_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : 0;
}

std::string ServerId(natsConnection* nc) {
  char buf[256] = {0};
  if (natsConnection_GetConnectedServerId(nc, buf, sizeof(buf)) != NATS_OK) return "";
  return buf;
}

struct StormResult {
  int clients = 0;            // live connections going into the storm
  double restart_ms = 0;      // SIGTERM to the new nats-server's ports file
  int disconnected = 0;       // clients that saw a disconnect
  int reconnected = 0;        // clients whose reconnected callback ran (by the deadline)
  int closed = 0;             // nats.c gave up: failures
  int missing = 0;            // neither reconnected nor closed by the deadline: failures
  int flapped = 0;            // more than one disconnect in this storm
  int verify_failed = 0;      // reconnected but no flush round trip on the new server
  double all_reconnected_s = -1;  // restart start -> last reconnected callback
  double after_ready_s = -1;      // new server ready -> last reconnected callback
  double p50_s = 0, p99_s = 0;    // per-client reconnect time from restart start
  int authd_refused = 0, authd_dropped = 0, authd_queue_full = 0;
  int authd_no_nonce = 0;         // refusals of a CONNECT nats.c sent without its signature
  int nats_auth_errors = 0;       // "authentication error" lines of nats-server
  int nats_slow_auth = 0;         // "Readloop processing time" >= 2 s: a callout that timed out
  int64_t zero_sigs = 0;          // zero-byte signatures during the storm (sent empty / refused)
  int auth_errored = 0;           // clients that got an auth error (error callback) on the way
  SlowCallouts slow;
  std::vector<std::string> failed;  // "nkey: reason" of the first few failures
  std::string error;
  int failures() const { return closed + missing + verify_failed; }
};

StormResult RunStorm(Stack& stack, std::vector<std::unique_ptr<StormClient>>& clients,
                     absl::Duration deadline) {
  StormResult r;
  std::vector<StormClient*> live;
  std::vector<int> base_disc, base_reco, base_err, base_zero;
  for (auto& c : clients) {
    if (c->nc == nullptr || c->closed.load()) continue;
    live.push_back(c.get());
    base_zero.push_back(c->zero_sigs.load());
    base_disc.push_back(c->disconnects.load());
    base_reco.push_back(c->reconnects.load());
    base_err.push_back(c->errors.load());
  }
  r.clients = static_cast<int>(live.size());
  if (live.empty()) {
    r.error = "no live clients";
    return r;
  }
  const std::string old_server = ServerId(live.front()->nc);
  const std::string authd_log = stack.dir() + "/authd.log";
  const std::string nats_log = stack.dir() + "/nats.log";
  size_t authd_off = FileSize(authd_log);
  size_t nats_off = FileSize(nats_log);

  const int64_t zero_sigs0 = ZeroSigCount();
  int64_t start_ns = NowNs();
  absl::Status s = stack.RestartNats();
  int64_t ready_ns = NowNs();
  r.restart_ms = (ready_ns - start_ns) / 1e6;
  if (!s.ok()) {
    r.error = "RestartNats: " + s.ToString();
    return r;
  }
  auto done = [&](size_t i) {
    return live[i]->reconnects.load() > base_reco[i] || live[i]->closed.load();
  };
  int64_t deadline_ns = start_ns + absl::ToInt64Nanoseconds(deadline);
  while (NowNs() < deadline_ns && !Interrupted()) {
    bool all = true;
    for (size_t i = 0; i < live.size() && all; ++i) all = done(i);
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<float> times;
  int64_t last_ns = 0;
  for (size_t i = 0; i < live.size(); ++i) {
    StormClient& c = *live[i];
    int disc = c.disconnects.load() - base_disc[i];
    if (disc > 0) ++r.disconnected;
    if (disc > 1) ++r.flapped;
    if (c.errors.load() > base_err[i]) ++r.auth_errored;
    if (c.closed.load()) {
      ++r.closed;
      if (r.failed.size() < 5) {
        r.failed.push_back(absl::StrCat(
            c.id->nkey_public(), " gave up after ", c.errors.load() - base_err[i], " auth error(s)",
            ProjectSigner() ? ""
                            : absl::StrCat(", ", c.zero_sigs.load() - base_zero[i],
                                           " of them with a signature nats.c sent empty"),
            ": ", c.closed_reason));
      }
    } else if (c.reconnects.load() > base_reco[i]) {
      ++r.reconnected;
      int64_t at = c.last_reconnect_ns.load();
      last_ns = std::max(last_ns, at);
      times.push_back(static_cast<float>((at - start_ns) / 1e9));
    } else {
      ++r.missing;
      if (r.failed.size() < 5) {
        r.failed.push_back(absl::StrCat(c.id->nkey_public(), " not reconnected by the deadline"));
      }
    }
  }
  std::sort(times.begin(), times.end());
  r.p50_s = Percentile(times, 0.50);
  r.p99_s = Percentile(times, 0.99);
  if (r.reconnected == r.clients) {
    r.all_reconnected_s = (last_ns - start_ns) / 1e9;
    r.after_ready_s = (last_ns - ready_ns) / 1e9;
  }
  // Each reconnected client must round-trip on the new server.
  for (size_t i = 0; i < live.size(); ++i) {
    StormClient& c = *live[i];
    if (c.closed.load() || c.reconnects.load() <= base_reco[i]) continue;
    if (natsConnection_FlushTimeout(c.nc, 5000) != NATS_OK || ServerId(c.nc) == old_server ||
        ServerId(c.nc).empty()) {
      ++r.verify_failed;
      if (r.failed.size() < 5) {
        r.failed.push_back(absl::StrCat(c.id->nkey_public(), " no round trip on the new server"));
      }
    }
  }
  // unibus-authd and nats-server's view of the storm.
  absl::SleepFor(absl::Milliseconds(200));  // let the logs catch up
  r.zero_sigs = ZeroSigCount() - zero_sigs0;
  r.authd_refused = CountLines(authd_log, authd_off, "refused");
  r.authd_no_nonce = CountLines(authd_log, authd_off, "no nonce");
  r.authd_dropped = CountLines(authd_log, authd_off, "dropped");
  r.authd_queue_full = CountLines(authd_log, authd_off, "queue full");
  r.nats_auth_errors = CountLines(nats_log, nats_off, "authentication error");
  r.nats_slow_auth = CountLines(nats_log, nats_off, "readloop processing time");
  r.slow = SlowCalloutStarts(nats_log, nats_off);
  return r;
}

// ---------------------------------------------------------------------------------------------

constexpr int kRuleWidth = 100;  // of the tables' rules (report.h PrintRule)

struct Series {
  std::vector<RateResult> runs;
  double Med(double RateResult::*f) const {
    std::vector<double> v;
    for (const RateResult& r : runs) v.push_back(r.*f);
    return Median(v);
  }
  int64_t errors() const {
    int64_t e = 0;
    for (const RateResult& r : runs) e += r.errors;
    return e;
  }
  std::string first_error() const {
    for (const RateResult& r : runs) {
      if (!r.first_error.empty()) return r.first_error;
    }
    return "";
  }
};

int Main(const std::string& dir) {
  const int n_ids = std::max(1, absl::GetFlag(FLAGS_identities));
  const int connects = std::max(1, absl::GetFlag(FLAGS_connects));
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  const int storm_clients = std::max(0, absl::GetFlag(FLAGS_storm_clients));
  const int storms = std::max(1, absl::GetFlag(FLAGS_storms));
  const int storm_threads = std::max(1, absl::GetFlag(FLAGS_storm_connect_threads));
  const int total_ids = std::max(n_ids, storm_clients);

  std::printf("unibus callout bench: %s, nats.c %s, %u hardware threads, --signer=%s%s\n",
              NatsServerVersion(dir).c_str(), nats_GetVersion(), std::thread::hardware_concurrency(),
              ProjectSigner() ? "project" : "raw", BuildNote());
  std::printf("directory %s (%s at exit)\n", dir.c_str(),
              absl::GetFlag(FLAGS_keep_dir) ? "kept" : "removed");
  std::fflush(stdout);

  // ---- Stack, identities, baseline ----
  std::string stack_dir = dir + "/stack";
  mkdir(stack_dir.c_str(), 0700);
  auto t_setup = SteadyClock::now();
  absl::StatusOr<std::unique_ptr<Stack>> started = Stack::Start(stack_dir);
  if (!started.ok()) {
    std::fprintf(stderr, "Stack::Start: %s\n", started.status().ToString().c_str());
    return 1;
  }
  Stack& stack = **started;
  std::printf("stack up in %.1f s: callout nats-server %s, unibusd %s\n",
              Seconds(SteadyClock::now() - t_setup), stack.nats_url().c_str(),
              stack.control().target().c_str());

  std::vector<Identity> identities;
  identities.reserve(total_ids);
  for (int i = 0; i < total_ids; ++i) identities.push_back(Identity::Generate());
  std::vector<const Identity*> all_ids;
  for (const Identity& id : identities) all_ids.push_back(&id);
  const std::vector<const Identity*> rate_ids(all_ids.begin(), all_ids.begin() + n_ids);

  // AddUser through the API (each call is its own mTLS channel; unibusd limits the admin to
  // 200/s with a burst of 400, so RESOURCE_EXHAUSTED is retried).
  auto t_add = SteadyClock::now();
  {
    constexpr int kAddThreads = 4;
    std::atomic<int> next{0};
    std::atomic<bool> failed{false};
    std::string error;
    std::vector<std::thread> adders;
    for (int t = 0; t < kAddThreads; ++t) {
      adders.emplace_back([&, t] {
        for (int i = next.fetch_add(1); i < total_ids && !failed.load(); i = next.fetch_add(1)) {
          absl::Time deadline = absl::Now() + absl::Seconds(30);
          while (true) {
            auto user = stack.control().AddUser(identities[i], v1::ROLE_MEMBER,
                                                absl::StrFormat("bench-%05d", i));
            if (user.ok()) break;
            if (Interrupted() || absl::Now() > deadline ||
                (user.status().code() != absl::StatusCode::kResourceExhausted &&
                 user.status().code() != absl::StatusCode::kUnavailable)) {
              if (t == 0 || !failed.exchange(true)) error = user.status().ToString();
              failed.store(true);
              return;
            }
            absl::SleepFor(absl::Milliseconds(20));
          }
        }
      });
    }
    for (std::thread& a : adders) a.join();
    if (failed.load()) {
      std::fprintf(stderr, "AddUser failed: %s\n", error.c_str());
      return 1;
    }
  }
  std::printf("%d identities added through UserService/AddUser in %.1f s\n", total_ids,
              Seconds(SteadyClock::now() - t_add));

  ChildProcess baseline_server;
  absl::StatusOr<std::string> baseline_url = StartBaseline(baseline_server, dir + "/baseline", rate_ids);
  if (!baseline_url.ok()) {
    std::fprintf(stderr, "baseline nats-server: %s\n", baseline_url.status().ToString().c_str());
    return 1;
  }
  std::printf("baseline nats-server %s: the same %d identities as nkey users, no callout\n",
              baseline_url->c_str(), n_ids);
  const Pids pids = FindPids(stack_dir, dir + "/baseline");
  std::printf("pids: callout nats-server %d, unibus-authd %d, unibusd %d, baseline nats-server %d\n",
              pids.callout_nats, pids.authd, pids.unibusd, pids.baseline_nats);

  // Everyone accepted on both servers (this is also the warm-up: one connect per identity).
  auto t_wait = SteadyClock::now();
  if (absl::Status s = WaitAllAccepted(stack.nats_url(), all_ids, absl::Seconds(60)); !s.ok()) {
    std::fprintf(stderr, "callout: %s\n", s.ToString().c_str());
    return 1;
  }
  if (absl::Status s = WaitAllAccepted(*baseline_url, rate_ids, absl::Seconds(30)); !s.ok()) {
    std::fprintf(stderr, "baseline: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("every identity accepted (warm-up connect each) in %.1f s\n",
              Seconds(SteadyClock::now() - t_wait));
  std::fflush(stdout);

  // ---- Connect rates ----
  enum Server { kCallout = 0, kBaseline = 1 };
  const char* server_names[] = {"callout (authd)", "baseline (nkey)"};
  const std::string urls[] = {stack.nats_url(), *baseline_url};
  const std::vector<int> thread_counts = threads > 1 ? std::vector<int>{1, threads}
                                                     : std::vector<int>{1};
  // series[thread index][server]
  std::vector<std::vector<Series>> series(thread_counts.size(), std::vector<Series>(2));
  std::printf("\nrates: %d round(s) x %zu thread count(s) x 2 servers, %d connects (connect + "
              "close) per case and round\n",
              rounds, thread_counts.size(), connects);
  for (int round = 0; round < rounds && !Interrupted(); ++round) {
    for (size_t ti = 0; ti < thread_counts.size(); ++ti) {
      // Alternate which server goes first, so slow drift hits both alike.
      const int order[2] = {round % 2 == 0 ? kCallout : kBaseline,
                            round % 2 == 0 ? kBaseline : kCallout};
      for (int srv : order) {
        RateResult r = RunConnects(urls[srv], rate_ids, thread_counts[ti], connects,
                                   srv == kCallout ? pids.callout_nats : pids.baseline_nats,
                                   srv == kCallout ? pids.authd : -1);
        std::printf("  round %d  %-16s %2d thr  %7s conn/s  p50 %6s us  p99 %6s us  max %7s us  "
                    "cpu us/conn: client %s server %s authd %s%s%s\n",
                    round + 1, server_names[srv], thread_counts[ti], Fmt(r.rate).c_str(),
                    Fmt(r.p50_us).c_str(), Fmt(r.p99_us).c_str(), Fmt(r.max_us).c_str(),
                    Fmt(r.cpu_client_us).c_str(), Fmt(r.cpu_server_us).c_str(),
                    srv == kCallout ? Fmt(r.cpu_authd_us).c_str() : "-",
                    r.zero_sig ? absl::StrCat("  (zero-byte sig: ", r.zero_sig, ")").c_str() : "",
                    r.errors ? absl::StrCat("  ERRORS ", r.errors, ": ", r.first_error).c_str()
                             : "");
        std::fflush(stdout);
        series[ti][srv].runs.push_back(std::move(r));
      }
    }
  }
  auto ratios = [&](size_t ti, double RateResult::*f) {
    std::vector<double> v;
    const Series& c = series[ti][kCallout];
    const Series& b = series[ti][kBaseline];
    for (size_t r = 0; r < std::min(c.runs.size(), b.runs.size()); ++r) {
      if (b.runs[r].*f > 0) v.push_back(c.runs[r].*f / b.runs[r].*f);
    }
    return v;
  };
  auto ratio_text = [](const std::vector<double>& v) -> std::string {
    if (v.empty()) return "-";
    return absl::StrFormat("%.2f [%.2f..%.2f]", Median(v), *std::min_element(v.begin(), v.end()),
                           *std::max_element(v.begin(), v.end()));
  };

  // ---- Storm ----
  std::vector<std::unique_ptr<StormClient>> clients;
  std::vector<StormResult> storm_results;
  int initial_failures = 0;
  int initial_zero_sig_retries = 0;
  double initial_seconds = 0;
  std::vector<float> initial_lat;
  std::string initial_error;
  bool storm_ok = true;
  if (storm_clients > 0 && !Interrupted()) {
    std::printf("\nstorm: connecting %d clients through the callout (%d threads)...\n",
                storm_clients, storm_threads);
    std::fflush(stdout);
    for (int i = 0; i < storm_clients; ++i) {
      clients.push_back(std::make_unique<StormClient>());
      clients.back()->id = all_ids[i];
      clients.back()->signer.id = all_ids[i];
    }
    std::vector<std::vector<float>> lat(storm_threads);
    std::vector<std::string> errs(storm_threads);
    std::atomic<int> failures{0};
    std::atomic<int> zero_sig_retries{0};
    std::vector<std::thread> workers;
    auto start = SteadyClock::now();
    for (int t = 0; t < storm_threads; ++t) {
      workers.emplace_back([&, t] {
        for (int i = t; i < storm_clients && !Interrupted(); i += storm_threads) {
          StormClient& c = *clients[i];
          DialConfig dc;
          dc.max_reconnect = absl::GetFlag(FLAGS_storm_max_reconnect);
          dc.reconnect_wait_ms = absl::GetFlag(FLAGS_storm_reconnect_wait_ms);
          dc.jitter_ms = absl::GetFlag(FLAGS_storm_jitter_ms);
          dc.on_error = &StormClient::OnError;
          dc.on_disconnected = &StormClient::OnDisconnected;
          dc.on_reconnected = &StormClient::OnReconnected;
          dc.on_closed = &StormClient::OnClosed;
          dc.closure = &c;
          absl::StatusOr<NatsOptionsPtr> opts = MakeOptions(stack.nats_url(), c.signer, dc);
          if (!opts.ok()) {
            if (errs[t].empty()) errs[t] = opts.status().ToString();
            failures.fetch_add(1);
            continue;
          }
          auto t0 = SteadyClock::now();
          natsStatus s = NATS_ERR;
          for (int attempt = 0; attempt < 3; ++attempt) {
            t_zero_sig = false;
            s = natsConnection_Connect(&c.nc, opts->get());
            if (s == NATS_OK || !FailedOnZeroByte(s)) break;
            zero_sig_retries.fetch_add(1);  // the zero-byte signature: try again
          }
          auto t1 = SteadyClock::now();
          if (s != NATS_OK) {
            if (errs[t].empty()) errs[t] = NatsError(s);
            c.nc = nullptr;
            failures.fetch_add(1);
            continue;
          }
          lat[t].push_back(static_cast<float>(Micros(t1 - t0)));
        }
      });
    }
    for (std::thread& w : workers) w.join();
    initial_seconds = Seconds(SteadyClock::now() - start);
    initial_failures = failures.load();
    initial_zero_sig_retries = zero_sig_retries.load();
    for (auto& l : lat) initial_lat.insert(initial_lat.end(), l.begin(), l.end());
    std::sort(initial_lat.begin(), initial_lat.end());
    for (const std::string& e : errs) {
      if (initial_error.empty()) initial_error = e;
    }
    std::printf("  %d connected in %.2f s (%.0f conn/s), p50 %s us, p99 %s us, %d failed%s; "
                "%d retried after a zero-byte signature\n",
                static_cast<int>(initial_lat.size()), initial_seconds,
                initial_lat.size() / std::max(initial_seconds, 1e-9),
                Fmt(Percentile(initial_lat, 0.5)).c_str(), Fmt(Percentile(initial_lat, 0.99)).c_str(),
                initial_failures, initial_error.empty() ? "" : (": " + initial_error).c_str(),
                initial_zero_sig_retries);
    std::fflush(stdout);
    if (initial_failures > 0) storm_ok = false;

    for (int k = 0; k < storms && !Interrupted(); ++k) {
      std::printf("  storm %d: restarting nats-server...\n", k + 1);
      std::fflush(stdout);
      StormResult r =
          RunStorm(stack, clients, absl::Seconds(absl::GetFlag(FLAGS_storm_deadline_seconds)));
      std::printf("  storm %d: %d clients, restart %.0f ms, disconnected %d, reconnected %d, gave "
                  "up (closed) %d, missing %d, not verified %d, flapped %d; all back in %s s "
                  "(%s s after the new server was ready), p50 %.2f s, p99 %.2f s%s\n",
                  k + 1, r.clients, r.restart_ms, r.disconnected, r.reconnected, r.closed,
                  r.missing, r.verify_failed, r.flapped,
                  r.all_reconnected_s >= 0 ? absl::StrFormat("%.2f", r.all_reconnected_s).c_str()
                                           : "NOT",
                  r.after_ready_s >= 0 ? absl::StrFormat("%.2f", r.after_ready_s).c_str() : "-",
                  r.p50_s, r.p99_s, r.error.empty() ? "" : ("  ERROR " + r.error).c_str());
      std::printf("           %d client(s) got an auth error on the way (error callback); nats-server "
                  "logged %d authentication errors, %d auth callouts >= 2 s; unibus-authd refused "
                  "%d (%d 'no nonce'), dropped %d, queue full %d; %lld zero-byte signatures (%s)\n",
                  r.auth_errored, r.nats_auth_errors, r.nats_slow_auth, r.authd_refused,
                  r.authd_no_nonce, r.authd_dropped, r.authd_queue_full,
                  static_cast<long long>(r.zero_sigs),
                  ProjectSigner() ? "refused locally by the signer" : "sent empty by nats.c");
      std::printf("           callouts >= 2 s began after the new server was ready at +%.0f..+%.0f "
                  "ms: <250 ms %d, 250-500 ms %d, 0.5-1 s %d, 1-2 s %d, >= 2 s %d\n",
                  r.slow.first_ms, r.slow.last_ms, r.slow.buckets[0], r.slow.buckets[1],
                  r.slow.buckets[2], r.slow.buckets[3], r.slow.buckets[4]);
      for (const std::string& f : r.failed) std::printf("           FAILED %s\n", f.c_str());
      std::fflush(stdout);
      if (r.failures() > 0 || !r.error.empty() || r.reconnected != r.clients) storm_ok = false;
      storm_results.push_back(std::move(r));
      if (!storm_results.back().error.empty()) break;
    }
  }

  // ---- Report ----
  std::printf("\n");
  PrintRule(kRuleWidth);
  std::printf("CONNECT RATE  nats.c nkey connect + close, %d identities round-robin, %d connects "
              "per case and round, median of %d round(s)\n",
              n_ids, connects, rounds);
  std::printf("callout  = nats-server -> auth callout (xkey) -> unibus-authd (grants cache, user JWT)\n"
              "baseline = a second nats-server, same identities as plain nkey users (no callout)\n"
              "latency  = natsConnection_Connect only; conn/s = connects / wall time incl. close\n"
              "ratio    = callout / baseline of the same round: median [min..max] over rounds\n");
  PrintRule(kRuleWidth);
  std::printf("%-16s %3s %8s %8s %8s %9s   %-18s %-18s %-18s\n", "server", "thr", "conn/s",
              "p50 us", "p99 us", "max us", "conn/s ratio", "p50 ratio", "p99 ratio");
  bool rates_ok = true;
  int64_t zero_sig_total = 0;
  for (size_t ti = 0; ti < thread_counts.size(); ++ti) {
    for (int srv : {kCallout, kBaseline}) {
      const Series& s = series[ti][srv];
      bool cb = srv == kCallout;
      std::printf("%-16s %3d %8s %8s %8s %9s   %-18s %-18s %-18s%s\n", server_names[srv],
                  thread_counts[ti], Fmt(s.Med(&RateResult::rate)).c_str(),
                  Fmt(s.Med(&RateResult::p50_us)).c_str(), Fmt(s.Med(&RateResult::p99_us)).c_str(),
                  Fmt(s.Med(&RateResult::max_us)).c_str(),
                  cb ? ratio_text(ratios(ti, &RateResult::rate)).c_str() : "(baseline)",
                  cb ? ratio_text(ratios(ti, &RateResult::p50_us)).c_str() : "",
                  cb ? ratio_text(ratios(ti, &RateResult::p99_us)).c_str() : "",
                  s.errors() ? absl::StrCat("  ERRORS ", s.errors(), ": ", s.first_error()).c_str()
                             : "");
      if (s.errors() || s.runs.empty()) rates_ok = false;
      for (const RateResult& r : s.runs) zero_sig_total += r.zero_sig;
    }
  }
  PrintRule(kRuleWidth);
  std::printf("CPU per successful connect (us, median over rounds): where the time goes\n");
  std::printf("%-16s %3s %10s %10s %10s %10s   %s\n", "server", "thr", "client", "nats-srv",
              "authd", "total", "total / 2 cores -> conn/s ceiling");
  for (size_t ti = 0; ti < thread_counts.size(); ++ti) {
    for (int srv : {kCallout, kBaseline}) {
      const Series& s = series[ti][srv];
      double c = s.Med(&RateResult::cpu_client_us), n = s.Med(&RateResult::cpu_server_us),
             a = s.Med(&RateResult::cpu_authd_us);
      double total = c + n + a;
      std::printf("%-16s %3d %10s %10s %10s %10s   %s\n", server_names[srv], thread_counts[ti],
                  Fmt(c).c_str(), Fmt(n).c_str(), srv == kCallout ? Fmt(a).c_str() : "-",
                  Fmt(total).c_str(), total > 0 ? Fmt(2e6 / total).c_str() : "-");
    }
  }
  std::printf("zero-byte signatures (1 in 256 starts with 0x00; nats.c %s cannot send one, fixed "
              "in 3.8.0; --signer=%s: %s): %lld timed connects failed on one, not counted as "
              "errors\n",
              nats_GetVersion(), absl::GetFlag(FLAGS_signer).c_str(),
              ProjectSigner() ? "refused locally" : "sent empty, refused by the server",
              static_cast<long long>(zero_sig_total));
  if (!storm_results.empty() || storm_clients > 0) {
    PrintRule(kRuleWidth);
    std::printf("RECONNECT STORM  %d clients through the callout (own identities); nats.c: max "
                "reconnect %d, wait %d ms, jitter %d ms, connect timeout 5 s; deadline %d s\n",
                storm_clients, absl::GetFlag(FLAGS_storm_max_reconnect),
                absl::GetFlag(FLAGS_storm_reconnect_wait_ms), absl::GetFlag(FLAGS_storm_jitter_ms),
                absl::GetFlag(FLAGS_storm_deadline_seconds));
    std::printf("initial connects: %d of %d in %.2f s (%.0f conn/s, %d threads), p50 %s us, p99 "
                "%s us, failed %d (%d retried after a zero-byte signature)\n",
                static_cast<int>(initial_lat.size()), storm_clients, initial_seconds,
                initial_lat.size() / std::max(initial_seconds, 1e-9), storm_threads,
                Fmt(Percentile(initial_lat, 0.5)).c_str(), Fmt(Percentile(initial_lat, 0.99)).c_str(),
                initial_failures, initial_zero_sig_retries);
    std::printf("restart = SIGTERM to the new server's ports file; all back / after rdy = last "
                "reconnected callback after the\nrestart began / after the new server was ready; "
                "p50/p99 over clients from the restart; FAILED = gave up (closed)\n+ missing at the "
                "deadline + no flush round trip on the new server id\n");
    PrintRule(kRuleWidth);
    std::printf("%-5s %7s %7s %7s %6s %6s %7s %8s %9s %6s %6s  %-22s %-17s %-9s %s\n", "storm",
                "clients", "restart", "reconn", "FAILED", "closed", "missing", "all back",
                "after rdy", "p50 s", "p99 s", "authd refused(nonce)", "nats autherr/slow",
                "zero-sig", "clients w/ auth error");
    for (size_t k = 0; k < storm_results.size(); ++k) {
      const StormResult& r = storm_results[k];
      std::printf("%-5zu %7d %5.0fms %7d %6d %6d %7d %8s %9s %6.2f %6.2f  %-22s %-17s %-9lld %d\n",
                  k + 1, r.clients, r.restart_ms, r.reconnected, r.failures(), r.closed, r.missing,
                  r.all_reconnected_s >= 0 ? absl::StrFormat("%.2fs", r.all_reconnected_s).c_str()
                                           : "NOT",
                  r.after_ready_s >= 0 ? absl::StrFormat("%.2fs", r.after_ready_s).c_str() : "-",
                  r.p50_s, r.p99_s,
                  absl::StrFormat("%d(%d) drop %d qf %d", r.authd_refused, r.authd_no_nonce,
                                  r.authd_dropped, r.authd_queue_full)
                      .c_str(),
                  absl::StrFormat("%d/%d", r.nats_auth_errors, r.nats_slow_auth).c_str(),
                  static_cast<long long>(r.zero_sigs), r.auth_errored);
      for (const std::string& f : r.failed) std::printf("      FAILED %s\n", f.c_str());
    }
  }
  PrintRule(kRuleWidth);
  std::printf("GOALS\n");
  for (size_t ti = 0; ti < thread_counts.size(); ++ti) {
    double ratio = Median(ratios(ti, &RateResult::rate));
    std::printf("  callout connects/s, %2d thr: %5.1f%% of nats-server nkey auth  (goal >= %.0f%%)"
                "  %s\n",
                thread_counts[ti], 100 * ratio, 100 * kGoalRatio,
                ratio >= kGoalRatio ? "PASS" : "FAIL");
  }
  if (storm_clients > 0) {
    int failed = initial_failures;
    for (const StormResult& r : storm_results) failed += r.failures() + (r.error.empty() ? 0 : 1);
    std::printf("  reconnect storm, %d clients x %zu storm(s): %d failed connection(s)  (goal 0)  "
                "%s\n",
                storm_clients, storm_results.size(), failed,
                storm_ok && failed == 0 && !storm_results.empty() ? "PASS" : "FAIL");
  }
  PrintRule(kRuleWidth);
  std::fflush(stdout);

  // ---- Teardown: close the storm clients and wait for their closed callbacks (which use them).
  for (auto& c : clients) {
    if (c->nc != nullptr) natsConnection_Close(c->nc);
  }
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (auto& c : clients) {
    while (c->nc != nullptr && !c->closed.load() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  for (auto& c : clients) {
    if (c->nc != nullptr) natsConnection_Destroy(c->nc);
    c->nc = nullptr;
  }
  baseline_server.Stop();
  started->reset();  // stops unibus-authd, nats-server, unibusd
  nats_CloseAndWait(10000);
  clients.clear();
  return rates_ok && storm_ok ? 0 : 1;
}

}  // namespace
}  // namespace unibus::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  unibus::bench::SetUpRunfiles(argv[0]);
  unibus::bench::CatchInterrupts();
  // Every storm client is a socket here and in nats-server (which inherits the limit).
  rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    rlim_t want = static_cast<rlim_t>(absl::GetFlag(FLAGS_storm_clients)) * 2 + 1024;
    if (nofile.rlim_cur < want) {
      nofile.rlim_cur = std::min(want, nofile.rlim_max);
      setrlimit(RLIMIT_NOFILE, &nofile);
    }
  }
  unibus::common::InitSodium();
  return unibus::bench::RunInTempDir(absl::GetFlag(FLAGS_tmpdir), "unibus-callout-bench",
                                     absl::GetFlag(FLAGS_keep_dir), [](const std::string& dir) {
                                       nats_Open(-1);
                                       return unibus::bench::Main(dir);
                                     });
}
