#include "control/server/control_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "control/server/transport_limits.h"

namespace unibus::control::server {
namespace {

// host:port with a port in 0..65535 (gRPC would silently wrap larger numbers).
absl::Status ValidateListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(listen).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address must be host:port with a port from 0 to 65535, not ", listen));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackListen(const std::string& listen) {
  return absl::StartsWith(listen, "127.") || absl::StartsWith(listen, "localhost:") ||
         absl::StartsWith(listen, "[::1]:");
}

ControlServer::ControlServer(const ServerOptions& options, store::StorePtr store,
                             blob::BlobStorePtr blobs, const common::Clock& clock)
    : options_(options),
      store_(std::move(store)),
      blobs_store_(std::move(blobs)),
      upload_budget_(options.blob_upload_budget_bytes),
      upload_guard_(blob::TransferGuard::Options{options.blob_uploads_per_identity,
                                                 options.blob_transfer_idle_timeout,
                                                 absl::Seconds(1)}),
      download_guard_(blob::TransferGuard::Options{options.blob_downloads_per_identity,
                                                   options.blob_transfer_idle_timeout,
                                                   absl::Seconds(1)}),
      blob_quota_(*blobs_store_,
                  blob::BlobQuota::Limits{options.blob_quota_per_room,
                                          options.blob_quota_per_identity, absl::Minutes(1)},
                  clock),
      limiter_(options.rate_limit_per_second, options.rate_limit_burst, clock),
      auth_(*store_, limiter_) {
  bool loopback = IsLoopbackListen(options.listen);
  allow_cleartext_ = options.cleartext_rooms == CleartextRooms::kAllow ||
                     (options.cleartext_rooms == CleartextRooms::kAuto && loopback);
  users_ = std::make_unique<service::UserServiceImpl>(*store_, auth_, notifier_, clock);
  service::RoomServiceOptions room_options;
  room_options.allow_cleartext_rooms = allow_cleartext_;
  room_options.on_room_deleted = [this](const std::string& room_id) {
    // The room is gone, so its blobs are unreachable already; this only frees the space.
    if (absl::Status s = blobs_store_->DeleteRoom(room_id); !s.ok()) {
      std::cerr << "unibusd: blob store: cannot remove a deleted room's blobs: " << s.message()
                << "\n";
    } else {
      blob_quota_.RoomRemoved(room_id);
    }
  };
  rooms_ = std::make_unique<service::RoomServiceImpl>(*store_, auth_, notifier_, clock,
                                                      std::move(room_options));
  broker_ = std::make_unique<service::BrokerServiceImpl>(*store_, auth_, notifier_);
  service::BlobServiceOptions blob_options;
  blob_options.max_blob_bytes = options.max_blob_bytes;
  // What one upload can hold in memory at once: its stream's receive window, plus the chunk
  // being parsed and its parsed copy (each at most one message).
  blob_options.upload_reservation_bytes =
      kStreamWindowBytes + 2 * static_cast<uint64_t>(options.max_message_bytes);
  blobs_ = std::make_unique<service::BlobServiceImpl>(*store_, auth_, *blobs_store_, blob_quota_,
                                                      upload_budget_, upload_guard_, download_guard_,
                                                      blob_options);
  posture_ = std::make_unique<PostureMonitor>([this] { return ProbePosture(); },
                                              options.posture_interval, clock);
  // A store failure any call sees shows in the posture at once, not at the next probe.
  auth_.OnStoreUnavailable([this] { posture_->StoreFailed(); });
  health_ = std::make_unique<HealthServiceImpl>(
      *posture_, [this](const grpc::CallbackServerContext& context) {
        return auth_.Throttle(context);
      },
      options.max_health_watches);
}

ControlServer::~ControlServer() {
  Shutdown(absl::ZeroDuration());
  server_.reset();   // every call done before the services go
  posture_->Stop();  // no more probes of the store or calls into the health service
  health_.reset();
}

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(const ServerOptions& options,
                                                                    store::StorePtr store,
                                                                    blob::BlobStorePtr blobs,
                                                                    const common::Clock& clock) {
  if (options.tls_cert_pem.empty() || options.tls_key_pem.empty()) {
    return absl::InvalidArgumentError("a TLS certificate and key are required");
  }
  if (absl::Status s = ValidateListen(options.listen); !s.ok()) return s;
  if (blobs == nullptr) return absl::InvalidArgumentError("a blob store is required");
  if (options.max_blob_bytes == 0 || options.blob_upload_budget_bytes == 0 ||
      options.blob_uploads_per_identity < 1 || options.blob_downloads_per_identity < 1 ||
      options.blob_transfer_idle_timeout <= absl::ZeroDuration() || options.max_threads < 16 ||
      options.blob_quota_per_room == 0 || options.blob_quota_per_identity == 0 ||
      options.max_health_watches < 1 || options.posture_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "the blob size limit, upload budget, quotas, transfers per identity, idle timeout, "
        "health watchers and posture interval must be positive, and max_threads at least 16");
  }
  if (options.rate_limit_per_second <= 0 || options.rate_limit_burst < 1) {
    return absl::InvalidArgumentError("rate limits must be positive");
  }
  std::unique_ptr<ControlServer> self(new ControlServer(options, std::move(store), std::move(blobs), clock));
  // Counted now so that the first upload does not wait for it; if the store cannot be read yet,
  // the first upload counts (and is refused UNAVAILABLE until it can).
  if (absl::Status s = self->blob_quota_.Recount(); !s.ok()) {
    std::cerr << "unibusd: blob quota: cannot count stored blobs yet: " << s.message() << "\n";
  }
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::SslServerCredentialsOptions tls(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
  tls.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::SslServerCredentials(tls), &self->port_);
  ApplyTransportLimits(builder, options.max_message_bytes, kStreamWindowBytes);
  grpc::ResourceQuota quota("unibusd");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  builder.RegisterService(self->users_.get());
  builder.RegisterService(self->rooms_.get());
  builder.RegisterService(self->broker_.get());
  builder.RegisterService(self->blobs_.get());
  builder.RegisterService(self->health_.get());
  self->server_ = builder.BuildAndStart();
  if (!self->server_ || self->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  return self;
}

Posture ControlServer::ProbePosture() const {
  Posture p;
  p.loopback_only = IsLoopbackListen(options_.listen);
  p.cleartext_rooms_allowed = allow_cleartext_;
  // Both the change feed and a record read must answer (in a cluster they may have different
  // JetStream leaders); "no such user" is an answer.
  absl::StatusOr<v1::User> probe = store_->GetUser(std::string(64, '0'));
  p.store_ok = store_->LatestPosition().ok() && (probe.ok() || absl::IsNotFound(probe.status()));
  p.store_backend = options_.store_backend;
  p.blob_backend = options_.blob_backend;
  p.cluster = options_.cluster;
  p.nats_link_secure = options_.nats_link_secure;
  p.node_name = options_.node_name;
  return p;
}

void ControlServer::Wait() {
  if (server_) server_->Wait();
}

void ControlServer::Shutdown(absl::Duration grace) {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
}

}  // namespace unibus::control::server
