#include <fstream>
#include <iostream>

#include "broker_auth/callout/jwt.h"
#include "broker_auth/cli/commands.h"
#include "broker_auth/cli/keys.h"

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
            << "xkey " << keys->xkey.PublicText() << "\n";
  return 0;
}

int NatsConfig(const std::string& state_dir, config::NatsConfigParams params,
               const std::string& out_file) {
  absl::StatusOr<AuthdKeys> keys = LoadKeys(state_dir);
  if (!keys.ok()) {
    std::cerr << "unibus-authd nats-config: " << keys.status().message()
              << " (run `unibus-authd init` first)\n";
    return 1;
  }
  params.authd_user = keys->service.nkey_public();
  params.system_user = keys->system.nkey_public();
  params.stream_user = keys->stream.nkey_public();
  params.issuer_account = callout::NkeyOf(keys->issuer, KeyType::kAccount);
  params.xkey = keys->xkey.PublicText();
  if (absl::Status s = config::ValidateParams(params); !s.ok()) {
    std::cerr << "unibus-authd nats-config: " << s.message() << "\n";
    return 2;
  }
  std::string text = config::RenderNatsConfig(params);
  if (out_file.empty()) {
    std::cout << text;
    return 0;
  }
  std::ofstream out(out_file);
  out << text;
  return out.good() ? 0 : 1;
}

}  // namespace unibus::broker_auth::cli
