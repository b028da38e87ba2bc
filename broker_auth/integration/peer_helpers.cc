#include "broker_auth/integration/peer_helpers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker_auth/callout/base64url.h"
#include "common/nats/subjects.h"
#include "control/testing/rpc.h"
#include "gtest/gtest.h"
#include "unibus/v1/rooms.grpc.pb.h"
#include "unibus/v1/users.grpc.pb.h"

namespace unibus::broker_auth::integration {
namespace {

using common::Identity;
using common::nats::FromNatsStatus;
using common::nats::NatsSubscriptionPtr;

PeerEvents* EventsOf(void* closure) { return static_cast<PeerEvents*>(closure); }

bool WaitFor(absl::Mutex& mu, const std::function<bool()>& done, absl::Duration timeout) {
  absl::MutexLock lock(&mu);
  return mu.AwaitWithTimeout(absl::Condition(&done), timeout);
}

}  // namespace

// ---- PeerEvents ----

testing::PeerCallbacks PeerEvents::Callbacks() {
  return testing::PeerCallbacks{&PeerEvents::OnError, &PeerEvents::OnDisconnected,
                                &PeerEvents::OnReconnected, &PeerEvents::OnClosed, this};
}

void PeerEvents::OnError(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
  // nats.c sets the error text as this thread's last error just before calling us.
  const char* text = nats_GetLastError(nullptr);
  std::string entry = text != nullptr && *text != '\0' ? text : natsStatus_GetText(err);
  PeerEvents* self = EventsOf(closure);
  absl::MutexLock lock(&self->mu_);
  self->errors_.push_back(std::move(entry));
}

void PeerEvents::OnDisconnected(natsConnection*, void* closure) {
  PeerEvents* self = EventsOf(closure);
  absl::MutexLock lock(&self->mu_);
  if (self->disconnects_++ == 0) self->first_disconnect_at_ = absl::Now();
}

void PeerEvents::OnReconnected(natsConnection*, void* closure) {
  PeerEvents* self = EventsOf(closure);
  absl::MutexLock lock(&self->mu_);
  ++self->reconnects_;
}

void PeerEvents::OnClosed(natsConnection*, void* closure) {
  PeerEvents* self = EventsOf(closure);
  absl::MutexLock lock(&self->mu_);
  self->closed_ = true;
  self->closed_at_ = absl::Now();
}

bool PeerEvents::WaitForError(const std::string& needle, absl::Duration timeout) {
  std::string lower = absl::AsciiStrToLower(needle);
  return WaitFor(
      mu_,
      [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        for (const std::string& e : errors_) {
          if (absl::StrContains(absl::AsciiStrToLower(e), lower)) return true;
        }
        return false;
      },
      timeout);
}

bool PeerEvents::WaitForDisconnects(int n, absl::Duration timeout) {
  return WaitFor(mu_, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return disconnects_ >= n; },
                 timeout);
}

bool PeerEvents::WaitForReconnects(int n, absl::Duration timeout) {
  return WaitFor(mu_, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return reconnects_ >= n; },
                 timeout);
}

bool PeerEvents::WaitForClosed(absl::Duration timeout) {
  return WaitFor(mu_, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return closed_; }, timeout);
}

int PeerEvents::disconnects() const {
  absl::MutexLock lock(&mu_);
  return disconnects_;
}

int PeerEvents::reconnects() const {
  absl::MutexLock lock(&mu_);
  return reconnects_;
}

bool PeerEvents::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

std::vector<std::string> PeerEvents::errors() const {
  absl::MutexLock lock(&mu_);
  return errors_;
}

absl::Time PeerEvents::first_disconnect_at() const {
  absl::MutexLock lock(&mu_);
  return first_disconnect_at_;
}

absl::Time PeerEvents::closed_at() const {
  absl::MutexLock lock(&mu_);
  return closed_at_;
}

// ---- Peer ----

absl::StatusOr<std::unique_ptr<Peer>> Peer::Connect(const testing::Stack& stack,
                                                    const Identity& identity,
                                                    testing::PeerOptions options) {
  return Connect(stack.nats_url(), identity, options);
}

absl::StatusOr<std::unique_ptr<Peer>> Peer::Connect(const std::string& nats_urls,
                                                    const Identity& identity,
                                                    testing::PeerOptions options) {
  auto events = std::make_unique<PeerEvents>();
  options.callbacks = events->Callbacks();
  absl::StatusOr<common::nats::NatsConnectionPtr> nc =
      testing::ConnectPeer(nats_urls, identity, options);
  if (!nc.ok()) {
    // nats.c may still hold a queued callback naming the closure: never free it.
    events.release();
    return nc.status();
  }
  return std::unique_ptr<Peer>(new Peer(std::move(events), nc->release()));
}

