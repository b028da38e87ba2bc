#include "control/server/health_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace unibus::control::server {

using grpc::health::v1::HealthCheckResponse;

std::map<std::string, bool> Posture::Statuses() const {
  std::map<std::string, bool> statuses = {
      {"", true},
      {"unibus.posture", ok()},
      {"unibus.posture.mtls_required", true},
      {"unibus.posture.cleartext_rooms_denied", !cleartext_rooms_allowed},
      {"unibus.posture.loopback_only", loopback_only},
      {"unibus.posture.store", store_ok},
      {"unibus.posture.cluster", cluster && store_ok},
      {"unibus.posture.nats_link_secure", nats_link_secure},
      {absl::StrCat("unibus.store.", store_backend), store_ok},
  };
  if (!blob_backend.empty()) statuses[absl::StrCat("unibus.blobs.", blob_backend)] = true;
  if (!node_name.empty()) statuses[absl::StrCat("unibus.node.", node_name)] = true;
  return statuses;
}

HealthCheckResponse::ServingStatus HealthServiceImpl::StatusOf(const std::string& service) const {
  std::map<std::string, bool> statuses = posture_().Statuses();
  auto it = statuses.find(service);
  if (it == statuses.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthServiceImpl::Check(grpc::ServerContext*,
                                      const grpc::health::v1::HealthCheckRequest* request,
                                      HealthCheckResponse* response) {
  HealthCheckResponse::ServingStatus status = StatusOf(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service name");
  }
  response->set_status(status);
  return grpc::Status::OK;
}

grpc::Status HealthServiceImpl::Watch(
    grpc::ServerContext* context, const grpc::health::v1::HealthCheckRequest* request,
    grpc::ServerWriter<HealthCheckResponse>* writer) {
  bool first = true;
  HealthCheckResponse::ServingStatus last = HealthCheckResponse::UNKNOWN;
  while (!context->IsCancelled()) {
    HealthCheckResponse::ServingStatus now = StatusOf(request->service());
    if (first || now != last) {
      HealthCheckResponse response;
      response.set_status(now);
      if (!writer->Write(response)) break;
      first = false;
      last = now;
    }
    absl::SleepFor(watch_poll_);
  }
  return grpc::Status::OK;
}

}  // namespace unibus::control::server
