// BlobStore on a NATS JetStream object store bucket (the cluster backend, DESIGN.md §7). The
// layout is the Go client's (see object_layout.h), so `nats object ls/get/info <bucket>` reads
// our blobs and we read objects put by `nats object put`. Object name: "<room_id>/<address>".
//
// Upload: Append publishes each full chunk on a fresh chunk subject as it fills (acknowledged by
// the stream; memory is one chunk), Commit publishes the last chunk and then the meta. Readers
// find objects by their meta only, so nothing is visible before Commit and no reader sees a
// partial blob. Commit publishes the meta only if the name's newest meta is still the one it
// looked at (Nats-Expected-Last-Subject-Sequence), so of two concurrent uploads of one address
// exactly one wins; the other purges its chunks and returns false. A writer dropped without
// Commit purges its chunk subject (best effort). A process that dies mid-upload leaves its
// chunks as orphans (no meta points at them; `nats stream subjects OBJ_<bucket>` shows them);
// Open does not sweep them, since it cannot tell them from another node's upload in progress.
//
// Reads go to the stream leader (STREAM.MSG.GET), chunk by chunk on demand (memory is one chunk),
// and the size and SHA-256 digest in the meta are checked before the last chunk is handed out.
//
// created_at_ms is the meta's mtime: our writers store their Clock's time; objects put by the Go
// client store none, and then the meta message's stream timestamp is used.
//
// Codes: INVALID_ARGUMENT for malformed names; NOT_FOUND only when the newest meta is really
// absent or marks the object deleted; UNAVAILABLE when NATS/JetStream cannot answer (reads fail
// closed); RESOURCE_EXHAUSTED when the bucket is full; DATA_LOSS when stored bytes do not match
// their meta; FAILED_PRECONDITION when the bucket's stream exists but is not an object store.
//
// Thread-safe: the store may be used from any number of threads. Each writer and reader is used
// by one thread at a time. The connection is borrowed and must outlive the store, its writers
// and its readers.
#ifndef UNIBUS_CONTROL_BLOB_OBJECT_BLOB_STORE_H_
#define UNIBUS_CONTROL_BLOB_OBJECT_BLOB_STORE_H_

#include <nats/nats.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "control/blob/blob_store.h"
#include "common/nats/jetstream_api.h"
#include "control/blob/object_layout.h"
#include "common/time/clock.h"

namespace unibus::control::blob {

using common::nats::JetStreamApi;

struct ObjectBlobStoreOptions {
  natsConnection* connection = nullptr;  // borrowed
  std::string bucket = "unibus_blobs";
  int replicas = 1;                 // 1..5, used when the bucket is created
  size_t chunk_size = 128 * 1024;   // 1 .. the server's max payload minus 4 KiB
  absl::Duration timeout = absl::Seconds(5);  // per JetStream request
};

class ObjectBlobStore final : public BlobStore {
 public:
  // Binds to the bucket, creating its stream if it does not exist (idempotent across nodes).
  // `clock` must outlive the store.
  static absl::StatusOr<std::unique_ptr<ObjectBlobStore>> Open(
      const ObjectBlobStoreOptions& options, const common::Clock& clock);

  absl::StatusOr<std::unique_ptr<BlobWriter>> Create(absl::string_view room_id,
                                                     absl::string_view address,
                                                     absl::string_view uploader) override;
  absl::StatusOr<BlobMeta> Stat(absl::string_view room_id, absl::string_view address) override;
  absl::StatusOr<std::unique_ptr<BlobReader>> Open(absl::string_view room_id,
                                                   absl::string_view address) override;
  absl::Status Delete(absl::string_view room_id, absl::string_view address) override;
  absl::Status DeleteRoom(absl::string_view room_id) override;
  absl::Status ForEachBlob(const std::function<void(const StoredBlob&)>& fn) override;

  const std::string& stream_name() const { return stream_; }

  // The newest meta of `name` (deleted or not) and its stream sequence; nullopt if none.
  struct MetaRecord {
    object_layout::ObjectInfo info;
    uint64_t seq = 0;
  };
  absl::StatusOr<std::optional<MetaRecord>> ReadMeta(const std::string& name) const;

 private:
  ObjectBlobStore(const ObjectBlobStoreOptions& options, const common::Clock& clock);
  absl::Status EnsureStream(int replicas) const;
  absl::StatusOr<MetaRecord> LiveMeta(absl::string_view room_id, absl::string_view address) const;
  absl::Status DeleteObject(const std::string& name) const;

  const JetStreamApi api_;
  const std::string bucket_;
  const std::string stream_;
  const size_t chunk_size_;
  const common::Clock& clock_;
};

}  // namespace unibus::control::blob

#endif  // UNIBUS_CONTROL_BLOB_OBJECT_BLOB_STORE_H_