Peer::~Peer() {
  natsConnection_Close(nc_);
  // The closed callback is the last one nats.c runs for this connection.
  bool closed = events_->WaitForClosed(kEventDeadline);
  natsConnection_Destroy(nc_);
  if (!closed) events_.release();  // a late callback may still use it
}

absl::StatusOr<NatsSubscriptionPtr> Peer::Subscribe(const std::string& subject) {
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_SubscribeSync(&sub, nc_, subject.c_str());
  if (s != NATS_OK) return FromNatsStatus(s, "subscribe " + subject);
  NatsSubscriptionPtr owned(sub);
  s = natsConnection_FlushTimeout(nc_, 5000);
  if (s != NATS_OK) return FromNatsStatus(s, "flush");
  return owned;
}

absl::Status Peer::Publish(const std::string& subject, const std::string& data) {
  natsStatus s = natsConnection_Publish(nc_, subject.c_str(), data.data(),
                                        static_cast<int>(data.size()));
  if (s == NATS_OK) s = natsConnection_FlushTimeout(nc_, 5000);
  return FromNatsStatus(s, "publish " + subject);
}

bool Peer::WaitForPublishDenied(const std::string& subject, absl::Duration timeout) {
  return events_->WaitForError(absl::StrCat("Permissions Violation for Publish to \"", subject,
                                            "\""),
                               timeout);
}

bool Peer::WaitForSubscribeDenied(const std::string& subject, absl::Duration timeout) {
  return events_->WaitForError(
      absl::StrCat("Permissions Violation for Subscription to \"", subject, "\""), timeout);
}

absl::StatusOr<std::string> NextMessage(natsSubscription* sub, absl::Duration timeout) {
  natsMsg* msg = nullptr;
  natsStatus s = natsSubscription_NextMsg(&msg, sub, absl::ToInt64Milliseconds(timeout));
  if (s != NATS_OK) return FromNatsStatus(s, "next message");
  common::nats::NatsMsgPtr owned(msg);
  return std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
}

int Pending(natsSubscription* sub) {
  int msgs = 0;
  int bytes = 0;
  natsSubscription_GetPending(sub, &msgs, &bytes);
  return msgs;
}

void StackPerTest::SetUp() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto stack = testing::Stack::Start(control::testing::NewTempDir(info->name()));
  ASSERT_TRUE(stack.ok()) << stack.status();
  stack_ = *std::move(stack);
}

void StackPerTest::TearDown() {
  if (HasFailure() && stack_ != nullptr) {
    std::cout << "---- authd.log ----\n" << FileTailFrom(stack_->dir() + "/authd.log", 0)
              << "---- nats.log ----\n" << FileTailFrom(stack_->dir() + "/nats.log", 0);
  }
}

// ---- Control plane ----

std::string CreateCleartextRoom(const control::testing::UnibusdProcess& control,
                                const Identity& owner, bool history) {
  auto rooms = v1::RoomService::NewStub(control.ChannelFor(owner));
  v1::CreateRoomRequest request;
  request.set_name("integration");
  request.set_encrypted(false);
  request.set_history(history);
  v1::CreateRoomResponse response;
  grpc::Status status =
      control::testing::Call(*rooms, &v1::RoomService::Stub::CreateRoom, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.room().policy().history(), history);
  return response.room().room_id();
}

grpc::Status AddMember(const control::testing::UnibusdProcess& control, const Identity& owner,
                       const std::string& room_id, const Identity& member) {
  auto rooms = v1::RoomService::NewStub(control.ChannelFor(owner));
  v1::AddMemberRequest request;
  request.set_room_id(room_id);
  request.set_sign_pub(member.sign_pub_hex());
  v1::AddMemberResponse response;
  return control::testing::Call(*rooms, &v1::RoomService::Stub::AddMember, request, &response);
}

grpc::Status RemoveMember(const control::testing::UnibusdProcess& control, const Identity& owner,
                          const std::string& room_id, const Identity& member) {
  auto rooms = v1::RoomService::NewStub(control.ChannelFor(owner));
  v1::RemoveMemberRequest request;
  request.set_room_id(room_id);
  request.set_sign_pub(member.sign_pub_hex());
  v1::RemoveMemberResponse response;
  return control::testing::Call(*rooms, &v1::RoomService::Stub::RemoveMember, request,
                                &response);
}

grpc::Status RevokeUser(const control::testing::UnibusdProcess& control, const Identity& user) {
  auto users = v1::UserService::NewStub(control.ChannelFor(control.admin()));
  v1::RevokeUserRequest request;
  request.set_sign_pub(user.sign_pub_hex());
  v1::RevokeUserResponse response;
  return control::testing::Call(*users, &v1::UserService::Stub::RevokeUser, request, &response);
}

