#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker_auth/cli/commands.h"
#include "broker_auth/cli/keys.h"
#include "broker_auth/feeds/feed_service.h"
#include "broker_auth/feeds/feed_sweeper.h"
#include "broker_auth/grants/grants_feed.h"
#include "broker_auth/kick/kicker.h"
#include "broker_auth/service/callout_handler.h"
#include "broker_auth/service/request_listener.h"
#include "common/crypto/cert.h"
#include "common/files/files.h"
#include "common/nats/nats_ptr.h"
#include "common/nats/service_connection.h"
#include "common/nats/subjects.h"
#include "common/process/stop_signals.h"

namespace unibus::broker_auth::cli {
namespace {

using common::nats::NatsConnectionPtr;

// A connection that retries forever, authenticated as the nkey user of `identity` (which must
// outlive it).
absl::StatusOr<NatsConnectionPtr> Connect(const ServeFlags& flags, const common::Identity& identity,
                                          const char* name, absl::string_view inbox = "") {
  common::nats::ServiceConnectionOptions options;
  options.urls = flags.nats_urls;
  options.ca_file = flags.nats_ca_file;
  options.name = name;
  options.inbox_prefix = std::string(inbox);
  return common::nats::ConnectService(options, identity);
}

// With the stream user's own short-lived connection. JetStream may still be starting (or
// recovering) when authd starts: retry for a while.
absl::Status ProvisionRoomStream(const ServeFlags& flags, const common::Identity& user) {
  const stream::RoomStreamLimits& limits = flags.history;
  absl::StatusOr<NatsConnectionPtr> conn =
      Connect(flags, user, "unibus-authd-stream", common::nats::kStreamUserInbox);
  if (!conn.ok()) return conn.status();
  natsConnection* nc = conn->get();
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::Status s;
  do {
    s = stream::EnsureRoomStream(nc, limits);
    if (s.ok() || s.code() != absl::StatusCode::kUnavailable) return s;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < deadline);
  return s;
}

absl::Status CheckConfigFile(const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> text = common::ReadFile(path);
  if (!text.ok()) return text.status();
  return config::CheckNatsConfig(*text);
}

}  // namespace

int Serve(const ServeFlags& flags) {
  if (flags.state_dir.empty() || flags.nats_urls.empty() || flags.control.empty() ||
      flags.ca_file.empty()) {
    std::cerr << "unibus-authd serve: --state_dir, --nats, --control and --ca are required\n";
    return 2;
  }
  if (absl::Status s = CheckConfigFile(flags.nats_config); !s.ok()) {
    std::cerr << "unibus-authd: refusing to serve: " << s.message() << "\n";
    return 1;
  }
  absl::StatusOr<AuthdKeys> keys = LoadKeys(flags.state_dir);
  absl::StatusOr<std::string> ca = common::ReadFile(flags.ca_file);
  absl::StatusOr<common::PemKeyPair> cert =
      keys.ok() ? common::MakeClientCertificate(keys->service) : keys.status();
  if (!keys.ok() || !ca.ok() || !cert.ok()) {
    std::cerr << "unibus-authd: "
              << (!keys.ok() ? keys.status() : !ca.ok() ? ca.status() : cert.status()).message()
              << "\n";
    return 1;
  }
  sigset_t stop_signals = common::BlockStopSignals();
  nats_Open(-1);
  int code = 0;
  {
    absl::StatusOr<NatsConnectionPtr> sys =
        Connect(flags, keys->system, "unibus-authd-kick", common::nats::kKickUserInbox);
    absl::StatusOr<NatsConnectionPtr> auth =
        Connect(flags, keys->service, "unibus-authd");
    absl::StatusOr<NatsConnectionPtr> feeds_nc =
        Connect(flags, keys->feeds, "unibus-authd-feeds", common::nats::kFeedsUserInbox);
    if (!sys.ok() || !auth.ok() || !feeds_nc.ok()) {
      std::cerr << "unibus-authd: "
                << (!sys.ok() ? sys.status() : !auth.ok() ? auth.status() : feeds_nc.status())
                       .message()
                << "\n";
      nats_Close();
      return 1;
    }
    grants::GrantsCache cache;
    kick::KickerOptions kick_options;
    kick_options.inbox = std::string(common::nats::kKickUserInbox);
    kick_options.spared_users = {keys->stream.nkey_public(), keys->feeds.nkey_public()};
    kick::Kicker kicker(sys->get(), kick_options);
    feeds::FeedCounts feed_counts(flags.feeds_per_identity);
    feeds::FeedSweeper sweeper(feeds_nc->get(), cache, feed_counts);
    grants::FeedOptions feed_options;
    feed_options.target = flags.control;
    feed_options.ca_pem = *ca;
    feed_options.client_cert = *cert;
    feed_options.position_file = flags.state_dir + "/feed.position";
    feed_options.on_gap = [&kicker] { kicker.KickEveryone(); };
    grants::GrantsFeed feed(
        feed_options, cache,
        [&kicker, &sweeper](const v1::Change& c) {
          // The feed has refreshed the identity's grants before calling this.
          if (c.kind() == v1::CHANGE_KIND_USER_ADDED) return;
          kicker.KickIdentity(c.sign_pub());
          if (c.kind() != v1::CHANGE_KIND_MEMBER_ADDED) sweeper.Changed(c.sign_pub());
        });
    service::AuthorizerConfig config{&keys->issuer, &keys->xkey, "UNIBUS", flags.user_ttl};
    service::Authorizer authorizer(config, cache, common::RealClock::Get());
    service::RequestListener listener(
        auth->get(),
        {std::string(common::nats::kAuthCalloutSubject), "unibus-authd", flags.workers},
        service::CalloutHandler(authorizer));
    feeds::FeedService feed_service(cache, feed_counts, common::RealClock::Get());
    service::RequestListener feed_listener(
        feeds_nc->get(),
        {common::nats::FeedRequestSubject("*", "*"), std::string(common::nats::kFeedsQueue), 4},
        [&feed_service](natsConnection* nc, natsMsg* msg) { feed_service.Handle(nc, msg); },
        [&feed_service](natsConnection* nc, natsMsg* msg) { return feed_service.Admit(nc, msg); });
    feed.Start();
    absl::Status started = kicker.Start();
    if (started.ok()) started = listener.Start();
    if (started.ok()) started = feed_listener.Start();
    sweeper.Start();
    // After the listener: provisioning waits for nothing that needs a peer to connect, but the
    // callout must answer as soon as possible.
    if (started.ok()) started = ProvisionRoomStream(flags, keys->stream);
    if (absl::Status s = started; !s.ok()) {
      std::cerr << "unibus-authd: " << s.message() << "\n";
      code = 1;
    } else {
      std::cerr << "unibus-authd: answering auth callout requests on " << flags.nats_urls << "\n";
      if (!flags.ready_file.empty()) {
        // Ready once the grants are loaded (until then every connect would be refused).
        absl::Time deadline = absl::Now() + absl::Seconds(30);
        while (!cache.live() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
        std::ofstream(flags.ready_file) << (cache.live() ? "ready\n" : "not-live\n");
      }
      int signal_number = common::WaitForStopSignal(stop_signals);
      std::cerr << "unibus-authd: signal " << signal_number << ", stopping\n";
    }
    listener.Stop();
    feed_listener.Stop();
    feed.Stop();
  }
  nats_Close();
  return code;
}

}  // namespace unibus::broker_auth::cli
