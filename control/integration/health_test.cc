// grpc.health.v1.Health on a real unibusd under attack by a stranger: a key on no allowlist, with
// a fresh self-signed certificate, holding as many Watch streams as the transport lets it open.
// The streams are driven from one CompletionQueue (async stubs), not one thread each.
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/crypto/cert.h"
#include "common/crypto/identity.h"
#include "control/testing/rpc.h"
#include "control/testing/unibusd_process.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "unibus/v1/users.grpc.pb.h"

namespace unibus::control {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Watch stream of the attacker, and what became of it.
struct WatchStream {
  enum class Step { kStart, kRead, kFinish };
  grpc::ClientContext context;
  HealthCheckResponse response;
  std::unique_ptr<grpc::ClientAsyncReader<HealthCheckResponse>> reader;
  grpc::Status status;
  bool open = false;      // the server sent the first status and holds the stream
  bool finished = false;  // the server ended it (status is set)
  Step step = Step::kStart;
};

// `channels` × `per_channel` Watch streams from `pair`'s certificate, all on `cq`.
class WatchFlood {
 public:
  WatchFlood(const testing::UnibusdProcess& server, const common::PemKeyPair& pair, int channels,
             int per_channel) {
    HealthCheckRequest request;  // "": the server as a whole
    for (int c = 0; c < channels; ++c) {
      // Each channel is a connection of its own (MutualTlsChannel shares none).
      stubs_.push_back(Health::NewStub(server.ChannelWithCertificate(pair)));
      for (int s = 0; s < per_channel; ++s) {
        auto& stream = streams_.emplace_back(std::make_unique<WatchStream>());
        stream->context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
        stream->reader = stubs_.back()->PrepareAsyncWatch(&stream->context, request, &cq_);
        stream->reader->StartCall(stream.get());
      }
    }
  }

  ~WatchFlood() {
    for (auto& stream : streams_) {
      stream->context.TryCancel();
      // An open stream has no operation pending that the cancellation would complete.
      if (stream->open && !stream->finished && stream->step == WatchStream::Step::kRead) {
        stream->step = WatchStream::Step::kFinish;
        stream->reader->Finish(&stream->status, stream.get());
      }
    }
    while (!AllFinished()) {
      if (!Step(std::chrono::minutes(1))) break;
    }
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  // Handles events until every stream is open or finished; false if `within` passed first.
  bool SettleWithin(std::chrono::seconds within) {
    auto deadline = std::chrono::system_clock::now() + within;
    while (!AllSettled()) {
      if (!Step(deadline - std::chrono::system_clock::now())) return false;
    }
    return true;
  }

  int Open() const { return Count([](const WatchStream& s) { return s.open && !s.finished; }); }
  // Finished with `code`.
  int FinishedWith(grpc::StatusCode code) const {
    return Count([code](const WatchStream& s) { return s.finished && s.status.error_code() == code; });
  }
  int size() const { return static_cast<int>(streams_.size()); }

 private:
  // One completion-queue event; false on timeout.
  bool Step(std::chrono::system_clock::duration within) {
    void* tag;
    bool ok;
    auto status = cq_.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + within);
    if (status != grpc::CompletionQueue::GOT_EVENT) return false;
    auto* stream = static_cast<WatchStream*>(tag);
    switch (stream->step) {
      case WatchStream::Step::kStart:
      case WatchStream::Step::kRead:
        if (ok && stream->step == WatchStream::Step::kRead) {
          stream->open = true;  // read nothing more: holding the stream is the attack
          return true;
        }
        if (ok) {
          stream->step = WatchStream::Step::kRead;
          stream->reader->Read(&stream->response, stream);
        } else {
          stream->step = WatchStream::Step::kFinish;
          stream->reader->Finish(&stream->status, stream);
        }
        return true;
      case WatchStream::Step::kFinish:
        stream->finished = true;
        return true;
    }
    return true;
  }

  template <typename Pred>
  int Count(Pred pred) const {
    int n = 0;
    for (const auto& stream : streams_) n += pred(*stream) ? 1 : 0;
    return n;
  }
  bool AllSettled() const {
    return Count([](const WatchStream& s) { return s.open || s.finished; }) == size();
  }
  bool AllFinished() const {
    return Count([](const WatchStream& s) { return s.finished; }) == size();
  }

  grpc::CompletionQueue cq_;
  std::vector<std::unique_ptr<Health::Stub>> stubs_;
  std::vector<std::unique_ptr<WatchStream>> streams_;
};

TEST(HealthTest, StrangerHoldingWatchStreamsCannotStarveAllowlistedCalls) {
  // Attack (M5): a stranger, with a fresh random Ed25519 key on no allowlist and a self-signed
  // certificate, opens 12 connections × 100 Health/Watch streams and keeps them open, to pin every
  // server thread so that allowlisted calls (an admin's, unibus-authd's) are refused. Failed before
  // the fix (each Watch held a sync thread: about 1,000 streams were held open and the admin's
  // WhoAmI got RESOURCE_EXHAUSTED).
  auto server = testing::UnibusdProcess::Start(testing::NewTempDir("health-flood")).value();
  common::PemKeyPair stranger = common::MakeClientCertificate(common::Identity::Generate()).value();
  WatchFlood flood(*server, stranger, /*channels=*/12, /*per_channel=*/100);
  ASSERT_TRUE(flood.SettleWithin(std::chrono::seconds(120)))
      << "open " << flood.Open() << " of " << flood.size();

  auto admin = v1::UserService::NewStub(server->ChannelFor(server->admin()));
  v1::WhoAmIResponse me;
  grpc::Status s =
      testing::Call(*admin, &v1::UserService::Stub::WhoAmI, v1::WhoAmIRequest(), &me);
  EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  // The streams beyond the cap were refused at once, with the exact code; the rest stay open.
  EXPECT_LE(flood.Open(), 16);
  EXPECT_EQ(flood.Open() + flood.FinishedWith(grpc::StatusCode::RESOURCE_EXHAUSTED), flood.size());
  // A monitor's Check still answers (served from the cached posture).
  auto health = Health::NewStub(server->ChannelFor(server->admin()));
  HealthCheckRequest check;
  check.set_service("unibus.posture.store");
  HealthCheckResponse status;
  s = testing::Call(*health, &Health::Stub::Check, check, &status);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(status.status(), HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace unibus::control
