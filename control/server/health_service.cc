#include "control/server/health_service.h"

#include <utility>

#include "common/status/grpc_status.h"

namespace unibus::control::server {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

namespace {

// A Watch refused before it starts: ends at once with `status`.
class RefusedWatch final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  explicit RefusedWatch(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

// One open Watch stream. Writes happen one at a time: a change that arrives while a write is in
// flight is sent when it completes (only the newest status: a watcher wants the present).
class HealthServiceImpl::Watcher final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  Watcher(HealthServiceImpl& service, std::string name)
      : service_(service), name_(std::move(name)) {}

  // Writes the status if it changed since the last write (or nothing was written yet).
  void Update() {
    absl::MutexLock lock(&mu_);
    if (writing_) {
      again_ = true;
      return;
    }
    WriteIfChangedLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok || finishing_) {  // the client is gone, or the call was cancelled meanwhile
      FinishLocked(grpc::Status::CANCELLED);
      return;
    }
    if (again_) {
      again_ = false;
      WriteIfChangedLocked();
    }
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    finishing_ = true;
    if (!writing_) FinishLocked(grpc::Status::CANCELLED);  // else when the write completes
  }

  void OnDone() override {
    service_.Forget(this);
    delete this;
  }

 private:
  void WriteIfChangedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || finishing_) return;
    HealthCheckResponse::ServingStatus now = service_.StatusOf(name_);
    if (written_ && now == response_.status()) return;
    written_ = true;
    response_.set_status(now);
    writing_ = true;
    StartWrite(&response_);
  }

  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(std::move(status));
  }

  HealthServiceImpl& service_;
  const std::string name_;
  absl::Mutex mu_;
  HealthCheckResponse response_ ABSL_GUARDED_BY(mu_);
  bool written_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool again_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

HealthServiceImpl::HealthServiceImpl(PostureMonitor& posture, Admit admit, int max_watches)
    : posture_(posture), admit_(std::move(admit)), max_watches_(max_watches) {
  posture_.SetOnChange([this] { PostureChanged(); });
}

HealthServiceImpl::~HealthServiceImpl() { posture_.SetOnChange(nullptr); }

HealthCheckResponse::ServingStatus HealthServiceImpl::StatusOf(const std::string& service) const {
  std::map<std::string, bool> statuses = posture_.Current().Statuses();
  auto it = statuses.find(service);
  if (it == statuses.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  return it->second ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

grpc::ServerUnaryReactor* HealthServiceImpl::Check(grpc::CallbackServerContext* context,
                                                   const HealthCheckRequest* request,
                                                   HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status admitted = admit_(*context); !admitted.ok()) {
    reactor->Finish(common::ToGrpcStatus(admitted));
    return reactor;
  }
  HealthCheckResponse::ServingStatus status = StatusOf(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service name"));
    return reactor;
  }
  response->set_status(status);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthServiceImpl::Watch(
    grpc::CallbackServerContext* context, const HealthCheckRequest* request) {
  if (absl::Status admitted = admit_(*context); !admitted.ok()) {
    return new RefusedWatch(common::ToGrpcStatus(admitted));
  }
  Watcher* watcher;
  {
    absl::MutexLock lock(&mu_);
    if (static_cast<int>(watchers_.size()) >= max_watches_) {
      return new RefusedWatch(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                           "this server has as many health watchers as it "
                                           "serves; use Check, or retry later"));
    }
    watcher = new Watcher(*this, request->service());
    watchers_.insert(watcher);
  }
  watcher->Update();  // the first status, at once
  return watcher;
}

void HealthServiceImpl::PostureChanged() {
  absl::MutexLock lock(&mu_);  // held: a watcher is deleted only after Forget
  for (Watcher* watcher : watchers_) watcher->Update();
}

void HealthServiceImpl::Forget(Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

int HealthServiceImpl::watches() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(watchers_.size());
}

}  // namespace unibus::control::server
