// frames_bench: the data plane of libunibus, 1 KiB frames from one publisher to one subscriber on
// the real single-node stack, measured as ratios against references taken in the same process
// and the same run (the machine is shared and noisy: only same-run ratios mean anything).
//
// It starts the stack (broker_auth/testing/stack.h: unibusd, nats-server, unibus-authd), two
// libunibus clients (alice publishes, bob subscribes) and three rooms alice creates and adds bob
// to: "aead" (encrypted, unsigned, live), "signed" (encrypted, signed, live) and "history"
// (encrypted, signed, JetStream). Then, --rounds times, in an order that rotates per round:
//   (a) raw    : nats.c pub/sub of the same payload between alice's and bob's raw connections
//                (Stack::ConnectPeer) on a subject under the aead room's own space;
//   (b) aead   : Client::Send -> Subscribe in the aead room;
//   (c) signed : the same in the signed room, against the Ed25519 verify rate of this run;
//   (d) history: the same in the history room, wait_for_store true and false;
//   verify     : libsodium crypto_sign_verify_detached of a frame's signed bytes, one thread;
// and one-way latency (steady-clock send time in the body, read on delivery in this process)
// at a modest paced rate, and micro-measures of the frame codec (client/internal/frame_codec.h).
// The publisher keeps at most --window frames in flight (sent, not yet delivered), so nothing
// queues without bound and nothing is dropped; every case checks that every frame arrived.
// Not a test: it prints tables and exits 1 only if a frame was lost or a call failed, never for a
// missed goal. See bench/README.md.
#include <dirent.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
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
#include <functional>
#include <memory>
#include <optional>
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
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker_auth/testing/stack.h"
#include "client/client.h"
#include "client/internal/frame_codec.h"
#include "client/testing/peers.h"
#include "common/crypto/identity.h"
#include "common/nats/nats_ptr.h"
#include "common/nats/nkey_signer.h"
#include "common/nats/subjects.h"
#include "common/testing/child_process.h"
#include "control/testing/unibusd_process.h"

ABSL_FLAG(int, messages, 20000, "Frames per throughput case and round (library cases).");
ABSL_FLAG(int, raw_messages, 100000, "Messages per round of the raw nats.c baseline (it is ~10x "
                                     "faster: more messages keep it from being a blip).");
ABSL_FLAG(std::string, cases, "abcd", "Throughput cases to run: a = raw, b = aead, c = signed, "
                                      "d = history (both); the verify reference always runs.");
ABSL_FLAG(int, stored_messages, 3000, "Frames per round of the history case with "
                                      "wait_for_store=true (one JetStream round trip each).");
ABSL_FLAG(int, window, 1000, "Frames the publisher may have in flight (sent, not yet delivered); "
                             "0 = no limit.");
ABSL_FLAG(int, payload, 1024, "Bytes of application data per frame (body.data; the raw "
                              "baseline publishes this many bytes).");
ABSL_FLAG(int, rounds, 3, "Rounds; each runs every case once, in an order rotating per round. "
                          "Medians are reported.");
ABSL_FLAG(int, latency_rate, 1000, "Frames per second of the paced latency cases.");
ABSL_FLAG(int, latency_messages, 2000, "Frames per latency case and round (0: no latency cases).");
ABSL_FLAG(double, micro_seconds, 0.5, "Time of each codec micro-measure per round.");
ABSL_FLAG(int, codec_slices, 5, "Interleaved slices of the codec micro-measures per round.");
ABSL_FLAG(bool, codec_only, false, "Only the codec micro-measures, no stack (for profiling).");
ABSL_FLAG(std::string, codec_filter, "", "With --codec_only: only the micro-measures whose name "
                                         "contains this.");
ABSL_FLAG(std::string, tmpdir, "", "Where the stack's directory goes (default $TMPDIR or /tmp). "
                                   "Removed at exit unless --keep_dir.");
ABSL_FLAG(bool, send_immediately, false,
          "Library clients with ClientOptions::send_immediately (nats.c send-ASAP).");
ABSL_FLAG(bool, keep_dir, false, "Keep the temporary directory (logs) at exit.");
ABSL_FLAG(bool, mutex_deadlock_detection, true,
          "Leave absl::Mutex deadlock detection as the installed Abseil has it (Debian's: on, as "
          "in an application linking libunibus). false = kIgnore, to measure what it costs.");
ABSL_FLAG(bool, print_run_times, false,
          "Print each timed case's CLOCK_MONOTONIC start and end to stderr, to slice a profile "
          "(perf record -k CLOCK_MONOTONIC, then perf report --time START,END).");

namespace unibus::bench {
namespace {

using broker_auth::testing::Stack;
using client::Client;
using client::OutgoingMessage;
using client::SendOptions;
using client::SubscribeOptions;
using common::Identity;
using common::nats::NatsConnectionPtr;
using common::nats::NatsSubscriptionPtr;
using common::testing::ReadFileOrEmpty;
using SteadyClock = std::chrono::steady_clock;

constexpr double kGoalAeadRatio = 0.50;    // (b) / (a)
constexpr double kGoalSignedRatio = 0.80;  // (c) / Ed25519 verifies per second

int64_t ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// The calling thread's kernel CPU time in ns (getrusage accounting: coarser than ThreadCpuNs).
int64_t ThreadSysNs() {
  rusage ru;
  if (getrusage(RUSAGE_THREAD, &ru) != 0) return 0;
  return ru.ru_stime.tv_sec * 1000000000LL + ru.ru_stime.tv_usec * 1000LL;
}

// The nats-server this process started for `stack_dir`, or -1.
pid_t FindNatsServer(const std::string& stack_dir) {
  DIR* d = opendir("/proc");
  if (d == nullptr) return -1;
  pid_t found = -1;
  while (dirent* e = readdir(d)) {
    pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string stat = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
    size_t paren = stat.rfind(')');
    int ppid = 0;
    char state = 0;
    if (paren == std::string::npos ||
        std::sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) != 2 || ppid != getpid()) {
      continue;
    }
    std::string cmd = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cmdline"));
    std::replace(cmd.begin(), cmd.end(), '\0', ' ');
    if (absl::StrContains(cmd, "nats-server") && absl::StrContains(cmd, stack_dir)) found = pid;
  }
  closedir(d);
  return found;
}

constexpr int kRuleWidth = 112;  // of the tables' rules (report.h PrintRule)

// ---------------------------------------------------------------------------------------------
// The subscriber's side of one run.

// Counts the frames of full payload size that reach the subscriber (shorter ones are probes
// that only show the path is open), holds the publisher within a window of them, and records
// one-way latencies from the send time the publisher wrote into the first 8 payload bytes.
// Got runs on a delivery thread; the rest on the publisher's thread.
class Sink {
 public:
  Sink(int64_t expected, size_t payload, bool record_latency)
      : expected_(expected), payload_(payload), record_latency_(record_latency) {
    if (record_latency) latency_us_.reserve(static_cast<size_t>(expected));
  }

