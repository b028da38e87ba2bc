#include "common/nats/service_connection.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/nats/nkey_signer.h"

namespace unibus::common::nats {

absl::StatusOr<NatsConnectionPtr> ConnectService(const ServiceConnectionOptions& options,
                                                 const Identity& identity) {
  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) return absl::InternalError("nats options");
  NatsOptionsPtr opts(raw);
  std::string nkey = identity.nkey_public();
  // natsOptions_SetURL does not take a list: give each server, in order (the first is this node's
  // own, so no randomizing).
  std::vector<std::string> urls = absl::StrSplit(options.urls, ',', absl::SkipWhitespace());
  std::vector<const char*> servers;
  for (const std::string& url : urls) servers.push_back(url.c_str());
  if (servers.empty()) return absl::InvalidArgumentError("no NATS URL given");
  natsStatus s = natsOptions_SetServers(raw, servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(raw, true);
  if (s == NATS_OK) s = SetNKeySigner(raw, nkey, identity);
  if (s == NATS_OK) s = natsOptions_SetName(raw, options.name.c_str());
  if (s == NATS_OK && !options.inbox_prefix.empty()) {
    s = natsOptions_SetCustomInboxPrefix(raw, options.inbox_prefix.c_str());
  }
  if (s == NATS_OK && !options.ca_file.empty()) {
    s = natsOptions_SetSecure(raw, true);
    if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(raw, options.ca_file.c_str());
  }
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(raw, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(raw, options.reconnect_wait_ms);
  if (s == NATS_OK && options.retry_on_failed_connect) {
    s = natsOptions_SetRetryOnFailedConnect(raw, true, nullptr, nullptr);
  }
  if (s != NATS_OK) return FromNatsStatus(s, "nats options");
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, raw);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
    return FromNatsStatus(s, absl::StrCat("connect ", options.name));
  }
  return NatsConnectionPtr(nc);
}

bool AllLoopback(const std::string& urls) {
  std::vector<std::string> list = absl::StrSplit(urls, ',', absl::SkipWhitespace());
  if (list.empty()) return false;
  for (std::string url : list) {
    if (size_t scheme = url.find("://"); scheme != std::string::npos) url = url.substr(scheme + 3);
    if (size_t at = url.rfind('@'); at != std::string::npos) url = url.substr(at + 1);
    if (!absl::StartsWith(url, "127.") && !absl::StartsWith(url, "localhost:") &&
        url != "localhost" && !absl::StartsWith(url, "[::1]")) {
      return false;
    }
  }
  return true;
}

}  // namespace unibus::common::nats
