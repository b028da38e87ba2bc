// kick_bench: how long a removed member's open connections survive the removal. One identity
// holds --connections (100) raw nats.c connections; its owner removes it from a room
// (RoomService/RemoveMember); unibus-authd sees the change on its feed, asks every server for the
// identity's connections (CONNZ) and kicks each one (broker_auth/kick/kicker.h). The bench times,
// from the moment RemoveMember was acknowledged, the disconnected callback of every connection,
// and reports the LAST one (the member is out only when every connection is closed).
//
// It starts the stack (broker_auth/testing/stack.h: unibusd, nats-server, unibus-authd) and two
// identities: the owner and the member. Then, --repetitions times:
//   1. the owner creates a cleartext room and adds the member;
//   2. a fresh connection of the member polls until a message round-trips on the room (its grants
//      in unibus-authd include the room);
//   3. it waits until --settle_ms after the AddMember ack: an addition kicks the member's
//      connections too (at once and again 2.5 s later), and a connection opened while that kick
//      is under way can be caught by it;
//   4. the member opens --connections connections that never reconnect (max_reconnect 0), each
//      with its own disconnected callback, and every one must still be open;
//   5. RemoveMember; every connection must report its disconnect before --deadline_seconds.
// Not a test: it prints a table and exits 1 if the setup failed, a connection was closed before
// the removal or one was still open at the deadline. Like callout_bench (bench/README.md) it is
// testonly, runs under `bazel run -c opt //bench:kick_bench` (about 70 s with the defaults) and
// uses $UNIBUS_NATS_SERVER or /usr/sbin/nats-server.
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
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
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "broker_auth/testing/stack.h"
#include "common/crypto/identity.h"
#include "common/nats/nats_ptr.h"
#include "common/nats/subjects.h"
#include "control/testing/rpc.h"
#include "control/testing/unibusd_process.h"
#include "unibus/v1/rooms.grpc.pb.h"

ABSL_FLAG(int, connections, 100, "Open connections of the removed member.");
ABSL_FLAG(int, repetitions, 20, "Removals timed (one fresh room each).");
ABSL_FLAG(int, settle_ms, 3000, "Wait from the AddMember ack before the connections are opened "
                                "(longer than the kicker's 2.5 s recheck of the addition).");
ABSL_FLAG(int, deadline_seconds, 10, "Every connection must be closed within this.");
ABSL_FLAG(std::string, tmpdir, "", "Where the stack's directory goes (default $TMPDIR or /tmp). "
                                   "Removed at exit unless --keep_dir.");
ABSL_FLAG(bool, keep_dir, false, "Keep the temporary directory (logs) at exit.");

