#include "broker_auth/config/nats_config.h"

#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "broker_auth/config/config_blocks.h"
#include "common/crypto/nkeys.h"
#include "common/nats/subjects.h"

namespace unibus::broker_auth::config {
namespace {

using common::nkeys::KeyType;

absl::Status NeedKey(absl::string_view what, const std::string& key, KeyType type) {
  if (!common::nkeys::DecodePublic(type, key).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is missing or not the right nkey"));
  }
  return absl::OkStatus();
}

absl::Status Rule(bool ok, absl::string_view rule) {
  if (ok) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("nats-server config: ", rule));
}

bool ValidPort(int port) { return port > 0 && port < 65536; }

// "host:port" with a plain host name or IPv4 address (no user info, no scheme).
bool ValidHostPort(absl::string_view route) {
  static const std::regex kHostPort(R"(^[A-Za-z0-9.-]+:[0-9]{1,5}$)");
  if (!std::regex_match(std::string(route), kHostPort)) return false;
  int port = 0;
  return absl::SimpleAtoi(route.substr(route.rfind(':') + 1), &port) && ValidPort(port);
}

// The secret goes into route URLs as the password: URL-safe characters only.
bool ValidSecret(absl::string_view secret) {
  static const std::regex kSecret(R"(^[A-Za-z0-9._~-]{16,}$)");
  return std::regex_match(std::string(secret), kSecret);
}

absl::Status ValidateCluster(const ClusterParams& c) {
  if (c.name.empty() || !std::regex_match(c.name, std::regex(R"(^[A-Za-z0-9_-]+$)"))) {
    return absl::InvalidArgumentError("the cluster name must be letters, digits, '-' or '_'");
  }
  if (!ValidPort(c.port)) return absl::InvalidArgumentError("the cluster port is not a port");
  if (c.routes.empty()) return absl::InvalidArgumentError("a cluster needs routes");
  for (const std::string& route : c.routes) {
    if (!ValidHostPort(route)) {
      return absl::InvalidArgumentError(absl::StrCat("route '", route, "' is not host:port"));
    }
  }
  if (c.cert_file.empty() || c.key_file.empty() || c.ca_file.empty()) {
    return absl::InvalidArgumentError("route TLS needs a certificate, a key and a CA");
  }
  if (!ValidSecret(c.route_secret)) {
    return absl::InvalidArgumentError(
        "the route secret must be at least 16 characters of A-Z a-z 0-9 . _ ~ -");
  }
  return absl::OkStatus();
}

void RenderCluster(const ClusterParams& c, std::string* out) {
  absl::StrAppend(out, "cluster {\n  name: \"", c.name, "\"\n");
  absl::StrAppend(out, "  listen: \"", c.host, ":", c.port, "\"\n");
  // Never gossip this node's client or route addresses: clients and routes use explicit lists.
  absl::StrAppend(out, "  no_advertise: true\n");
  absl::StrAppend(out, "  authorization {\n    user: \"", c.route_user, "\"\n    password: \"",
                  c.route_secret, "\"\n    timeout: 2\n  }\n");
  absl::StrAppend(out, "  tls {\n    cert_file: \"", c.cert_file, "\"\n    key_file: \"",
                  c.key_file, "\"\n    ca_file: \"", c.ca_file,
                  "\"\n    verify: true\n    timeout: 2\n  }\n");
  absl::StrAppend(out, "  routes: [\n");
  for (const std::string& route : c.routes) {
    absl::StrAppend(out, "    \"nats-route://", c.route_user, ":", c.route_secret, "@", route,
                    "\"\n");
  }
  absl::StrAppend(out, "  ]\n}\n");
}

void RenderAccounts(const NatsConfigParams& p, std::string* out) {
  namespace nats = common::nats;
  absl::StrAppend(out, "accounts {\n");
  absl::StrAppend(out, "  ", nats::kAuthAccount, " {\n    users: [ { nkey: \"", p.authd_user,
                  "\" } ]\n  }\n");
  absl::StrAppend(out, "  ", nats::kPeerAccount,
                  " {\n    jetstream: { max_streams: 1, max_consumers: ", p.peer_max_consumers,
                  " }\n");
  absl::StrAppend(out, "    users: [ { nkey: \"", p.stream_user, "\", permissions: {\n");
  absl::StrAppend(out, "      publish: { allow: [");
  for (absl::string_view verb : {"INFO", "CREATE", "UPDATE"}) {
    absl::StrAppend(out, " \"$JS.API.STREAM.", verb, ".", nats::kRoomStream, "\"",
                    verb == "UPDATE" ? " " : ",");
  }
  absl::StrAppend(out, "] }\n      subscribe: { allow: [ \"", nats::kStreamUserInbox,
                  ".>\" ] }\n    } },\n");
  // The feeds user: consumers of the room stream on members' behalf, answers to their requests
  // through allow_responses only (it may publish nowhere else).
  absl::StrAppend(out, "      { nkey: \"", p.feeds_user, "\", permissions: {\n");
  absl::StrAppend(out, "      publish: { allow: [ \"$JS.API.CONSUMER.CREATE.", nats::kRoomStream,
                  ".>\", \"$JS.API.CONSUMER.DELETE.", nats::kRoomStream,
                  ".>\", \"$JS.API.CONSUMER.NAMES.", nats::kRoomStream, "\" ] }\n");
  absl::StrAppend(out, "      subscribe: { allow: [ \"", nats::kFeedRequestPrefix, ".*.*\", \"",
                  nats::kFeedsUserInbox, ".>\" ] }\n");
  absl::StrAppend(out, "      allow_responses: true\n    } } ]\n  }\n");
  absl::StrAppend(out, "  ", nats::kControlAccount, " {\n    jetstream: enabled\n");
  absl::StrAppend(out, "    users: [ { nkey: \"", p.control_user, "\" } ]\n  }\n");
  // unibus-authd's system user: connection queries and kicks only (never the whole system
  // account's events and requests).
  absl::StrAppend(out, "  ", nats::kSystemAccount, " {\n    users: [ { nkey: \"", p.system_user,
                  "\", permissions: {\n");
  absl::StrAppend(out, "      publish: { allow: [ \"$SYS.REQ.SERVER.PING.CONNZ\", "
                       "\"$SYS.REQ.SERVER.*.CONNZ\", \"$SYS.REQ.SERVER.*.KICK\" ] }\n");
  absl::StrAppend(out, "      subscribe: { allow: [ \"", nats::kKickUserInbox, ".>\" ] }\n");
  absl::StrAppend(out, "    } } ]\n  }\n}\n");
}

bool IsLoopback(absl::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

absl::Status CheckClusterBlock(absl::string_view text) {
  std::optional<std::string> cluster = TopLevelBlock(text, "cluster");
  if (!cluster) return absl::OkStatus();
  std::optional<std::string> tls = OwnBlock(*cluster, "tls");
  std::optional<std::string> auth = OwnBlock(*cluster, "authorization");
  bool mutual_tls = tls && OwnValue(*tls, "verify") == "true" &&
                    !OwnValue(*tls, "cert_file").empty() && !OwnValue(*tls, "key_file").empty() &&
                    !OwnValue(*tls, "ca_file").empty();
  bool secret = auth && !OwnValue(*auth, "user").empty() && !OwnValue(*auth, "password").empty();
  return Rule(mutual_tls && secret, "cluster routes need mutual TLS and a route secret");
}

}  // namespace

absl::Status SetCluster(NatsConfigParams* params, const ClusterParams& c) {
  std::vector<std::string> given, missing;
  auto note = [&](bool set, const char* what) { (set ? given : missing).push_back(what); };
  note(c.port != 0, "cluster port");
  note(!c.routes.empty(), "routes");
  note(!c.cert_file.empty(), "route certificate");
  note(!c.key_file.empty(), "route key");
  note(!c.ca_file.empty(), "route CA");
  note(!c.route_secret.empty(), "route secret");
  params->clustered = !given.empty();
  params->cluster = c;
  if (given.empty()) return absl::OkStatus();
  if (!missing.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a cluster needs all of its settings (there is no insecure cluster mode); ",
                     absl::StrJoin(given, ", "), " given, missing: ", absl::StrJoin(missing, ", ")));
  }
  return ValidateCluster(c);
}