  void Got(absl::string_view data) {
    const int64_t now = NowNs();
    absl::MutexLock lock(&mu_);
    if (data.size() != payload_) {
      probe_seen_ = true;
      return;
    }
    if (received_ == 0) {
      first_ns_ = now;
      cpu_first_ns_ = ThreadCpuNs();
      sys_first_ns_ = ThreadSysNs();
    }
    ++received_;
    received_fast_.store(received_, std::memory_order_release);
    last_ns_ = now;
    if (received_ == expected_) {
      cpu_last_ns_ = ThreadCpuNs();
      sys_last_ns_ = ThreadSysNs();
    }
    if (record_latency_ && data.size() >= sizeof(int64_t)) {
      int64_t sent = 0;
      std::memcpy(&sent, data.data(), sizeof(sent));
      latency_us_.push_back(static_cast<float>((now - sent) / 1e3));
    }
  }
  void Error(const absl::Status& s) {
    absl::MutexLock lock(&mu_);
    if (errors_++ == 0) first_error_ = s.ToString();
  }

  // Blocks while more than `window` of `sent` frames are undelivered, until half the window is
  // free again. False if nothing moved for 10 s (a frame was lost).
  bool AwaitWindow(int64_t sent, int64_t window) {
    if (window <= 0 || sent - received_fast_.load(std::memory_order_acquire) < window) return true;
    absl::MutexLock lock(&mu_);
    auto room = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return sent - received_ <= window / 2; };
    return mu_.AwaitWithTimeout(absl::Condition(&room), absl::Seconds(10));
  }
  bool AwaitProbe(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&probe_seen_), timeout);
  }
  bool AwaitAll(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto all = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return received_ >= expected_; };
    return mu_.AwaitWithTimeout(absl::Condition(&all), timeout);
  }

  struct Totals {
    int64_t received = 0;
    int64_t first_ns = 0, last_ns = 0;
    double delivery_cpu_us = 0;  // delivery thread CPU per frame (first to last frame)
    double delivery_sys_us = 0;  // its kernel part
    int64_t errors = 0;
    std::string first_error;
    std::vector<float> latency_us;  // sorted
  };
  Totals Take() {
    absl::MutexLock lock(&mu_);
    Totals t;
    t.received = received_;
    t.first_ns = first_ns_;
    t.last_ns = last_ns_;
    if (received_ == expected_ && expected_ > 1) {
      t.delivery_cpu_us = (cpu_last_ns_ - cpu_first_ns_) / 1e3 / static_cast<double>(expected_ - 1);
      t.delivery_sys_us = (sys_last_ns_ - sys_first_ns_) / 1e3 / static_cast<double>(expected_ - 1);
    }
    t.errors = errors_;
    t.first_error = first_error_;
    t.latency_us = std::move(latency_us_);
    std::sort(t.latency_us.begin(), t.latency_us.end());
    return t;
  }

 private:
  const int64_t expected_;
  const size_t payload_;
  const bool record_latency_;
  std::atomic<int64_t> received_fast_{0};  // = received_, for the publisher's fast path
  absl::Mutex mu_;
  int64_t received_ ABSL_GUARDED_BY(mu_) = 0;
  bool probe_seen_ ABSL_GUARDED_BY(mu_) = false;
  int64_t first_ns_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_ns_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t cpu_first_ns_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t cpu_last_ns_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t sys_first_ns_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t sys_last_ns_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_error_ ABSL_GUARDED_BY(mu_);
  std::vector<float> latency_us_ ABSL_GUARDED_BY(mu_);
};

// ---------------------------------------------------------------------------------------------
// One publisher -> one subscriber run, raw or through the library.

struct Result {
  double rate = 0;             // frames delivered per second (first send -> last delivery)
  double pub_cpu_us = 0;       // publishing thread CPU per frame
  double sub_cpu_us = 0;       // subscriber's delivery thread CPU per frame
  double pub_sys_us = 0;       // kernel parts of pub_cpu_us and sub_cpu_us (getrusage)
  double sub_sys_us = 0;
  double proc_cpu_us = 0;      // this process (both clients, all nats.c threads) per frame
  double proc_sys_us = 0;      // the part of proc_cpu_us spent in the kernel
  double server_cpu_us = 0;    // nats-server per frame
  double p50_us = 0, p99_us = 0, max_us = 0;  // one-way latency (latency cases)
  int64_t lost = 0;
  std::string error;
};

// What differs between the raw and the library cases.
struct Endpoints {
  // Sends frame i with `payload`; false (and `error`) on failure.
  std::function<bool(const std::string& payload, std::string* error)> send;
  // Flushes what the publisher buffered (raw), may be empty.
  std::function<void()> flush;
};

struct RunSpec {
  std::string name;  // for --print_run_times
  int64_t messages = 0;
  size_t payload = 0;
  int64_t window = 0;
  int rate = 0;  // > 0: paced at this many frames per second, latencies recorded
  pid_t server_pid = -1;
};