namespace unibus::bench {
namespace {

using broker_auth::testing::Stack;
using common::Identity;
using common::nats::NatsConnectionPtr;
using SteadyClock = std::chrono::steady_clock;

constexpr int kRuleWidth = 96;  // of the tables' rules (report.h PrintRule)

double Millis(SteadyClock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// One of the member's connections and what nats.c reported for it. The callbacks run on nats.c's
// callback thread; closed is the last one.
struct Kept {
  NatsConnectionPtr nc;
  std::atomic<int64_t> disconnected_ns{0};  // steady clock; 0: not yet
  std::atomic<bool> closed{false};

  static void OnDisconnected(natsConnection*, void* closure) {
    auto* k = static_cast<Kept*>(closure);
    int64_t now = SteadyClock::now().time_since_epoch().count();
    int64_t none = 0;
    k->disconnected_ns.compare_exchange_strong(none, now);
  }
  static void OnClosed(natsConnection*, void* closure) {
    static_cast<Kept*>(closure)->closed.store(true);
  }
};

// The rooms stub of `owner`, on one channel kept for the whole run (the timed RemoveMember does
// not pay a TLS handshake).
class Owner {
 public:
  Owner(const control::testing::UnibusdProcess& control, const Identity& owner)
      : rooms_(v1::RoomService::NewStub(control.ChannelFor(owner))) {}

  absl::StatusOr<std::string> CreateRoom() {
    v1::CreateRoomRequest request;
    request.set_name("kick-bench");
    request.set_encrypted(false);
    request.set_history(false);
    v1::CreateRoomResponse response;
    grpc::Status s = control::testing::Call(*rooms_, &v1::RoomService::Stub::CreateRoom, request,
                                            &response);
    if (!s.ok()) return absl::InternalError("CreateRoom: " + s.error_message());
    return response.room().room_id();
  }
  absl::Status AddMember(const std::string& room, const Identity& member) {
    v1::AddMemberRequest request;
    request.set_room_id(room);
    request.set_sign_pub(member.sign_pub_hex());
    v1::AddMemberResponse response;
    grpc::Status s = control::testing::Call(*rooms_, &v1::RoomService::Stub::AddMember, request,
                                            &response);
    return s.ok() ? absl::OkStatus() : absl::InternalError("AddMember: " + s.error_message());
  }
  absl::Status RemoveMember(const std::string& room, const Identity& member) {
    v1::RemoveMemberRequest request;
    request.set_room_id(room);
    request.set_sign_pub(member.sign_pub_hex());
    v1::RemoveMemberResponse response;
    grpc::Status s = control::testing::Call(*rooms_, &v1::RoomService::Stub::RemoveMember,
                                            request, &response);
    return s.ok() ? absl::OkStatus() : absl::InternalError("RemoveMember: " + s.error_message());
  }

 private:
  std::unique_ptr<v1::RoomService::Stub> rooms_;
};

// Whether a fresh connection of `member` round-trips a message on the room (SUB and PUB both
// allowed: its grants in unibus-authd include the room).
bool HasRoomAccess(const Stack& stack, const Identity& member, const std::string& room) {
  absl::StatusOr<NatsConnectionPtr> nc = stack.ConnectPeer(member);
  if (!nc.ok()) return false;
  std::string subject = absl::StrCat(common::nats::RoomSubject(room), ".probe");
  natsSubscription* raw = nullptr;
  if (natsConnection_SubscribeSync(&raw, nc->get(), subject.c_str()) != NATS_OK) return false;
  common::nats::NatsSubscriptionPtr sub(raw);
  if (natsConnection_PublishString(nc->get(), subject.c_str(), "probe") != NATS_OK ||
      natsConnection_Flush(nc->get()) != NATS_OK) {
    return false;
  }
  natsMsg* msg = nullptr;
  if (natsSubscription_NextMsg(&msg, raw, 500) != NATS_OK) return false;
  natsMsg_Destroy(msg);
  return true;
}

absl::Status WaitForRoomAccess(const Stack& stack, const Identity& member,
                               const std::string& room) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!HasRoomAccess(stack, member, room)) {
    if (absl::Now() > deadline) return absl::DeadlineExceededError("no room access after 10 s");
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::OkStatus();
}

struct Repetition {
  double rpc_ms = 0;     // RemoveMember call to its ack
  double first_ms = 0;   // ack to the first disconnected callback
  double median_ms = 0;  // ack to the median connection's
  double last_ms = 0;    // ack to the last one's: the member is out
  int closed = 0;        // connections closed by the deadline
  std::string error;
};

Repetition RunOnce(const Stack& stack, Owner& owner, const Identity& member, int connections,
                   absl::Duration settle, absl::Duration deadline) {
  Repetition r;
  absl::StatusOr<std::string> room = owner.CreateRoom();
  if (!room.ok()) {
    r.error = room.status().ToString();
    return r;
  }
  absl::Status s = owner.AddMember(*room, member);
  absl::Time added = absl::Now();
  if (s.ok()) s = WaitForRoomAccess(stack, member, *room);
  // Past the kicks of the addition (see the top of the file).
  if (s.ok()) absl::SleepFor(added + settle - absl::Now());
  std::vector<std::unique_ptr<Kept>> kept;
  for (int i = 0; i < connections && s.ok(); ++i) {
    kept.push_back(std::make_unique<Kept>());
    Kept& k = *kept.back();
    broker_auth::testing::PeerOptions options;
    options.max_reconnect = 0;
    options.callbacks.on_disconnected = &Kept::OnDisconnected;
    options.callbacks.on_closed = &Kept::OnClosed;
    options.callbacks.closure = &k;
    absl::StatusOr<NatsConnectionPtr> nc = stack.ConnectPeer(member, options);
    if (!nc.ok()) {
      kept.pop_back();
      s = nc.status();
      break;
    }
    k.nc = *std::move(nc);
  }
  if (s.ok()) {
    int open = 0;
    for (const auto& k : kept) {
      if (k->disconnected_ns.load() == 0 &&
          natsConnection_Status(k->nc.get()) == NATS_CONN_STATUS_CONNECTED) {
        ++open;
      }
    }
    if (open != connections) {
      s = absl::InternalError(absl::StrCat(connections - open, " connection(s) closed before "
                                                               "the removal"));
    }
  }
  if (s.ok()) {
    auto sent = SteadyClock::now();
    s = owner.RemoveMember(*room, member);
    auto acked = SteadyClock::now();
    r.rpc_ms = Millis(acked - sent);
    absl::Time until = absl::Now() + deadline;
    std::vector<double> after_ms;
    while (s.ok()) {
      after_ms.clear();
      for (const auto& k : kept) {
        int64_t ns = k->disconnected_ns.load();
        if (ns != 0) {
          after_ms.push_back(Millis(SteadyClock::duration(ns) - acked.time_since_epoch()));
        }
      }
      if (static_cast<int>(after_ms.size()) == connections || absl::Now() > until) break;
      absl::SleepFor(absl::Milliseconds(1));
    }
    r.closed = static_cast<int>(after_ms.size());
    if (s.ok() && r.closed < connections) {
      s = absl::DeadlineExceededError(
          absl::StrCat(connections - r.closed, " connection(s) still open after ",
                       absl::FormatDuration(deadline)));
    }
    if (!after_ms.empty()) {
      std::sort(after_ms.begin(), after_ms.end());
      r.first_ms = after_ms.front();
      r.median_ms = Median(after_ms);
      r.last_ms = after_ms.back();
    }
  }
  if (!s.ok()) r.error = s.ToString();
  // Close what is left and wait for every closed callback before the closures go.
  for (auto& k : kept) natsConnection_Close(k->nc.get());
  absl::Time until = absl::Now() + absl::Seconds(10);
  for (auto& k : kept) {
    while (!k->closed.load() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(1));
  }
  kept.clear();
  return r;
}

int Main(const std::string& dir) {
  const int connections = std::max(1, absl::GetFlag(FLAGS_connections));
  const int repetitions = std::max(1, absl::GetFlag(FLAGS_repetitions));
  const absl::Duration settle = absl::Milliseconds(absl::GetFlag(FLAGS_settle_ms));
  const absl::Duration deadline = absl::Seconds(absl::GetFlag(FLAGS_deadline_seconds));

  std::printf("unibus kick bench: %s, nats.c %s, %u hardware threads%s\n",
              NatsServerVersion(dir).c_str(), nats_GetVersion(),
              std::thread::hardware_concurrency(), BuildNote());
  std::printf("directory %s (%s at exit)\n", dir.c_str(),
              absl::GetFlag(FLAGS_keep_dir) ? "kept" : "removed");
  std::fflush(stdout);

  const std::string stack_dir = dir + "/stack";
  mkdir(stack_dir.c_str(), 0700);
  absl::StatusOr<std::unique_ptr<Stack>> started = Stack::Start(stack_dir);
  if (!started.ok()) {
    std::fprintf(stderr, "Stack::Start: %s\n", started.status().ToString().c_str());
    return 1;
  }
  Stack& stack = **started;
  const Identity owner_id = Identity::Generate();
  const Identity member = Identity::Generate();
  for (const auto& [id, handle] : {std::pair{&owner_id, "owner"}, std::pair{&member, "member"}}) {
    if (auto user = stack.control().AddUser(*id, v1::ROLE_MEMBER, handle); !user.ok()) {
      std::fprintf(stderr, "AddUser: %s\n", user.status().ToString().c_str());
      return 1;
    }
  }
  Owner owner(stack.control(), owner_id);

  std::vector<Repetition> runs;
  bool ok = true;
  for (int i = 0; i < repetitions && !Interrupted(); ++i) {
    Repetition r = RunOnce(stack, owner, member, connections, settle, deadline);
    std::printf("  rep %2d  RemoveMember rpc %s ms; after its ack, closed: first %s ms, median %s "
                "ms, last %s ms (%d of %d)%s\n",
                i + 1, Fmt(r.rpc_ms).c_str(), Fmt(r.first_ms).c_str(), Fmt(r.median_ms).c_str(),
                Fmt(r.last_ms).c_str(), r.closed, connections,
                r.error.empty() ? "" : ("  ERROR " + r.error).c_str());
    std::fflush(stdout);
    if (!r.error.empty()) ok = false;
    runs.push_back(std::move(r));
  }

  std::vector<float> field[4];
  for (const Repetition& r : runs) {
    if (!r.error.empty()) continue;
    field[0].push_back(static_cast<float>(r.rpc_ms));
    field[1].push_back(static_cast<float>(r.first_ms));
    field[2].push_back(static_cast<float>(r.median_ms));
    field[3].push_back(static_cast<float>(r.last_ms));
  }
  const char* const names[4] = {"RemoveMember rpc (call -> ack)", "ack -> first connection closed",
                                "ack -> median connection closed",
                                "ack -> LAST connection closed"};
  std::printf("\n");
  PrintRule(kRuleWidth);
  std::printf("KICK  %d connections of one identity (max_reconnect 0), removed from a room; "
              "%zu good repetition(s) of %d\n",
              connections, field[3].size(), repetitions);
  std::printf("closed = the connection's nats.c disconnected callback (steady clock); p99 over "
              "fewer than 100 repetitions is the max\n");
  PrintRule(kRuleWidth);
  std::printf("%-36s %9s %9s %9s %9s\n", "ms", "p50", "p99", "min", "max");
  for (int f = 0; f < 4; ++f) {
    std::sort(field[f].begin(), field[f].end());
    std::printf("%-36s %9s %9s %9s %9s\n", names[f], Fmt(Percentile(field[f], 0.5)).c_str(),
                Fmt(Percentile(field[f], 0.99)).c_str(),
                Fmt(field[f].empty() ? 0 : field[f].front()).c_str(),
                Fmt(field[f].empty() ? 0 : field[f].back()).c_str());
  }
  PrintRule(kRuleWidth);
  std::fflush(stdout);
  started->reset();  // stops unibus-authd, nats-server, unibusd
  nats_CloseAndWait(10000);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace unibus::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  unibus::bench::SetUpRunfiles(argv[0]);
  unibus::bench::CatchInterrupts();
  unibus::common::InitSodium();
  return unibus::bench::RunInTempDir(absl::GetFlag(FLAGS_tmpdir), "unibus-kick-bench",
                                     absl::GetFlag(FLAGS_keep_dir), [](const std::string& dir) {
                                       nats_Open(-1);
                                       return unibus::bench::Main(dir);
                                     });
}
