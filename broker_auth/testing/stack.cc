#include "broker_auth/testing/stack.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "common/nats/nkey_signer.h"
#include "common/nats/subjects.h"

namespace unibus::broker_auth::testing {
namespace {

using common::testing::ReadFileOrEmpty;
using common::testing::RunToCompletion;

}  // namespace

absl::StatusOr<std::unique_ptr<Stack>> Stack::Start(const std::string& dir,
                                                    std::vector<std::string> authd_flags) {
  nats_Open(-1);
  std::unique_ptr<Stack> stack(new Stack(dir));
  stack->authd_flags_ = std::move(authd_flags);
  mkdir((dir + "/control").c_str(), 0700);
  absl::StatusOr<std::unique_ptr<control::testing::UnibusdProcess>> control =
      control::testing::UnibusdProcess::Start(dir + "/control");
  if (!control.ok()) return control.status();
  stack->control_ = *std::move(control);
  std::string authd = control::testing::Runfile("broker_auth/unibus-authd");
  stack->authd_dir_ = dir + "/authd";
  std::string log = dir + "/setup.log";
  if (RunToCompletion({authd, "init", "--state_dir=" + stack->authd_dir_}, log) != 0 ||
      RunToCompletion({control::testing::Runfile("control/unibusd"), "admin", "add-service",
                       "--db=" + stack->control_->db_path(),
                       "--identity=" + stack->authd_dir_ + "/service.id"},
                      log) != 0) {
    return absl::InternalError("stack setup failed: " + ReadFileOrEmpty(log));
  }
  if (absl::Status s = stack->StartNats(); !s.ok()) return s;
  if (absl::Status s = stack->StartAuthd(); !s.ok()) return s;
  return stack;
}

Stack::~Stack() {
  for (auto& authd : authd_) authd.Stop();
  nats_.Stop();
  control_.reset();
}

absl::Status Stack::StartNats() {
  std::string ports_dir = dir_ + "/nats-ports";
  mkdir(ports_dir.c_str(), 0700);
  mkdir((dir_ + "/js").c_str(), 0700);
  nats_config_ = dir_ + "/nats.conf";
  std::string log = dir_ + "/setup.log";
  if (RunToCompletion({control::testing::Runfile("broker_auth/unibus-authd"), "nats-config",
                       "--state_dir=" + authd_dir_, "--jetstream_dir=" + dir_ + "/js",
                       absl::StrCat("--port=", nats_port_), "--ports_file_dir=" + ports_dir,
                       "--out=" + nats_config_},
                      log) != 0) {
    return absl::InternalError("nats-config failed: " + ReadFileOrEmpty(log));
  }
  nats_.Start({NatsServerPath(), "-c", nats_config_}, dir_ + "/nats.log");
  absl::Status s = nats_.WaitUntil([&] { return ReadNatsPort(ports_dir) > 0; }, absl::Seconds(30));
  if (!s.ok()) return s;
  nats_port_ = ReadNatsPort(ports_dir);
  nats_url_ = absl::StrCat("nats://127.0.0.1:", nats_port_);
  return absl::OkStatus();
}

absl::Status Stack::RestartNats() {
  nats_.Stop();
  common::testing::ForgetNatsPorts(dir_ + "/nats-ports");
  return StartNats();
}

absl::Status Stack::StartAuthd(int index) {
  // Instance 0 keeps the names tests read (authd.log); others are numbered.
  std::string name = index == 0 ? "authd" : absl::StrCat("authd", index);
  std::string ready = absl::StrCat(dir_, "/", name, ".ready");
  unlink(ready.c_str());
  common::testing::ChildProcess& authd = authd_[index];
  std::vector<std::string> args = {
      control::testing::Runfile("broker_auth/unibus-authd"), "serve",
      "--state_dir=" + authd_dir_, "--nats=" + nats_url_, "--control=" + control_->target(),
      "--ca=" + control_->dir() + "/tls/ca.pem", "--nats_config=" + nats_config_,
      "--ready_file=" + ready};
  args.insert(args.end(), authd_flags_.begin(), authd_flags_.end());
  authd.Start(args, absl::StrCat(dir_, "/", name, ".log"));
  return authd.WaitUntil([&] { return ReadFileOrEmpty(ready) == "ready\n"; },
                         absl::Seconds(30));
}

absl::StatusOr<common::nats::NatsConnectionPtr> Stack::ConnectPeer(
    const common::Identity& identity, PeerOptions options) const {
  return testing::ConnectPeer(nats_url_, identity, options);
}

absl::StatusOr<common::nats::NatsConnectionPtr> ConnectPeer(const std::string& nats_urls,
                                                            const common::Identity& identity,
                                                            PeerOptions options) {
  natsOptions* raw = nullptr;
  natsOptions_Create(&raw);
  common::nats::NatsOptionsPtr opts(raw);
  std::string nkey = identity.nkey_public();
  const common::Identity* signer = options.sign_with ? options.sign_with : &identity;
  natsStatus s = natsOptions_SetURL(raw, nats_urls.c_str());
  if (s == NATS_OK) {
    s = common::nats::SetNKeySigner(raw, nkey, *signer);
  }
  if (s == NATS_OK && options.private_inbox) {
    s = natsOptions_SetCustomInboxPrefix(
        raw, common::nats::InboxPrefix(identity.sign_pub_hex()).c_str());
  }
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(raw, options.max_reconnect);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(raw, options.reconnect_wait_ms);
  if (s == NATS_OK) s = natsOptions_SetTimeout(raw, options.timeout_ms);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(raw, options.max_reconnect != 0);
  const PeerCallbacks& cb = options.callbacks;
  if (s == NATS_OK && cb.on_error != nullptr) {
    s = natsOptions_SetErrorHandler(raw, cb.on_error, cb.closure);
  }
  if (s == NATS_OK && cb.on_disconnected != nullptr) {
    s = natsOptions_SetDisconnectedCB(raw, cb.on_disconnected, cb.closure);
  }
  if (s == NATS_OK && cb.on_reconnected != nullptr) {
    s = natsOptions_SetReconnectedCB(raw, cb.on_reconnected, cb.closure);
  }
  if (s == NATS_OK && cb.on_closed != nullptr) {
    s = natsOptions_SetClosedCB(raw, cb.on_closed, cb.closure);
  }
  if (s != NATS_OK) return common::nats::FromNatsStatus(s, "peer options");
  natsConnection* nc = nullptr;
  for (int attempt = 1;; ++attempt) {
    int unsendable = common::nats::ZeroByteSignaturesRefused();
    s = natsConnection_Connect(&nc, raw);
    if (s == NATS_OK || attempt == 5 || common::nats::ZeroByteSignaturesRefused() == unsendable) break;
  }
  if (s != NATS_OK) return common::nats::FromNatsStatus(s, "connect");
  return common::nats::NatsConnectionPtr(nc);
}

}  // namespace unibus::broker_auth::testing
