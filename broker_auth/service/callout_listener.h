// Receives auth-callout requests from nats-server and answers them with an Authorizer.
//
// Subscribes to $SYS.REQ.USER.AUTH in queue group "unibus-authd" (several instances share the
// load and each request gets exactly one reply). The nats.c callback only queues the message;
// `workers` threads answer concurrently. A full queue drops the request (the client's connect
// fails after the server's timeout) rather than letting memory or latency grow without bound.
//
// Thread safety: Start/Stop from one thread. Does not own the connection or the authorizer.
#ifndef UNIBUS_BROKER_AUTH_SERVICE_CALLOUT_LISTENER_H_
#define UNIBUS_BROKER_AUTH_SERVICE_CALLOUT_LISTENER_H_

#include <nats/nats.h>

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "broker_auth/service/authorizer.h"
#include "common/nats/nats_ptr.h"

namespace unibus::broker_auth::service {

class CalloutListener {
 public:
  CalloutListener(natsConnection* connection, Authorizer& authorizer, int workers = 4,
                  size_t max_queue = 10000)
      : nc_(connection), authorizer_(authorizer), workers_(workers), max_queue_(max_queue) {}
  ~CalloutListener() { Stop(); }

  absl::Status Start();
  void Stop();

 private:
  static void OnMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg,
                        void* closure) noexcept;
  // nats.c: the subscription delivers nothing more (after Unsubscribe).
  static void OnComplete(void* closure) noexcept;
  void Enqueue(common::nats::NatsMsgPtr msg);
  void Work();
  void Answer(natsMsg* msg);

  natsConnection* nc_;
  Authorizer& authorizer_;
  const int workers_;
  const size_t max_queue_;
  common::nats::NatsSubscriptionPtr sub_;
  std::vector<std::thread> threads_;
  absl::Notification delivery_done_;
  absl::Mutex mu_;
  std::deque<common::nats::NatsMsgPtr> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace unibus::broker_auth::service

#endif  // UNIBUS_BROKER_AUTH_SERVICE_CALLOUT_LISTENER_H_