// ---- Waiting for unibus-authd ----

namespace {

// One attempt: a fresh connection that round-trips a message on every room.
bool HasRoomAccess(const testing::Stack& stack, const Identity& identity,
                   const std::vector<std::string>& room_ids) {
  absl::StatusOr<std::unique_ptr<Peer>> peer = Peer::Connect(stack, identity);
  if (!peer.ok()) return false;
  static std::atomic<int> probe{0};
  for (const std::string& room : room_ids) {
    std::string subject =
        absl::StrCat(common::nats::RoomSubject(room), ".probe.", probe.fetch_add(1));
    absl::StatusOr<NatsSubscriptionPtr> sub = (*peer)->Subscribe(subject);
    if (!sub.ok() || !(*peer)->Publish(subject, "probe").ok()) return false;
    // Our own publish comes back (echo) only if both SUB and PUB were allowed.
    if (!NextMessage(sub->get(), absl::Milliseconds(500)).ok()) return false;
  }
  return true;
}

absl::Status Poll(const std::function<bool()>& attempt, absl::Duration timeout,
                  const std::string& what) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (attempt()) return absl::OkStatus();
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("timed out waiting: " + what);
    // Between attempts only: each attempt is itself a full round trip to the server.
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace

absl::Status WaitForRoomAccess(const testing::Stack& stack, const Identity& identity,
                               const std::vector<std::string>& room_ids,
                               absl::Duration timeout) {
  return Poll([&] { return HasRoomAccess(stack, identity, room_ids); }, timeout,
              "room access");
}

absl::Status WaitUntilConnectRefused(const testing::Stack& stack, const Identity& identity,
                                     absl::Duration timeout) {
  return Poll(
      [&] {
        absl::StatusOr<std::unique_ptr<Peer>> peer = Peer::Connect(stack, identity);
        return !peer.ok() && absl::IsPermissionDenied(peer.status());
      },
      timeout, "connect refused");
}

absl::Status WaitUntilConnectAccepted(const testing::Stack& stack, const Identity& identity,
                                      absl::Duration timeout) {
  return Poll([&] { return Peer::Connect(stack, identity).ok(); }, timeout, "connect accepted");
}

// ---- Raw NATS protocol ----

absl::StatusOr<std::unique_ptr<RawNatsSocket>> RawNatsSocket::Open(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  std::unique_ptr<RawNatsSocket> raw(new RawNatsSocket(fd));
  timeval tv{10, 0};  // a read never hangs the test
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect: ", strerror(errno)));
  }
  absl::StatusOr<std::string> line = raw->ReadLine();
  if (!line.ok()) return line.status();
  if (!absl::StartsWith(*line, "INFO ")) return absl::InternalError("expected INFO: " + *line);
  raw->info_ = nlohmann::json::parse(line->substr(5), nullptr, /*allow_exceptions=*/false);
  if (!raw->info_.is_object()) return absl::InternalError("INFO is not JSON: " + *line);
  return raw;
}

RawNatsSocket::~RawNatsSocket() { close(fd_); }

absl::StatusOr<std::string> RawNatsSocket::ReadLine() {
  while (true) {
    size_t end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return line;
    }
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      return absl::UnavailableError(n == 0 ? "connection closed by the server"
                                           : absl::StrCat("recv: ", strerror(errno)));
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

absl::StatusOr<std::string> RawNatsSocket::ConnectAndPing(const nlohmann::json& connect) {
  std::string out = absl::StrCat("CONNECT ", connect.dump(), "\r\nPING\r\n");
  if (send(fd_, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
    return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
  }
  while (true) {
    absl::StatusOr<std::string> line = ReadLine();
    if (!line.ok()) return line.status();
    if (*line == "+OK" || absl::StartsWith(*line, "INFO ")) continue;
    return line;
  }
}

std::string SignatureText(const Identity& identity, const std::string& message) {
  return callout::Base64UrlEncode(identity.Sign(message));
}

std::string FileTailFrom(const std::string& path, size_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(static_cast<std::streamoff>(offset));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

size_t FileSize(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  return in ? static_cast<size_t>(in.tellg()) : 0;
}

bool WaitForFileContains(const std::string& path, size_t offset, const std::string& needle,
                         absl::Duration timeout) {
  std::string lower = absl::AsciiStrToLower(needle);
  return Poll(
             [&] {
               return absl::StrContains(absl::AsciiStrToLower(FileTailFrom(path, offset)), lower);
             },
             timeout, "log line")
      .ok();
}

}  // namespace unibus::broker_auth::integration
