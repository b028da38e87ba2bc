// Where unibusd keeps blobs: opaque ciphertext, named by room and address (lowercase hex sha256
// of the bytes, checked by the caller before Commit). Backends: DiskBlobStore (one node) and,
// for clusters, a JetStream object store (issue #6).
//
// Every backend guarantees: a blob is visible only once all its bytes are durable (no reader
// ever sees a partial blob), and a writer that is dropped without Commit leaves nothing behind.
//
// Room ids and addresses reach a BlobStore already validated (32 and 64 lowercase hex); backends
// check the shape again and refuse anything else with INVALID_ARGUMENT.
//
// Thread-safe: any number of writers and readers at once, also on the same blob.
#ifndef UNIBUS_CONTROL_BLOB_BLOB_STORE_H_
#define UNIBUS_CONTROL_BLOB_BLOB_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace unibus::control::blob {

struct BlobMeta {
  uint64_t size = 0;
  int64_t created_at_ms = 0;
};

// A committed blob as ForEachBlob reports it, for usage accounting.
struct StoredBlob {
  std::string room_id;
  std::string address;
  uint64_t size = 0;
  // The identity whose upload created it (hex sign_pub); empty when unknown (stored by an older
  // unibusd, by another tool, or its record was lost in a crash right after the commit).
  std::string uploader;
};

// One upload in progress. Destroying it without Commit discards the bytes.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  virtual absl::Status Append(absl::string_view bytes) = 0;
  // Makes the blob durable and visible in one step. Returns false if a blob with this address
  // was already stored (its bytes are then identical, being named by their hash).
  virtual absl::StatusOr<bool> Commit() = 0;
};

class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual const BlobMeta& meta() const = 0;
  // Replaces `out` with the next at most `max` bytes; leaves it empty at the end.
  virtual absl::Status Read(size_t max, std::string* out) = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Starts an upload by `uploader` (hex sign_pub, or empty), who is recorded as the blob's
  // uploader if this writer's Commit creates it. INVALID_ARGUMENT for a malformed name or uploader.
  virtual absl::StatusOr<std::unique_ptr<BlobWriter>> Create(absl::string_view room_id,
                                                             absl::string_view address,
                                                             absl::string_view uploader) = 0;
  // NOT_FOUND if there is no such blob.
  virtual absl::StatusOr<BlobMeta> Stat(absl::string_view room_id, absl::string_view address) = 0;
  // NOT_FOUND if there is no such blob.
  virtual absl::StatusOr<std::unique_ptr<BlobReader>> Open(absl::string_view room_id,
                                                           absl::string_view address) = 0;
  // Removes one blob (an upload whose uploader turned out not to be a member any more). OK if
  // there is no such blob.
  virtual absl::Status Delete(absl::string_view room_id, absl::string_view address) = 0;
  // Removes every blob of a room (when the room is deleted). OK if it had none.
  virtual absl::Status DeleteRoom(absl::string_view room_id) = 0;
  // Calls `fn` once for every committed blob, in no particular order (blobs committed or removed
  // meanwhile may or may not be reported). Reads the whole store: for usage accounting at start-up
  // and on rare re-counts, not per request.
  virtual absl::Status ForEachBlob(const std::function<void(const StoredBlob&)>& fn) = 0;
};

using BlobStorePtr = std::unique_ptr<BlobStore>;

}  // namespace unibus::control::blob

#endif  // UNIBUS_CONTROL_BLOB_BLOB_STORE_H_
