#include "control/server/posture.h"

#include "absl/strings/str_cat.h"

namespace unibus::control::server {

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

}  // namespace unibus::control::server
