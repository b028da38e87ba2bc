// Test helper: collects what a libunibus Subscription delivers, so a test thread can wait for it.
//
// An Inbox hands out SubscribeOptions whose callbacks append to it; it must outlive the
// Subscription made with them. Thread-safe: callbacks run on library threads while the test
// thread waits and reads.
#ifndef UNIBUS_CLIENT_TESTING_INBOX_H_
#define UNIBUS_CLIENT_TESTING_INBOX_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/message.h"
#include "client/subscription.h"

namespace unibus::client::testing {

class Inbox {
 public:
  SubscribeOptions Options(StartAt start = StartAt::kNew) {
    SubscribeOptions o;
    o.start = start;
    o.on_message = [this](const Message& m) {
      absl::MutexLock lock(&mu_);
      messages_.push_back(m);
    };
    o.on_error = [this](const absl::Status& s) {
      absl::MutexLock lock(&mu_);
      errors_.push_back(s);
    };
    return o;
  }

  // Blocks until at least `n` messages arrived or `timeout` passed; returns all so far.
  std::vector<Message> Wait(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return messages_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return messages_;
  }

  // Blocks until a message with body text `text` arrived; false after `timeout`.
  bool WaitForText(const std::string& text, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto seen = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      for (const Message& m : messages_) {
        if (m.body.text() == text) return true;
      }
      return false;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&seen), timeout);
  }

  std::vector<Message> messages() {
    absl::MutexLock lock(&mu_);
    return messages_;
  }

  std::vector<absl::Status> errors() {
    absl::MutexLock lock(&mu_);
    return errors_;
  }

  // The first error's text, or "" (for assertion messages).
  std::string FirstError() {
    absl::MutexLock lock(&mu_);
    return errors_.empty() ? "" : errors_[0].ToString();
  }

 private:
  absl::Mutex mu_;
  std::vector<Message> messages_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> errors_ ABSL_GUARDED_BY(mu_);
};

// A plain text message.
inline OutgoingMessage Text(const std::string& text) {
  OutgoingMessage m;
  m.body.set_text(text);
  return m;
}

}  // namespace unibus::client::testing

#endif  // UNIBUS_CLIENT_TESTING_INBOX_H_