absl::Status ValidateParams(const NatsConfigParams& p) {
  if (absl::Status s = NeedKey("authd user", p.authd_user, KeyType::kUser); !s.ok()) return s;
  if (absl::Status s = NeedKey("system user", p.system_user, KeyType::kUser); !s.ok()) return s;
  if (absl::Status s = NeedKey("stream user", p.stream_user, KeyType::kUser); !s.ok()) return s;
  if (absl::Status s = NeedKey("feeds user", p.feeds_user, KeyType::kUser); !s.ok()) return s;
  if (absl::Status s = NeedKey("control user", p.control_user, KeyType::kUser); !s.ok()) return s;
  if (p.peer_max_consumers < 1) return absl::InvalidArgumentError("max consumers must be >= 1");
  if (absl::Status s = NeedKey("issuer", p.issuer_account, KeyType::kAccount); !s.ok()) return s;
  if (!p.xkey.empty()) {
    if (absl::Status s = NeedKey("xkey", p.xkey, KeyType::kCurve); !s.ok()) return s;
  }
  if (p.jetstream_dir.empty()) return absl::InvalidArgumentError("a JetStream directory is needed");
  // The callout request's exp is in whole seconds, rounded down, and authd answers only up to
  // 250 ms before it: with 1 s the window to answer can be nearly nothing.
  if (p.timeout_seconds < 2) return absl::InvalidArgumentError("timeout must be at least 2 s");
  // unibus-authd kicks again 2.5 s after a change, for callouts answered from the old grants
  // whose connections registered late: a longer timeout would let one escape.
  if (p.timeout_seconds > 2) return absl::InvalidArgumentError("timeout must be at most 2 s");
  if (p.jetstream_max_memory < 0 || p.jetstream_max_file < 0) {
    return absl::InvalidArgumentError("JetStream limits cannot be negative");
  }
  if (p.tls_cert_file.empty() != p.tls_key_file.empty()) {
    return absl::InvalidArgumentError("client TLS needs both a certificate and a key");
  }
  if (!IsLoopback(p.host) && p.tls_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "a client listener beyond loopback needs TLS (--tls_cert and --tls_key)");
  }
  if (p.clustered) return ValidateCluster(p.cluster);
  return absl::OkStatus();
}

