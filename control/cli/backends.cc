#include "control/cli/backends.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/nats/service_connection.h"
#include "control/blob/object_blob_store.h"
#include "control/store/kv/kv_store.h"

namespace unibus::control::cli {

absl::Status ValidateClusterFlags(const ClusterFlags& flags) {
  if (flags.nats_urls.empty()) return absl::InvalidArgumentError("--nats is required");
  if (flags.nats_identity.empty()) {
    return absl::InvalidArgumentError("--nats_identity is required (unibus-authd's control.id)");
  }
  if (flags.replicas < 1 || flags.replicas > 5) {
    return absl::InvalidArgumentError("--replicas must be 1 to 5");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ClusterBackends>> ClusterBackends::Open(const ClusterFlags& flags,
                                                                       const common::Clock& clock) {
  if (absl::Status s = ValidateClusterFlags(flags); !s.ok()) return s;
  std::unique_ptr<ClusterBackends> self(new ClusterBackends());
  absl::StatusOr<common::Identity> identity = common::Identity::Load(flags.nats_identity);
  if (!identity.ok()) {
    return absl::Status(identity.status().code(),
                        absl::StrCat("--nats_identity: ", identity.status().message()));
  }
  self->identity_ = std::make_unique<common::Identity>(*std::move(identity));
  nats_Open(-1);
  common::nats::ServiceConnectionOptions options;
  options.urls = flags.nats_urls;
  options.name = "unibusd";
  options.ca_file = flags.nats_ca;
  absl::StatusOr<common::nats::NatsConnectionPtr> connection =
      common::nats::ConnectService(options, *self->identity_);
  if (!connection.ok()) return connection.status();
  self->connection_ = *std::move(connection);
  self->link_secure_ = !flags.nats_ca.empty() || common::nats::AllLoopback(flags.nats_urls);

  const absl::Time deadline = absl::Now() + flags.wait;
  absl::Time next_note = absl::Now() + absl::Seconds(5);
  absl::Status last;
  while (true) {
    store::KvStoreOptions kv;
    kv.connection = self->connection_.get();
    kv.bucket = flags.kv_bucket;
    kv.replicas = flags.replicas;
    absl::StatusOr<std::unique_ptr<store::KvStore>> opened = store::KvStore::Open(kv, clock);
    if (opened.ok()) {
      self->kv_ = opened->get();
      self->store_ = *std::move(opened);
      blob::ObjectBlobStoreOptions blobs;
      blobs.connection = self->connection_.get();
      blobs.bucket = flags.blob_bucket;
      blobs.replicas = flags.replicas;
      absl::StatusOr<std::unique_ptr<blob::ObjectBlobStore>> object =
          blob::ObjectBlobStore::Open(blobs, clock);
      if (object.ok()) {
        self->blobs_ = *std::move(object);
        return self;
      }
      last = object.status();
      self->kv_ = nullptr;
      self->store_.reset();
    } else {
      last = opened.status();
    }
    // Anything but "not there yet" is final (a bad bucket config, wrong replicas, no permission).
    if (last.code() != absl::StatusCode::kUnavailable &&
        last.code() != absl::StatusCode::kDeadlineExceeded) {
      return last;
    }
    if (absl::Now() > deadline) {
      return absl::UnavailableError(
          absl::StrCat("JetStream did not answer within ", absl::FormatDuration(flags.wait),
                       " (", last.message(), ")"));
    }
    if (absl::Now() > next_note) {
      std::cerr << "unibusd: waiting for NATS and a JetStream quorum on " << flags.nats_urls
                << " (" << last.message() << ")\n";
      next_note = absl::Now() + absl::Seconds(5);
    }
    absl::SleepFor(absl::Milliseconds(250));
  }
}

ClusterBackends::~ClusterBackends() {
  // The stores borrow the connection.
  blobs_.reset();
  store_.reset();
  connection_.reset();
}

store::StorePtr ClusterBackends::TakeStore() { return std::move(store_); }
blob::BlobStorePtr ClusterBackends::TakeBlobs() { return std::move(blobs_); }

void ClusterBackends::OnChanges(std::function<void()> fn) { kv_->SetChangeListener(std::move(fn)); }

}  // namespace unibus::control::cli
