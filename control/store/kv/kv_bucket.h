// KvBucket: the JetStream side of KvStore (kv_store.h): one KV bucket of records read and written
// with compare-and-set on revisions, and one change stream. It knows nothing of users or rooms.
//
// Streams (created with js_AddStream if missing, else bound; idempotent across nodes):
//   KV_<bucket>              subjects $KV.<bucket>.>, the KV conventions of nats.c/nats.go
//                            (history 1, rollup headers, deny delete, discard new) but with
//                            AllowDirect = false: every read goes to the stream leader, so a node
//                            without quorum fails the read instead of answering stale data.
//   UNIBUS_CHANGES_<bucket>  subject unibus_ctl.<bucket>.changes; a change's position is its stream
//                            sequence (deny delete and purge, so positions are never reused).
//
// Ownership: borrows the natsConnection (must outlive the bucket); owns its jsCtx, kvStore and
// subscription. Thread safety: safe for concurrent use (nats.c handles are thread-safe).
// Errors: every nats.c failure becomes UNAVAILABLE with a generic message (the details go to
// stderr); NOT_FOUND only for "no such key" / a delete marker; ABORTED for a lost compare-and-set.
#ifndef UNIBUS_CONTROL_STORE_KV_KV_BUCKET_H_
#define UNIBUS_CONTROL_STORE_KV_KV_BUCKET_H_

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/nats/nats_ptr.h"

namespace unibus::control::store::kv {

struct KvEntry {
  bool found = false;     // False for a key never written or whose last message is a delete.
  std::string value;      // Empty unless found.
  uint64_t revision = 0;  // Sequence of the key's last message (0: never written).
};

using common::nats::JsCtxPtr;
using common::nats::KvStorePtr;

struct KvBucketOptions {
  std::string bucket;
  int replicas = 1;
  absl::Duration timeout = absl::Seconds(5);
};

class KvBucket {
 public:
  // REQUIRES: bucket matches [A-Za-z0-9_-]+, replicas in 1..5 (the caller checks).
  static absl::StatusOr<std::unique_ptr<KvBucket>> Open(natsConnection* connection,
                                                        const KvBucketOptions& options);
  ~KvBucket();
  KvBucket(const KvBucket&) = delete;
  KvBucket& operator=(const KvBucket&) = delete;

  // The key's current value. Not found is `found == false` (OK); errors are UNAVAILABLE.
  absl::StatusOr<KvEntry> Get(absl::string_view key);
  // Writes `value` if the key's revision is still `revision` (0: never written). Returns the new
  // revision; ABORTED if another write came first.
  absl::StatusOr<uint64_t> Cas(absl::string_view key, absl::string_view value, uint64_t revision);
  // Unconditional write (for keys whose names are unique to one writer).
  absl::Status Put(absl::string_view key, absl::string_view value);
  // Writes a delete marker if the key's revision is still `revision`; ABORTED otherwise.
  absl::Status DeleteIf(absl::string_view key, uint64_t revision);
  // Removes every message of the keys matching `filter` (NATS wildcards * and >).
  absl::Status Purge(absl::string_view filter);
  // (key, value) of every live key matching `filter`, in no particular order. O(matching keys).
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> List(absl::string_view filter);

  // Appends to the change stream; a second publish with the same msg_id within the stream's
  // duplicate window (2 minutes) is dropped.
  absl::Status PublishChange(absl::string_view data, const std::string& msg_id);
  // The newest position (0 when empty).
  absl::StatusOr<uint64_t> LastChange();
  // The change at `position`.
  absl::StatusOr<std::string> GetChange(uint64_t position);

  // `fn` runs on a nats.c thread whenever anyone appends to the change stream. Replaces the
  // previous listener; an empty function removes it.
  void SetChangeListener(std::function<void()> fn);

 // Implementation detail, shared with the nats.c callback.
  struct Listener;

 private:
  KvBucket(natsConnection* connection, const KvBucketOptions& options);
  absl::Status Init();
  std::string Subject(absl::string_view key) const;

  natsConnection* const connection_;
  const KvBucketOptions options_;
  const std::string kv_stream_;
  const std::string changes_stream_;
  const std::string changes_subject_;
  // Declared in dependency order: destroyed in reverse (subscription first).
  JsCtxPtr js_;
  KvStorePtr kv_;
  std::shared_ptr<Listener> listener_;  // Also held by the subscription until it completes.
  common::nats::NatsSubscriptionPtr sub_;
};

}  // namespace unibus::control::store::kv

#endif  // UNIBUS_CONTROL_STORE_KV_KV_BUCKET_H_