std::string RenderNatsConfig(const NatsConfigParams& p) {
  namespace nats = common::nats;
  std::string out = "# Generated by `unibus-authd nats-config`. Regenerate, do not edit.\n";
  absl::StrAppend(&out, "server_name: \"", p.server_name, "\"\n");
  absl::StrAppend(&out, "host: \"", p.host, "\"\nport: ", p.port, "\n");
  if (p.monitor_port > 0) absl::StrAppend(&out, "http: \"127.0.0.1:", p.monitor_port, "\"\n");
  if (!p.ports_file_dir.empty()) {
    absl::StrAppend(&out, "ports_file_dir: \"", p.ports_file_dir, "\"\n");
  }
  if (!p.tls_cert_file.empty()) {
    absl::StrAppend(&out, "tls {\n  cert_file: \"", p.tls_cert_file, "\"\n  key_file: \"",
                    p.tls_key_file, "\"\n  timeout: 2\n}\n");
  }
  absl::StrAppend(&out, "jetstream {\n  store_dir: \"", p.jetstream_dir, "\"\n");
  if (p.jetstream_max_memory > 0) {
    absl::StrAppend(&out, "  max_memory_store: ", p.jetstream_max_memory, "\n");
  }
  if (p.jetstream_max_file > 0) {
    absl::StrAppend(&out, "  max_file_store: ", p.jetstream_max_file, "\n");
  }
  absl::StrAppend(&out, "}\n");
  RenderAccounts(p, &out);
  absl::StrAppend(&out, "system_account: ", nats::kSystemAccount, "\n");
  absl::StrAppend(&out, "authorization {\n  timeout: ", p.timeout_seconds, "\n");
  absl::StrAppend(&out, "  auth_callout {\n    issuer: \"", p.issuer_account, "\"\n");
  absl::StrAppend(&out, "    account: ", nats::kAuthAccount, "\n");
  absl::StrAppend(&out, "    auth_users: [ \"", p.authd_user, "\", \"", p.system_user, "\", \"",
                  p.stream_user, "\", \"", p.feeds_user, "\", \"", p.control_user, "\" ]\n");
  if (!p.xkey.empty()) absl::StrAppend(&out, "    xkey: \"", p.xkey, "\"\n");
  absl::StrAppend(&out, "  }\n}\n");
  if (p.clustered) RenderCluster(p.cluster, &out);
  return out;
}

absl::Status CheckNatsConfig(absl::string_view text) {
  if (absl::Status s = CheckUnambiguous(text); !s.ok()) return s;
  // Keys are case-insensitive in nats-server: check the lowercased text.
  std::string t = absl::AsciiStrToLower(text);
  if (absl::Status s = Rule(!absl::StrContains(t, "no_auth_user"),
                            "no_auth_user must not be set (it bypasses the auth callout)");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Rule(absl::StrContains(t, "auth_callout"), "auth_callout is missing");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Rule(std::regex_search(t, std::regex(R"(nkey\s*[:=])")),
                            "an nkey user is required, or the server sends no nonce");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Rule(std::regex_search(t, std::regex(R"(system_account\s*[:=])")),
                            "a system account is required");
      !s.ok()) {
    return s;
  }
  // The callout's timeout: the top-level authorization block's own `timeout` (the cluster's
  // authorization and TLS blocks have timeouts of their own).
  std::optional<std::string> authorization = TopLevelBlock(t, "authorization");
  std::optional<ConfEntry> timeout =
      authorization ? OwnScalar(*authorization, "timeout") : std::nullopt;
  double seconds = 0;
  if (absl::Status s = Rule(timeout && !timeout->quoted && absl::SimpleAtod(timeout->value, &seconds) &&
                                seconds > 0 && seconds <= 2,
                            "authorization timeout must be a plain number of seconds, at most 2");
      !s.ok()) {
    return s;
  }
  std::smatch m;
  bool public_monitor = std::regex_search(t, std::regex(R"((^|\n)\s*(http_port|https_port)\s*[:=])")) ||
                        (std::regex_search(t, m, std::regex(R"((^|\n)\s*https?\s*[:=]\s*"?([^\s"]+))")) &&
                         !absl::StartsWith(m[2].str(), "127.0.0.1:") &&
                         !absl::StartsWith(m[2].str(), "localhost:"));
  if (absl::Status s = Rule(!public_monitor, "the monitoring endpoint must be bound to 127.0.0.1");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Rule(!std::regex_search(t, std::regex(R"((^|\n)\s*(debug|trace|trace_verbose)\s*[:=]\s*true)")),
                            "debug and trace logging must be off (they log connection details)");
      !s.ok()) {
    return s;
  }
  return CheckClusterBlock(t);
}

}  // namespace unibus::broker_auth::config