// Publishes spec.messages payloads through `ep` into `sink` and measures.
Result Drive(const RunSpec& spec, const Endpoints& ep, Sink& sink) {
  Result r;
  std::string payload(spec.payload, '\0');
  randombytes_buf(payload.data(), payload.size());
  const bool paced = spec.rate > 0;
  const auto period = std::chrono::nanoseconds(paced ? 1000000000LL / spec.rate : 0);
  const int64_t cpu0[3] = {SelfCpuNs(), ProcessCpuNs(spec.server_pid), SelfCpuNs(true)};
  const int64_t pub_cpu0 = ThreadCpuNs();
  const int64_t pub_sys0 = ThreadSysNs();
  const SteadyClock::time_point start = SteadyClock::now();
  const int64_t start_ns = NowNs();
  int64_t sent = 0;
  for (; sent < spec.messages && !Interrupted(); ++sent) {
    if (paced) {
      std::this_thread::sleep_until(start + period * sent);
    } else if (!sink.AwaitWindow(sent, spec.window)) {
      r.error = "publisher stalled: frames in flight were never delivered";
      break;
    }
    if (payload.size() >= sizeof(int64_t)) {
      int64_t now = NowNs();
      std::memcpy(payload.data(), &now, sizeof(now));
    }
    if (!ep.send(payload, &r.error)) break;
  }
  if (ep.flush) ep.flush();
  const int64_t pub_cpu1 = ThreadCpuNs();
  const int64_t pub_sys1 = ThreadSysNs();
  if (r.error.empty() && !sink.AwaitAll(absl::Seconds(30))) r.error = "frames lost";
  const int64_t cpu1[3] = {SelfCpuNs(), ProcessCpuNs(spec.server_pid), SelfCpuNs(true)};
  Sink::Totals t = sink.Take();
  if (absl::GetFlag(FLAGS_print_run_times)) {
    std::fprintf(stderr, "run %-48s %.6f %.6f\n", spec.name.c_str(), start_ns / 1e9,
                 t.last_ns / 1e9);
  }
  r.lost = sent - t.received;
  if (r.error.empty() && t.errors > 0) {
    r.error = absl::StrCat(t.errors, " subscriber error(s): ", t.first_error);
  }
  const double n = static_cast<double>(std::max<int64_t>(t.received, 1));
  if (t.received > 0 && t.last_ns > start_ns) r.rate = t.received / ((t.last_ns - start_ns) / 1e9);
  r.pub_cpu_us = (pub_cpu1 - pub_cpu0) / 1e3 / n;
  r.sub_cpu_us = t.delivery_cpu_us;
  r.pub_sys_us = (pub_sys1 - pub_sys0) / 1e3 / n;
  r.sub_sys_us = t.delivery_sys_us;
  r.proc_cpu_us = (cpu1[0] - cpu0[0]) / 1e3 / n;
  r.proc_sys_us = (cpu1[2] - cpu0[2]) / 1e3 / n;
  r.server_cpu_us = cpu0[1] >= 0 && cpu1[1] >= 0 ? (cpu1[1] - cpu0[1]) / 1e3 / n : 0;
  r.p50_us = Percentile(t.latency_us, 0.50);
  r.p99_us = Percentile(t.latency_us, 0.99);
  r.max_us = t.latency_us.empty() ? 0 : t.latency_us.back();
  return r;
}

