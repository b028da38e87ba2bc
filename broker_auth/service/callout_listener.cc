#include "broker_auth/service/callout_listener.h"

#include <iostream>
#include <string>

#include "common/nats/subjects.h"

namespace unibus::broker_auth::service {

absl::Status CalloutListener::Start() {
  natsSubscription* sub = nullptr;
  std::string subject(common::nats::kAuthCalloutSubject);
  natsStatus s = natsConnection_QueueSubscribe(&sub, nc_, subject.c_str(), "unibus-authd",
                                               &CalloutListener::OnMessage, this);
  if (s != NATS_OK) return common::nats::FromNatsStatus(s, "subscribe to auth callout requests");
  sub_.reset(sub);
  natsSubscription_SetPendingLimits(sub, -1, -1);
  natsSubscription_SetOnCompleteCB(sub, &CalloutListener::OnComplete, this);
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { Work(); });
  return common::nats::FromNatsStatus(natsConnection_Flush(nc_), "flush subscription");
}

void CalloutListener::Stop() {
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

void CalloutListener::OnMessage(natsConnection*, natsSubscription*, natsMsg* msg,
                                void* closure) noexcept {
  common::nats::NatsMsgPtr owned(msg);
  static_cast<CalloutListener*>(closure)->Enqueue(std::move(owned));
}

void CalloutListener::OnComplete(void* closure) noexcept {
  static_cast<CalloutListener*>(closure)->delivery_done_.Notify();
}

void CalloutListener::Enqueue(common::nats::NatsMsgPtr msg) {
  absl::MutexLock lock(&mu_);
  if (queue_.size() >= max_queue_) {
    std::cerr << "unibus-authd: request queue full; dropping a request\n";
    return;
  }
  queue_.push_back(std::move(msg));
}

void CalloutListener::Work() {
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
    Answer(msg.get());
  }
}

void CalloutListener::Answer(natsMsg* msg) {
  const char* reply = natsMsg_GetReply(msg);
  if (reply == nullptr || *reply == '\0') return;
  const char* xkey = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Server-Xkey", &xkey) != NATS_OK) xkey = nullptr;
  absl::string_view payload(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
  std::optional<std::string> answer =
      authorizer_.Handle(payload, xkey == nullptr ? absl::string_view() : xkey);
  if (!answer.has_value()) return;
  natsConnection_Publish(nc_, reply, answer->data(), static_cast<int>(answer->size()));
}

}  // namespace unibus::broker_auth::service
