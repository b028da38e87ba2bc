#include <fstream>
#include <iostream>

#include "broker_auth/callout/jwt.h"
#include "broker_auth/cli/commands.h"
#include "broker_auth/cli/keys.h"
#include "common/files/files.h"

namespace unibus::broker_auth::cli {

using common::nkeys::KeyType;

int Init(const std::string& state_dir) {
  if (state_dir.empty()) {
    std::cerr << "unibus-authd init: --state_dir is required\n";
    return 2;
  }
  absl::Status s = InitKeys(state_dir);
  absl::StatusOr<AuthdKeys> keys = s.ok() ? LoadKeys(state_dir) : absl::StatusOr<AuthdKeys>(s);
  if (!keys.ok()) {
    std::cerr << "unibus-authd init: " << keys.status().message() << "\n";
    return 1;
  }
  std::cout << "service_sign_pub " << keys->service.sign_pub_hex() << "\n"
            << "service_kex_pub " << keys->service.kex_pub_hex() << "\n"
            << "service_nkey " << keys->service.nkey_public() << "\n"
            << "system_nkey " << keys->system.nkey_public() << "\n"
            << "issuer " << callout::NkeyOf(keys->issuer, KeyType::kAccount) << "\n"
            << "xkey " << keys->xkey.PublicText() << "\n"
            << "control_nkey " << keys->control_public << "\n";
  return 0;
}

int NatsConfig(const std::string& state_dir, const NatsConfigFlags& flags) {
  config::NatsConfigParams params = flags.params;
  config::ClusterParams cluster = flags.cluster;
  if (!flags.route_secret_file.empty()) {
    absl::StatusOr<std::string> secret = ReadSecretLine(flags.route_secret_file);
    if (!secret.ok()) {
      std::cerr << "unibus-authd nats-config: route secret: " << secret.status().message() << "\n";
      return 1;
    }
    cluster.route_secret = *secret;
  }
  if (absl::Status s = config::SetCluster(&params, cluster); !s.ok()) {
    std::cerr << "unibus-authd nats-config: " << s.message() << "\n";
    return 2;
  }
  absl::StatusOr<AuthdKeys> keys = LoadKeys(state_dir);
  if (!keys.ok()) {
    std::cerr << "unibus-authd nats-config: " << keys.status().message()
              << " (run `unibus-authd init` first)\n";
    return 1;
  }
  params.authd_user = keys->service.nkey_public();
  params.system_user = keys->system.nkey_public();
  params.stream_user = keys->stream.nkey_public();
  params.feeds_user = keys->feeds.nkey_public();
  params.issuer_account = callout::NkeyOf(keys->issuer, KeyType::kAccount);
  params.xkey = keys->xkey.PublicText();
  if (keys->control_public.empty()) {
    std::cerr << "unibus-authd nats-config: " << state_dir
              << "/control.pub is missing (run `unibus-authd init` again: it adds only what is "
                 "missing)\n";
    return 1;
  }
  params.control_user = keys->control_public;
  if (absl::Status s = config::ValidateParams(params); !s.ok()) {
    std::cerr << "unibus-authd nats-config: " << s.message() << "\n";
    return 2;
  }
  std::string text = config::RenderNatsConfig(params);
  const std::string& out_file = flags.out_file;
  if (out_file.empty()) {
    std::cout << text;
    return 0;
  }
  // A cluster config holds the route secret: only nats-server's user may read it.
  if (absl::Status s = common::WriteFile(out_file, text, params.clustered ? 0600 : 0644); !s.ok()) {
    std::cerr << "unibus-authd nats-config: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace unibus::broker_auth::cli