// Sends short probes through `send` until `sink` saw one (the path is open end to end).
bool Probe(const std::function<bool(const std::string&, std::string*)>& send, Sink& sink,
           absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::string error;
  while (absl::Now() < deadline && !Interrupted()) {
    if (send("p", &error) && sink.AwaitProbe(absl::Milliseconds(200))) return true;
    if (!error.empty()) absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

// ---- (a) raw nats.c

struct RawPair {
  NatsConnectionPtr pub;
  NatsConnectionPtr sub;
  std::string subject;
};

void OnRawMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) noexcept {
  common::nats::NatsMsgPtr owned(msg);
  static_cast<Sink*>(closure)->Got(
      absl::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
}

// An async subscription delivering into a Sink. Destroying it unsubscribes and waits until
// nats.c has finished calling back (its on-complete callback), so the Sink may go right after.
class RawSubscription {
 public:
  static absl::StatusOr<std::unique_ptr<RawSubscription>> Start(const RawPair& pair, Sink& sink) {
    std::unique_ptr<RawSubscription> r(new RawSubscription);
    natsSubscription* raw = nullptr;
    natsStatus s = natsConnection_Subscribe(&raw, pair.sub.get(), pair.subject.c_str(), &OnRawMsg,
                                            &sink);
    if (s != NATS_OK) {
      return absl::UnavailableError(absl::StrCat("subscribe: ", natsStatus_GetText(s)));
    }
    r->sub_.reset(raw);
    natsSubscription_SetPendingLimits(raw, -1, -1);  // the window bounds what queues
    natsSubscription_SetOnCompleteCB(raw, &RawSubscription::OnComplete, r.get());
    if (natsConnection_Flush(pair.sub.get()) != NATS_OK) return absl::UnavailableError("flush");
    return r;
  }
  ~RawSubscription() {
    if (natsSubscription_Unsubscribe(sub_.get()) == NATS_OK) {
      done_.WaitForNotificationWithTimeout(absl::Seconds(10));
    }
  }

 private:
  RawSubscription() = default;
  static void OnComplete(void* closure) noexcept {
    static_cast<RawSubscription*>(closure)->done_.Notify();
  }
  absl::Notification done_;
  NatsSubscriptionPtr sub_;  // destroyed first
};

bool RawSend(const RawPair& pair, const std::string& payload, std::string* error) {
  natsStatus s = natsConnection_Publish(pair.pub.get(), pair.subject.c_str(), payload.data(),
                                        static_cast<int>(payload.size()));
  if (s == NATS_OK) return true;
  *error = absl::StrCat("publish: ", natsStatus_GetText(s));
  return false;
}

// Subscribes, waits until a probe gets through, then drives the run.
Result RunRaw(const RawPair& pair, const RunSpec& spec) {
  Sink sink(spec.messages, spec.payload, spec.rate > 0);
  absl::StatusOr<std::unique_ptr<RawSubscription>> sub = RawSubscription::Start(pair, sink);
  Result r;
  if (!sub.ok()) {
    r.error = sub.status().ToString();
    return r;
  }
  Endpoints ep;
  ep.send = [&](const std::string& p, std::string* e) { return RawSend(pair, p, e); };
  ep.flush = [&] { natsConnection_FlushTimeout(pair.pub.get(), 10000); };
  if (!Probe(ep.send, sink, absl::Seconds(10))) {
    r.error = "raw path never opened";
    return r;
  }
  return Drive(spec, ep, sink);
}

// Raw connections of both identities whose pub/sub on `subject` works (the callout's grants
// may trail the memberships just added: retried until a probe gets through).
// A raw connection of `id` like Stack::ConnectPeer's, but with nats.c's "send ASAP" option: a
// publish is written to the socket at once instead of by the flusher thread, which waits up to
// 1 ms for more data first (nats.c conn.c, _flusher).
absl::StatusOr<NatsConnectionPtr> ConnectSendAsap(const Stack& stack, const Identity& id) {
  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) return absl::InternalError("natsOptions_Create");
  common::nats::NatsOptionsPtr opts(raw);
  natsStatus s = natsOptions_SetURL(raw, stack.nats_url().c_str());
  if (s == NATS_OK) s = common::nats::SetNKeySigner(raw, id.nkey_public(), id);
  if (s == NATS_OK) {
    s = natsOptions_SetCustomInboxPrefix(raw, common::nats::InboxPrefix(id.sign_pub_hex()).c_str());
  }
  if (s == NATS_OK) s = natsOptions_SetSendAsap(raw, true);
  natsConnection* nc = nullptr;
  if (s == NATS_OK) s = natsConnection_Connect(&nc, raw);
  if (s != NATS_OK) return absl::UnavailableError(absl::StrCat("connect: ", natsStatus_GetText(s)));
  return NatsConnectionPtr(nc);
}

absl::StatusOr<RawPair> ConnectRaw(const Stack& stack, const Identity& pub, const Identity& sub,
                                   const std::string& subject, bool send_asap = false) {
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::string last = "no attempt";
  while (absl::Now() < deadline && !Interrupted()) {
    RawPair pair;
    pair.subject = subject;
    absl::StatusOr<NatsConnectionPtr> p =
        send_asap ? ConnectSendAsap(stack, pub) : stack.ConnectPeer(pub);
    absl::StatusOr<NatsConnectionPtr> s = stack.ConnectPeer(sub);
    if (p.ok() && s.ok()) {
      pair.pub = *std::move(p);
      pair.sub = *std::move(s);
      Sink sink(1, 1 << 20, false);
      absl::StatusOr<std::unique_ptr<RawSubscription>> subscription =
          RawSubscription::Start(pair, sink);
      if (subscription.ok()) {
        auto send = [&](const std::string& x, std::string* e) { return RawSend(pair, x, e); };
        if (Probe(send, sink, absl::Seconds(2))) {
          subscription->reset();  // before the sink goes
          return pair;
        }
        last = "probe never arrived";
      } else {
        last = subscription.status().ToString();
      }
    } else {
      last = (p.ok() ? s.status() : p.status()).ToString();
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  return absl::DeadlineExceededError("raw peers: " + last);
}

// ---- (b)-(d) libunibus

struct LibRoom {
  std::string room_id;
  SendOptions send_options;
};

// Subscribes `receiver` to the room (only new frames), waits until a probe from `sender`
// arrives, then drives the run through Client::Send.
Result RunLibrary(Client& sender, Client& receiver, const LibRoom& room, const RunSpec& spec) {
  Result r;
  Sink sink(spec.messages, spec.payload, spec.rate > 0);
  SubscribeOptions o;
  o.start = client::StartAt::kNew;
  o.on_message = [&sink](const client::Message& m) { sink.Got(m.body.data()); };
  o.on_error = [&sink](const absl::Status& s) { sink.Error(s); };
  absl::StatusOr<std::unique_ptr<client::Subscription>> sub = receiver.Subscribe(room.room_id, o);
  if (!sub.ok()) {
    r.error = sub.status().ToString();
    return r;
  }
  OutgoingMessage message;
  message.body.set_content_type("application/octet-stream");
  Endpoints ep;
  ep.send = [&](const std::string& payload, std::string* error) {
    message.body.set_data(payload);
    absl::StatusOr<client::FrameId> id = sender.Send(room.room_id, message, room.send_options);
    if (id.ok()) return true;
    *error = id.status().ToString();
    return false;
  };
  if (!Probe(ep.send, sink, absl::Seconds(15))) {
    r.error = "room path never opened";
    return r;
  }
  r = Drive(spec, ep, sink);
  client::SubscriptionStats st = (*sub)->stats();
  if (r.error.empty() && (st.rejected > 0 || st.stale_epoch > 0)) {
    r.error = absl::StrCat(st.rejected, " rejected, ", st.stale_epoch, " stale");
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Codec micro-measures and the Ed25519 verify reference.

// Runs of one operation: how many, in how much wall and thread CPU time.
struct OpTimes {
  int64_t ops = 0;
  int64_t wall_ns = 0;
  int64_t cpu_ns = 0;
  double WallUs() const { return ops > 0 ? wall_ns / 1e3 / ops : 0; }
  double CpuUs() const { return ops > 0 ? cpu_ns / 1e3 / ops : 0; }
  double Rate() const { return wall_ns > 0 ? ops / (wall_ns / 1e9) : 0; }
};

// Runs `op` in batches of 16 for about `seconds` and adds the counts to `t`.
void TimeOp(const std::function<void()>& op, double seconds, OpTimes& t) {
  const int64_t cpu0 = ThreadCpuNs();
  const int64_t start = NowNs();
  const int64_t until = start + static_cast<int64_t>(seconds * 1e9);
  int64_t now = start;
  do {
    for (int i = 0; i < 16; ++i) op();
    t.ops += 16;
    now = NowNs();
  } while (now < until);
  t.wall_ns += now - start;
  t.cpu_ns += ThreadCpuNs() - cpu0;
}

// A frame of each kind and everything the micro-measures need, built once.
struct CodecFixture {
  Identity signer = Identity::Generate();
  std::string room_key = std::string(crypto_kdf_KEYBYTES, '\0');
  client::internal::RoomRules aead, sig;
  v1::FrameHeader header;
  v1::FrameBody body;
  std::string aead_bytes, signed_bytes;  // serialized frames
  std::string signed_message;            // H || ciphertext of the signed frame
  std::string body_bytes;                // the serialized body (the AEAD's plaintext)
  std::string header_bytes;              // H of the signed frame (the AEAD's associated data)
  std::string signature;
  client::internal::KeyLookup keys;
};

std::unique_ptr<CodecFixture> MakeFixture(const std::string& room_id, size_t payload) {
  namespace in = client::internal;
  auto f = std::make_unique<CodecFixture>();
  randombytes_buf(f->room_key.data(), f->room_key.size());
  f->aead = in::RoomRules{room_id, true, false};
  f->sig = in::RoomRules{room_id, true, true};
  f->header.set_version(in::kFrameVersion);
  f->header.set_type(v1::FRAME_TYPE_MESSAGE);
  f->header.set_room_id(room_id);
  f->header.set_epoch(1);
  f->header.set_sender(f->signer.sign_pub());
  f->header.set_counter(1);
  f->header.set_timestamp_ms(absl::ToUnixMillis(absl::Now()));
  std::string data(payload, '\0');
  randombytes_buf(data.data(), data.size());
  f->body.set_data(data);
  f->body.set_content_type("application/octet-stream");
  auto a = in::SealFrame(f->header, f->body, f->aead, f->room_key, nullptr);
  auto s = in::SealFrame(f->header, f->body, f->sig, f->room_key, &f->signer);
  if (!a.ok() || !s.ok()) return nullptr;
  f->aead_bytes = a->SerializeAsString();
  f->signed_bytes = s->SerializeAsString();
  f->signed_message = absl::StrCat(in::CanonicalHeader(s->header()), s->ciphertext());
  f->signature = s->signature();
  f->body_bytes = f->body.SerializeAsString();
  f->header_bytes = in::CanonicalHeader(s->header());
  const std::string key = f->room_key;
  f->keys = [key](uint64_t) { return std::optional<std::string>(key); };
  return f;
}

struct MicroCase {
  std::string name;
  std::function<void()> op;
};

std::vector<MicroCase> MicroCases(CodecFixture& f) {
  namespace in = client::internal;
  std::vector<MicroCase> cases;
  cases.push_back({"Ed25519 verify (the reference)", [&f] {
                     int rc = crypto_sign_verify_detached(
                         reinterpret_cast<const unsigned char*>(f.signature.data()),
                         reinterpret_cast<const unsigned char*>(f.signed_message.data()),
                         f.signed_message.size(),
                         reinterpret_cast<const unsigned char*>(f.signer.sign_pub().data()));
                     if (rc != 0) std::abort();
                   }});
  cases.push_back({"Ed25519 sign", [&f] { (void)f.signer.Sign(f.signed_message); }});
  cases.push_back({"FrameKey (KDF, per frame)", [&f] { (void)in::FrameKey(f.room_key); }});
  cases.push_back({"XChaCha20-Poly1305 encrypt alone", [&f] {
                     // libsodium on the serialized body, no allocation: the AEAD's own cost.
                     thread_local std::string out;
                     const std::string& plain = f.body_bytes;
                     out.resize(plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
                     unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {0};
                     crypto_aead_xchacha20poly1305_ietf_encrypt(
                         reinterpret_cast<unsigned char*>(out.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                         reinterpret_cast<const unsigned char*>(f.header_bytes.data()),
                         f.header_bytes.size(), nullptr, nonce,
                         reinterpret_cast<const unsigned char*>(f.room_key.data()));
                   }});
  cases.push_back({"randombytes_buf(24) (the nonce)", [] {
                     unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
                     randombytes_buf(nonce, sizeof(nonce));
                   }});
  cases.push_back({"CanonicalHeader", [&f] { (void)in::CanonicalHeader(f.header); }});
  cases.push_back({"Frame parse (protobuf)", [&f] {
                     v1::Frame frame;
                     if (!frame.ParseFromString(f.signed_bytes)) std::abort();
                   }});
  cases.push_back({"SealFrame aead + serialize", [&f] {
                     auto fr = in::SealFrame(f.header, f.body, f.aead, f.room_key, nullptr);
                     if (!fr.ok()) std::abort();
                     (void)fr->SerializeAsString();
                   }});
  cases.push_back({"OpenFrame aead", [&f] {
                     if (!in::OpenFrame(f.aead_bytes, f.aead, f.keys).ok()) std::abort();
                   }});
  cases.push_back({"SealFrame signed + serialize", [&f] {
                     auto fr = in::SealFrame(f.header, f.body, f.sig, f.room_key, &f.signer);
                     if (!fr.ok()) std::abort();
                     (void)fr->SerializeAsString();
                   }});
  cases.push_back({"OpenFrame signed", [&f] {
                     if (!in::OpenFrame(f.signed_bytes, f.sig, f.keys).ok()) std::abort();
                   }});
  return cases;
}

// One round of every micro-measure: --codec_slices interleaved slices each, so that a burst of
// noise on the machine hits every operation alike. Adds one OpTimes per operation to `times`.
void RunCodecRound(const std::vector<MicroCase>& cases, double seconds,
                   std::vector<std::vector<OpTimes>>& times) {
  const int slices = std::max(1, absl::GetFlag(FLAGS_codec_slices));
  for (const MicroCase& c : cases) {
    for (int i = 0; i < 50; ++i) c.op();
  }
  std::vector<OpTimes> round(cases.size());
  for (int s = 0; s < slices && !Interrupted(); ++s) {
    for (size_t i = 0; i < cases.size(); ++i) TimeOp(cases[i].op, seconds / slices, round[i]);
  }
  for (size_t i = 0; i < cases.size(); ++i) times[i].push_back(round[i]);
}

void PrintCodec(const std::vector<MicroCase>& cases,
                const std::vector<std::vector<OpTimes>>& times, size_t payload) {
  PrintRule(kRuleWidth);
  std::printf("CODEC  client/internal/frame_codec.h alone, one thread, %zu B of data, median of "
              "%zu round(s); cpu = thread CPU time\n(immune to preemption by other processes), "
              "x verify = cpu / the verify's cpu\n",
              payload, times.empty() ? size_t{0} : times[0].size());
  PrintRule(kRuleWidth);
  std::printf("%-37s %9s %9s %9s %9s\n", "operation", "wall us", "cpu us", "ops/s", "x verify");
  auto med = [&](size_t i, double (OpTimes::*f)() const) {
    std::vector<double> v;
    for (const OpTimes& t : times[i]) v.push_back((t.*f)());
    return Median(v);
  };
  const double verify_cpu =
      !cases.empty() && absl::StrContains(cases[0].name, "verify") ? med(0, &OpTimes::CpuUs) : 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const double cpu = med(i, &OpTimes::CpuUs);
    std::printf("%-37s %9s %9s %9s %9s\n", cases[i].name.c_str(),
                Fmt(med(i, &OpTimes::WallUs)).c_str(), Fmt(cpu).c_str(),
                Fmt(med(i, &OpTimes::Rate)).c_str(),
                verify_cpu > 0 ? absl::StrFormat("%.3f", cpu / verify_cpu).c_str() : "-");
  }
}

// --codec_only: the micro-measures without the stack (for profiling the codec).
int CodecOnly(size_t payload) {
  std::unique_ptr<CodecFixture> fixture = MakeFixture(std::string(32, 'a'), payload);
  if (fixture == nullptr) return 1;
  std::vector<MicroCase> micro;
  for (MicroCase& c : MicroCases(*fixture)) {
    if (absl::StrContains(c.name, absl::GetFlag(FLAGS_codec_filter))) {
      micro.push_back(std::move(c));
    }
  }
  std::vector<std::vector<OpTimes>> times(micro.size());
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  for (int r = 0; r < rounds && !Interrupted(); ++r) {
    RunCodecRound(micro, absl::GetFlag(FLAGS_micro_seconds), times);
  }
  PrintCodec(micro, times, payload);
  PrintRule(kRuleWidth);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Setup helpers.

absl::StatusOr<std::string> MakeRoom(Client& owner, const std::string& name, bool signed_frames,
                                     bool history, const std::string& member) {
  client::RoomSettings settings;
  settings.name = name;
  settings.encrypted = true;
  settings.signed_frames = signed_frames;
  settings.history = history;
  absl::StatusOr<v1::Room> room = owner.CreateRoom(settings);
  if (!room.ok()) return room.status();
  absl::StatusOr<v1::Member> added = owner.AddMember(room->room_id(), member);
  if (!added.ok()) return added.status();
  return room->room_id();
}

// ---------------------------------------------------------------------------------------------
// The cases and the report.

enum CaseId { kRaw, kRawAsap, kAead, kSigned, kHistoryStored, kHistoryAsync, kNumCases };
const char* const kCaseNames[kNumCases] = {
    "(a) raw nats.c pub/sub", "(a) raw, send-ASAP publisher", "(b) aead, live", "(c) signed, live",
    "(d) signed, history, wait_for_store", "(d) signed, history, no wait"};

struct Series {
  std::vector<Result> runs;
  double Med(double Result::*f) const {
    std::vector<double> v;
    for (const Result& r : runs) v.push_back(r.*f);
    return Median(v);
  }
  std::string Errors() const {
    for (const Result& r : runs) {
      if (!r.error.empty() || r.lost != 0) {
        return absl::StrCat("ERROR ", r.error, r.lost ? absl::StrCat(" (", r.lost, " lost)") : "");
      }
    }
    return "";
  }
};

// Per-round ratios num[i] / den[i].
std::vector<double> Ratios(const std::vector<double>& num, const std::vector<double>& den) {
  std::vector<double> v;
  for (size_t i = 0; i < std::min(num.size(), den.size()); ++i) {
    if (den[i] > 0 && num[i] > 0) v.push_back(num[i] / den[i]);
  }
  return v;
}

std::vector<double> Rates(const Series& s) {
  std::vector<double> v;
  for (const Result& r : s.runs) v.push_back(r.rate);
  return v;
}

int Main(const std::string& dir) {
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  const int64_t messages = std::max(1, absl::GetFlag(FLAGS_messages));
  const int64_t stored = std::max(1, absl::GetFlag(FLAGS_stored_messages));
  const int64_t window = std::max(0, absl::GetFlag(FLAGS_window));
  const size_t payload = static_cast<size_t>(std::max(8, absl::GetFlag(FLAGS_payload)));
  const int lat_rate = std::max(1, absl::GetFlag(FLAGS_latency_rate));
  const int64_t raw_messages = std::max(1, absl::GetFlag(FLAGS_raw_messages));
  const int64_t lat_messages = std::max(0, absl::GetFlag(FLAGS_latency_messages));
  const std::string case_letters = absl::GetFlag(FLAGS_cases);
  auto selected = [&](int c) {
    const char letter =
        c == kRaw || c == kRawAsap ? 'a' : c == kAead ? 'b' : c == kSigned ? 'c' : 'd';
    return case_letters.find(letter) != std::string::npos;
  };
  const double micro_seconds = absl::GetFlag(FLAGS_micro_seconds);

  if (!absl::GetFlag(FLAGS_mutex_deadlock_detection)) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  std::printf("unibus frames bench: %s, nats.c %s, libsodium %s, %u hardware threads, absl::Mutex "
              "deadlock detection %s%s\n",
              NatsServerVersion(dir).c_str(), nats_GetVersion(), sodium_version_string(),
              std::thread::hardware_concurrency(),
              absl::GetFlag(FLAGS_mutex_deadlock_detection) ? "as installed" : "off", BuildNote());
  std::printf("directory %s (%s at exit)\n", dir.c_str(),
              absl::GetFlag(FLAGS_keep_dir) ? "kept" : "removed");
  std::fflush(stdout);

  // ---- Stack, peers, rooms ----
  const std::string stack_dir = dir + "/stack";
  mkdir(stack_dir.c_str(), 0700);
  auto t_setup = SteadyClock::now();
  absl::StatusOr<std::unique_ptr<Stack>> started = Stack::Start(stack_dir);
  if (!started.ok()) {
    std::fprintf(stderr, "Stack::Start: %s\n", started.status().ToString().c_str());
    return 1;
  }
  Stack& stack = **started;
  absl::StatusOr<client::testing::Peer> alice = client::testing::NewPeer(stack, "alice");
  absl::StatusOr<client::testing::Peer> bob = client::testing::NewPeer(stack, "bob");
  if (!alice.ok() || !bob.ok()) {
    std::fprintf(stderr, "NewPeer: %s\n",
                 (alice.ok() ? bob.status() : alice.status()).ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::string> aead_room = MakeRoom(*alice->client, "aead", false, false, "bob");
  absl::StatusOr<std::string> signed_room = MakeRoom(*alice->client, "signed", true, false, "bob");
  absl::StatusOr<std::string> history_room = MakeRoom(*alice->client, "history", true, true, "bob");
  for (const auto* r : {&aead_room, &signed_room, &history_room}) {
    if (!r->ok()) {
      std::fprintf(stderr, "room setup: %s\n", r->status().ToString().c_str());
      return 1;
    }
  }
  if (absl::GetFlag(FLAGS_send_immediately)) {
    // Same identities, reconnected with the option.
    for (client::testing::Peer* peer : {&*alice, &*bob}) {
      client::ClientOptions options = client::testing::OptionsFor(stack);
      options.send_immediately = true;
      peer->client.reset();
      absl::StatusOr<std::unique_ptr<client::Client>> c =
          client::Client::Connect(client::testing::Copy(peer->identity), options);
      if (!c.ok()) {
        std::fprintf(stderr, "reconnect: %s\n", c.status().ToString().c_str());
        return 1;
      }
      peer->client = *std::move(c);
    }
  }
  const std::string raw_subject = absl::StrCat(common::nats::RoomSubject(*aead_room), ".raw");
  absl::StatusOr<RawPair> raw = ConnectRaw(stack, alice->identity, bob->identity, raw_subject);
  absl::StatusOr<RawPair> raw_asap =
      ConnectRaw(stack, alice->identity, bob->identity, raw_subject + "asap", true);
  for (const auto* r : {&raw, &raw_asap}) {
    if (!r->ok()) {
      std::fprintf(stderr, "%s\n", r->status().ToString().c_str());
      return 1;
    }
  }
  const pid_t nats_pid = FindNatsServer(stack_dir);
  std::printf("stack, 2 peers, 3 rooms and raw connections up in %.1f s; nats-server %s (pid %d)\n",
              std::chrono::duration<double>(SteadyClock::now() - t_setup).count(),
              stack.nats_url().c_str(), static_cast<int>(nats_pid));

  std::unique_ptr<CodecFixture> fixture = MakeFixture(*aead_room, payload);
  if (fixture == nullptr) {
    std::fprintf(stderr, "cannot seal the fixture frames\n");
    return 1;
  }
  std::vector<MicroCase> micro = MicroCases(*fixture);
  std::printf("frame sizes on the wire for %zu B of data: aead %zu B, signed %zu B; signed bytes "
              "(H || ciphertext) %zu B\n",
              payload, fixture->aead_bytes.size(), fixture->signed_bytes.size(),
              fixture->signed_message.size());

  LibRoom rooms[kNumCases];
  rooms[kAead].room_id = *aead_room;
  rooms[kSigned].room_id = *signed_room;
  rooms[kHistoryStored].room_id = *history_room;
  rooms[kHistoryStored].send_options.wait_for_store = true;
  rooms[kHistoryAsync].room_id = *history_room;
  rooms[kHistoryAsync].send_options.wait_for_store = false;
  Client& sender = *alice->client;
  Client& receiver = *bob->client;

  auto run = [&](int c, int64_t n, int rate) {
    RunSpec spec;
    spec.name = absl::StrCat(kCaseNames[c], rate > 0 ? " (latency)" : "");
    spec.messages = n;
    spec.payload = payload;
    spec.window = window;
    spec.rate = rate;
    spec.server_pid = nats_pid;
    if (c == kRaw) return RunRaw(*raw, spec);
    if (c == kRawAsap) return RunRaw(*raw_asap, spec);
    return RunLibrary(sender, receiver, rooms[c], spec);
  };

  // ---- Rounds ----
  Series tput[kNumCases];
  const int lat_cases[] = {kRaw, kRawAsap, kAead, kSigned, kHistoryAsync};
  Series lat[kNumCases];
  std::vector<std::vector<OpTimes>> micro_times(micro.size());
  std::vector<double> verify_rates, verify_cpu_us;
  std::printf("\n%d round(s): %lld frames per throughput case (raw %lld, %lld with "
              "wait_for_store), window %lld; latency at %d frames/s x %lld; codec %.2f s each\n",
              rounds, static_cast<long long>(messages), static_cast<long long>(raw_messages),
              static_cast<long long>(stored),
              static_cast<long long>(window), lat_rate, static_cast<long long>(lat_messages),
              micro_seconds);
  for (int round = 0; round < rounds && !Interrupted(); ++round) {
    for (int k = 0; k < kNumCases + 1 && !Interrupted(); ++k) {
      int c = (k + round) % (kNumCases + 1);
      if (c == kNumCases) {  // the Ed25519 verify reference, between the cases
        for (int i = 0; i < 50; ++i) micro[0].op();
        OpTimes v;
        TimeOp(micro[0].op, std::max(0.5, micro_seconds), v);
        verify_rates.push_back(v.Rate());
        verify_cpu_us.push_back(v.CpuUs());
        std::printf("  round %d  %-36s %9s verifies/s (%.1f us wall, %.1f us cpu each)\n",
                    round + 1, "Ed25519 verify, 1 thread", Fmt(v.Rate()).c_str(), v.WallUs(),
                    v.CpuUs());
        continue;
      }
      if (!selected(c)) continue;
      Result r = run(c,
                     c == kHistoryStored                 ? stored
                     : c == kRaw || c == kRawAsap ? raw_messages
                                                         : messages,
                     0);
      std::printf("  round %d  %-36s %9s frames/s  cpu us/frame (kernel part): pub thr %s (%s), "
                  "sub thr %s (%s), process %s (%s), nats-server %s%s\n",
                  round + 1, kCaseNames[c], Fmt(r.rate).c_str(), Fmt(r.pub_cpu_us).c_str(),
                  Fmt(r.pub_sys_us).c_str(), Fmt(r.sub_cpu_us).c_str(), Fmt(r.sub_sys_us).c_str(),
                  Fmt(r.proc_cpu_us).c_str(),
                  Fmt(r.proc_sys_us).c_str(), Fmt(r.server_cpu_us).c_str(),
                  r.error.empty() && r.lost == 0
                      ? ""
                      : absl::StrCat("  ERROR ", r.error, " lost ", r.lost).c_str());
      std::fflush(stdout);
      tput[c].runs.push_back(std::move(r));
    }
    for (int c : lat_cases) {
      if (Interrupted() || lat_messages == 0 || !selected(c)) continue;
      Result r = run(c, lat_messages, lat_rate);
      std::printf("  round %d  %-36s latency p50 %s us, p99 %s us, max %s us%s\n", round + 1,
                  kCaseNames[c], Fmt(r.p50_us).c_str(), Fmt(r.p99_us).c_str(),
                  Fmt(r.max_us).c_str(),
                  r.error.empty() && r.lost == 0
                      ? ""
                      : absl::StrCat("  ERROR ", r.error, " lost ", r.lost).c_str());
      std::fflush(stdout);
      lat[c].runs.push_back(std::move(r));
    }
    RunCodecRound(micro, micro_seconds, micro_times);
  }

  // ---- Report ----
  const std::vector<double> raw_rates = Rates(tput[kRaw]);
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  std::printf("\n");
  PrintRule(kRuleWidth);
  std::printf("THROUGHPUT  1 publisher -> 1 subscriber, %zu B of data per frame, at most %lld in "
              "flight, median of %d round(s)\n",
              payload, static_cast<long long>(window), rounds);
  std::printf("frames/s = frames delivered / (first send -> last delivery); vs raw and vs verify = "
              "per-round ratios, median [min..max]\n"
              "cpu us/frame: pub = publishing thread, sub = subscriber's delivery thread, proc = "
              "this whole process (both\nclients, every nats.c thread), kern = proc's kernel part, "
              "srv = nats-server; "
              "ceiling = frames/s if the %.0f cores did nothing but this (cores / total)\n",
              cores);
  PrintRule(kRuleWidth);
  std::printf("%-37s %9s %7s %-16s %-16s %5s %5s %5s %5s %5s %5s %7s\n", "case", "frames/s",
              "MB/s", "vs raw (a)", "vs verify", "pub", "sub", "proc", "kern", "srv", "total",
              "ceiling");
  bool ok = true;
  double ceiling[kNumCases] = {0};
  for (int c = 0; c < kNumCases; ++c) {
    const Series& s = tput[c];
    if (!selected(c)) continue;
    const std::vector<double> rates = Rates(s);
    std::string err = s.Errors();
    if (!err.empty() || (s.runs.empty() && selected(c))) ok = false;
    const double total = s.Med(&Result::proc_cpu_us) + s.Med(&Result::server_cpu_us);
    ceiling[c] = total > 0 ? cores * 1e6 / total : 0;
    std::printf("%-37s %9s %7s %-16s %-16s %5s %5s %5s %5s %5s %5s %7s%s%s\n", kCaseNames[c],
                Fmt(s.Med(&Result::rate)).c_str(),
                Fmt(s.Med(&Result::rate) * payload / 1e6).c_str(),
                c == kRaw ? "(baseline)" : PercentText(Ratios(rates, raw_rates)).c_str(),
                c < kSigned ? "" : PercentText(Ratios(rates, verify_rates)).c_str(),
                Fmt(s.Med(&Result::pub_cpu_us)).c_str(), Fmt(s.Med(&Result::sub_cpu_us)).c_str(),
                Fmt(s.Med(&Result::proc_cpu_us)).c_str(), Fmt(s.Med(&Result::proc_sys_us)).c_str(),
                Fmt(s.Med(&Result::server_cpu_us)).c_str(),
                Fmt(total).c_str(), Fmt(ceiling[c]).c_str(), err.empty() ? "" : "  ", err.c_str());
  }
  const double verify = Median(verify_rates);
  std::printf("%-37s %9s %7s %-16s %-16s   %s us wall, %s us cpu per verify\n",
              "Ed25519 verify, 1 thread", Fmt(verify).c_str(), "", "", "(reference)",
              verify > 0 ? Fmt(1e6 / verify).c_str() : "-", Fmt(Median(verify_cpu_us)).c_str());
  PrintRule(kRuleWidth);
  std::printf("LATENCY  one-way (send call -> on_message), paced at %d frames/s, %lld frames per "
              "round, median of %d round(s)\nnats.c's flusher thread waits up to 1 ms for more "
              "data before it writes; the send-ASAP row writes at once\n",
              lat_rate, static_cast<long long>(lat_messages), rounds);
  PrintRule(kRuleWidth);
  std::printf("%-37s %9s %9s %9s\n", "case", "p50 us", "p99 us", "max us");
  for (int c : lat_cases) {
    const Series& s = lat[c];
    if (!selected(c) || lat_messages == 0) continue;
    std::string err = s.Errors();
    if (!err.empty() || (s.runs.empty() && selected(c) && lat_messages > 0)) ok = false;
    std::printf("%-37s %9s %9s %9s%s%s\n", kCaseNames[c], Fmt(s.Med(&Result::p50_us)).c_str(),
                Fmt(s.Med(&Result::p99_us)).c_str(), Fmt(s.Med(&Result::max_us)).c_str(),
                err.empty() ? "" : "  ", err.c_str());
  }
  PrintCodec(micro, micro_times, payload);
  const double aead_ratio = Median(Ratios(Rates(tput[kAead]), raw_rates));
  const double signed_ratio = Median(Ratios(Rates(tput[kSigned]), verify_rates));
  // The subscriber of signed frames is bound by its delivery thread: how many verifies' worth of
  // CPU it spends per frame, measured in thread CPU time (robust to the machine's noise).
  std::vector<double> sub_per_verify;
  for (size_t i = 0; i < std::min(tput[kSigned].runs.size(), verify_cpu_us.size()); ++i) {
    if (verify_cpu_us[i] > 0) {
      sub_per_verify.push_back(tput[kSigned].runs[i].sub_cpu_us / verify_cpu_us[i]);
    }
  }
  const double spv = Median(sub_per_verify);
  PrintRule(kRuleWidth);
  std::printf("WHERE THE TIME GOES\n");
  std::printf("  (b) ratio of the CPU-bound ceilings on %.0f cores, aead / raw: %.0f%% (CPU per "
              "frame of raw / of aead)\n",
              cores, ceiling[kRaw] > 0 ? 100 * ceiling[kAead] / ceiling[kRaw] : 0);
  const double verify_cpu = Median(verify_cpu_us);
  const double signed_total =
      tput[kSigned].Med(&Result::proc_cpu_us) + tput[kSigned].Med(&Result::server_cpu_us);
  std::printf("  (c) subscriber delivery thread: %.2f x a verify's CPU per signed frame -> at most "
              "%.0f%% of the verify rate\n      even with a core of its own; process + nats-server "
              "CPU per signed frame = %.2f verifies' worth,\n      i.e. %.2f cores busy at the "
              "verify rate\n",
              spv, spv > 0 ? 100 / spv : 0, verify_cpu > 0 ? signed_total / verify_cpu : 0,
              verify_cpu > 0 ? signed_total / verify_cpu : 0);
  PrintRule(kRuleWidth);
  std::printf("GOALS\n");
  std::printf("  (b) aead frames/s vs raw nats.c pub/sub:        %5.1f%%  (goal >= %.0f%%)  %s\n",
              100 * aead_ratio, 100 * kGoalAeadRatio,
              aead_ratio >= kGoalAeadRatio ? "PASS" : "FAIL");
  std::printf("  (c) signed frames/s vs Ed25519 verifies/s:      %5.1f%%  (goal >= %.0f%%)  %s\n",
              100 * signed_ratio, 100 * kGoalSignedRatio,
              signed_ratio >= kGoalSignedRatio ? "PASS" : "FAIL");
  PrintRule(kRuleWidth);
  std::fflush(stdout);

  raw->pub.reset();
  raw->sub.reset();
  raw_asap->pub.reset();
  raw_asap->sub.reset();
  alice->client.reset();
  bob->client.reset();
  started->reset();  // stops unibus-authd, nats-server, unibusd
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace unibus::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  unibus::bench::SetUpRunfiles(argv[0]);
  unibus::bench::CatchInterrupts();
  unibus::common::InitSodium();
  if (absl::GetFlag(FLAGS_codec_only)) {
    return unibus::bench::CodecOnly(static_cast<size_t>(std::max(8, absl::GetFlag(FLAGS_payload))));
  }
  return unibus::bench::RunInTempDir(absl::GetFlag(FLAGS_tmpdir), "unibus-frames-bench",
                                     absl::GetFlag(FLAGS_keep_dir), [](const std::string& dir) {
                                       nats_Open(-1);
                                       int code = unibus::bench::Main(dir);
                                       nats_CloseAndWait(10000);
                                       return code;
                                     });
}
