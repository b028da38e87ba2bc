#include "broker_auth/grants/grants_feed.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <iostream>
#include <random>

#include <cstdio>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "broker_auth/grants/grants_diff.h"
#include "common/files/files.h"
#include "common/status/grpc_status.h"

namespace unibus::broker_auth::grants {
namespace {

constexpr int kPageSize = 1000;
constexpr auto kCallTimeout = std::chrono::seconds(10);
constexpr auto kFailoverTimeout = std::chrono::seconds(3);

std::shared_ptr<grpc::Channel> MakeChannel(const FeedOptions& o, const std::string& target) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = o.ca_pem;
  tls.pem_private_key = o.client_cert.key_pem;
  tls.pem_cert_chain = o.client_cert.cert_pem;
  grpc::ChannelArguments args;
  // Notice a silently dead control plane on the watch stream, within the server's ping policy.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 15'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2'000);
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(tls), args);
}

}  // namespace

GrantsFeed::GrantsFeed(FeedOptions options, GrantsCache& cache, ChangeCallback on_change)
    : options_(std::move(options)),
      cache_(cache),
      on_change_(std::move(on_change)) {
  for (absl::string_view target : absl::StrSplit(options_.target, ',', absl::SkipWhitespace())) {
    stubs_.push_back(v1::BrokerService::NewStub(MakeChannel(options_, std::string(target))));
  }
  // No target: calls fail (UNAVAILABLE) and the feed stays down.
  if (stubs_.empty()) stubs_.push_back(v1::BrokerService::NewStub(MakeChannel(options_, "")));
}

GrantsFeed::~GrantsFeed() { Stop(); }

void GrantsFeed::Start() { thread_ = std::thread([this] { Run(); }); }

void GrantsFeed::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (watch_ != nullptr) watch_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

bool GrantsFeed::SleepUnlessStopped(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

void GrantsFeed::Run() {
  std::mt19937_64 rng(std::random_device{}());
  if (!options_.position_file.empty()) {
    absl::StatusOr<std::string> saved = common::ReadFile(options_.position_file);
    if (!saved.ok() ||
        !absl::SimpleAtoi(absl::StripAsciiWhitespace(*saved), &applied_)) {
      applied_ = 0;
    }
  }
  absl::Duration backoff = options_.min_backoff;
  bool loaded_before = false;
  while (true) {
    absl::Status s = Round(&loaded_before);
    if (loaded_before) backoff = options_.min_backoff;
    cache_.SetLive(false);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    std::cerr << "unibus-authd: control plane feed down (" << s.message()
              << "); refusing new connections until it is back\n";
    // A cluster: follow the next node.
    current_ = (current_ + 1) % stubs_.size();
    std::uniform_real_distribution<double> jitter(0.5, 1.5);
    if (!SleepUnlessStopped(backoff * jitter(rng))) return;
    backoff = std::min(options_.max_backoff, backoff * 2);
  }
}

absl::Status GrantsFeed::Round(bool* loaded_before) {
  absl::flat_hash_map<std::string, v1::Grants> before;
  if (*loaded_before) before = cache_.Snapshot();
  uint64_t position = 0;
  if (absl::Status s = LoadAll(&position); !s.ok()) return s;
  const bool first_ever = applied_ == 0;
  if (first_ever) {
    // No record of what this authd applied before: connections authorized earlier (by an
    // earlier process, or another instance) may hold anything.
    if (options_.on_gap) options_.on_gap();
    Applied(position);
  }
  absl::Status s = Follow(applied_);  // replays what changed since, then follows
  if (s.code() == absl::StatusCode::kOutOfRange && !first_ever) {
    std::cerr << "unibus-authd: the control plane no longer holds change " << applied_
              << "; kicking whoever lost access since\n";
    if (*loaded_before) {
      for (const v1::Change& c : ShrunkBetween(before, cache_.Snapshot())) on_change_(c);
    } else if (options_.on_gap) {
      options_.on_gap();
    }
    Applied(position);
    *loaded_before = true;
    s = Follow(position);
  }
  *loaded_before = true;
  return s;
}

void GrantsFeed::Applied(uint64_t position) {
  applied_ = position;
  if (options_.position_file.empty()) return;
  std::string tmp = options_.position_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << position << "\n";
    if (!out) return;
  }
  std::rename(tmp.c_str(), options_.position_file.c_str());
}

