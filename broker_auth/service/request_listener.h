// Receives the requests of one subject in a queue group and hands each to a handler on a pool of
// worker threads: the auth callout ($SYS.REQ.USER.AUTH, queue group "unibus-authd") and the
// history-feed requests of peers (broker_auth/feeds). Several authd instances share the load and
// each request is handled exactly once. The nats.c callback only queues the message; `workers`
// threads run the handler concurrently. A full queue drops the request (its sender times out)
// rather than letting memory or latency grow without bound.
//
// Thread safety: Start/Stop from one thread; the handler runs on the workers, concurrently. Does
// not own the connection.
#ifndef UNIBUS_BROKER_AUTH_SERVICE_REQUEST_LISTENER_H_
#define UNIBUS_BROKER_AUTH_SERVICE_REQUEST_LISTENER_H_

#include <nats/nats.h>

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/nats/nats_ptr.h"

namespace unibus::broker_auth::service {

struct RequestListenerOptions {
  std::string subject;
  std::string queue_group;
  int workers = 4;
  size_t max_queue = 10000;
};

class RequestListener {
 public:
  // Called once per request on a worker thread; the message is freed after it returns.
  using Handler = std::function<void(natsConnection* nc, natsMsg* msg)>;
  // Optional, called on nats.c's delivery thread before a request is queued (it must not
  // block): false drops it (the admission may answer it itself), so that one sender's flood
  // cannot fill the queue ahead of everyone else.
  using Admission = std::function<bool(natsConnection* nc, natsMsg* msg)>;

  RequestListener(natsConnection* connection, RequestListenerOptions options, Handler handler,
                  Admission admit = nullptr)
      : nc_(connection),
        options_(std::move(options)),
        handler_(std::move(handler)),
        admit_(std::move(admit)) {}
  ~RequestListener() { Stop(); }

  absl::Status Start();
  void Stop();

 private:
  static void OnMessage(natsConnection* nc, natsSubscription* sub, natsMsg* msg,
                        void* closure) noexcept;
  // nats.c: the subscription delivers nothing more (after Unsubscribe).
  static void OnComplete(void* closure) noexcept;
  void Enqueue(common::nats::NatsMsgPtr msg);
  void Work();

  natsConnection* nc_;
  const RequestListenerOptions options_;
  const Handler handler_;
  const Admission admit_;
  common::nats::NatsSubscriptionPtr sub_;
  std::vector<std::thread> threads_;
  absl::Notification delivery_done_;
  absl::Mutex mu_;
  std::deque<common::nats::NatsMsgPtr> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace unibus::broker_auth::service

#endif  // UNIBUS_BROKER_AUTH_SERVICE_REQUEST_LISTENER_H_
