#include "broker_auth/service/request_listener.h"

#include <iostream>
#include <string>

namespace unibus::broker_auth::service {

absl::Status RequestListener::Start() {
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_QueueSubscribe(&sub, nc_, options_.subject.c_str(),
                                               options_.queue_group.c_str(),
                                               &RequestListener::OnMessage, this);
  if (s != NATS_OK) return common::nats::FromNatsStatus(s, "subscribe to " + options_.subject);
  sub_.reset(sub);
  natsSubscription_SetPendingLimits(sub, -1, -1);
  natsSubscription_SetOnCompleteCB(sub, &RequestListener::OnComplete, this);
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { Work(); });
  return common::nats::FromNatsStatus(natsConnection_Flush(nc_), "flush subscription");
}

void RequestListener::Stop() {
  if (sub_ != nullptr) {
    natsSubscription_Unsubscribe(sub_.get());
    // A message callback may still be running on nats.c's thread: wait until delivery is over
    // before this object can go away (bounded, in case the connection is already closed).
    delivery_done_.WaitForNotificationWithTimeout(absl::Seconds(5));
    sub_.reset();
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void RequestListener::OnMessage(natsConnection*, natsSubscription*, natsMsg* msg,
                                void* closure) noexcept {
  common::nats::NatsMsgPtr owned(msg);
  auto* self = static_cast<RequestListener*>(closure);
  if (self->admit_ && !self->admit_(self->nc_, msg)) return;
  self->Enqueue(std::move(owned));
}

void RequestListener::OnComplete(void* closure) noexcept {
  static_cast<RequestListener*>(closure)->delivery_done_.Notify();
}

void RequestListener::Enqueue(common::nats::NatsMsgPtr msg) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= options_.max_queue) {
    std::cerr << "unibus-authd: " << options_.subject << " queue full; dropping a request\n";
    return;
  }
  queue_.push_back(std::move(msg));
}

void RequestListener::Work() {
  while (true) {
    common::nats::NatsMsgPtr msg;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping
      msg = std::move(queue_.front());
      queue_.pop_front();
    }
    handler_(nc_, msg.get());
  }
}

}  // namespace unibus::broker_auth::service