absl::Status GrantsFeed::LoadAll(uint64_t* position) {
  std::vector<v1::Grants> all;
  std::string token;
  bool first = true;
  do {
    grpc::ClientContext context;
    // With several nodes, give up on a dead one sooner and try the next.
    context.set_deadline(std::chrono::system_clock::now() +
                         (stubs_.size() > 1 ? kFailoverTimeout : kCallTimeout));
    // Wait for the channel to (re)connect rather than fail fast: with the synchronous API only a
    // call in progress drives the reconnect's TCP/TLS handshake promptly (otherwise only gRPC's
    // 5 s backup poller does), and fail-fast retries kept the cache not live for ~20 s after
    // unibusd came back. Stop() cancels the wait.
    context.set_wait_for_ready(true);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return absl::CancelledError("stopping");
      watch_ = &context;
    }
    v1::ListGrantsRequest request;
    request.set_page_size(kPageSize);
    request.set_page_token(token);
    v1::ListGrantsResponse response;
    absl::Status s =
        common::FromGrpcStatus(stubs_[current_]->ListGrants(&context, request, &response));
    {
      absl::MutexLock lock(&mu_);
      watch_ = nullptr;
    }
    if (!s.ok()) return s;
    if (first) *position = response.position();
    first = false;
    for (v1::Grants& g : *response.mutable_grants()) all.push_back(std::move(g));
    token = response.next_page_token();
  } while (!token.empty());
  cache_.ReplaceAll(std::move(all));
  std::cerr << "unibus-authd: loaded grants of " << cache_.size() << " identities\n";
  return absl::OkStatus();
}

absl::Status GrantsFeed::Refresh(const std::string& sign_pub) {
  absl::Duration pause = options_.min_backoff;
  absl::Status s;
  for (int attempt = 0; attempt < 4; ++attempt) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    v1::GetGrantsRequest request;
    request.set_sign_pub(sign_pub);
    v1::GetGrantsResponse response;
    s = common::FromGrpcStatus(stubs_[current_]->GetGrants(&context, request, &response));
    if (s.ok()) {
      cache_.Put(response.grants());
      return s;
    }
    if (absl::IsNotFound(s)) {
      cache_.Remove(sign_pub);  // definitely unknown now
      return absl::OkStatus();
    }
    if (!SleepUnlessStopped(pause)) return absl::CancelledError("stopping");
    pause *= 2;
  }
  std::cerr << "unibus-authd: could not re-read the grants of " << sign_pub << " ("
            << s.message() << "); reloading\n";
  return s;
}

absl::Status GrantsFeed::Follow(uint64_t position) {
  grpc::ClientContext context;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("stopping");
    watch_ = &context;
  }
  v1::WatchChangesRequest request;
  request.set_after_position(position);
  std::unique_ptr<grpc::ClientReader<v1::Change>> stream =
      stubs_[current_]->WatchChanges(&context, request);
  v1::Change change;
  absl::Status refreshed;
  while (refreshed.ok() && stream->Read(&change)) {
    cache_.ApplyShrink(change);  // at once, whatever the re-read does
    refreshed = Refresh(change.sign_pub());
    on_change_(change);
    if (refreshed.ok()) Applied(change.position());
  }
  if (!refreshed.ok()) context.TryCancel();
  grpc::Status status = stream->Finish();
  absl::MutexLock lock(&mu_);
  watch_ = nullptr;
  if (!refreshed.ok()) return refreshed;
  return status.ok() ? absl::UnavailableError("feed ended") : common::FromGrpcStatus(status);
}

}  // namespace unibus::broker_auth::grants
