// The wire layout of a NATS JetStream object store bucket, as the Go client (nats.go
// jetstream/object.go) and the `nats object` tool write and read it, so that either side reads
// the other's objects:
//
//   stream    OBJ_<bucket>, subjects $O.<bucket>.C.> and $O.<bucket>.M.>, discard new,
//             allow_rollup_hdrs, allow_direct, no limits
//   chunks    $O.<bucket>.C.<nuid>: the object's bytes in order, one message per chunk of at
//             most options.max_chunk_size bytes (a new nuid for every upload)
//   meta      $O.<bucket>.M.<base64url(name), padded>: JSON ObjectInfo, published with
//             "Nats-Rollup: sub" so only the newest meta of a name is kept. An object exists iff
//             its newest meta exists and is not deleted; deleting writes deleted=true (size,
//             chunks and digest cleared) and purges the chunk subject.
//   digest    "SHA-256=" + base64url(sha256(bytes)), padded.
//   mtime     the Go client stores the zero time and reports the meta message's stream
//             timestamp instead; we store the writer's clock and read mtime from the JSON when
//             it is set, else from the message timestamp.
//
// Pure functions, no I/O; thread-safe.
#ifndef UNIBUS_CONTROL_BLOB_OBJECT_LAYOUT_H_
#define UNIBUS_CONTROL_BLOB_OBJECT_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace unibus::control::blob::object_layout {

inline constexpr absl::string_view kRollupHeader = "Nats-Rollup";
inline constexpr absl::string_view kRollupSubject = "sub";
inline constexpr absl::string_view kDigestPrefix = "SHA-256=";
inline constexpr absl::string_view kUploaderKey = "unibus-uploader";

// Bucket names the Go client accepts: [A-Za-z0-9_-]+.
bool IsValidBucket(absl::string_view bucket);

std::string StreamName(absl::string_view bucket);
std::string AllChunksSubject(absl::string_view bucket);
std::string AllMetaSubject(absl::string_view bucket);
std::string ChunkSubject(absl::string_view bucket, absl::string_view nuid);
std::string MetaSubject(absl::string_view bucket, absl::string_view name);
// The object name of a meta subject of `bucket`, or nullopt if it is not one.
std::optional<std::string> NameOfMetaSubject(absl::string_view bucket, absl::string_view subject);

// The JetStream stream configuration (JSON) the Go client creates for a bucket.
std::string StreamConfigJson(absl::string_view bucket, int replicas);

// base64url with '=' padding (Go's base64.URLEncoding).
std::string Base64UrlPadded(absl::string_view bytes);

// "SHA-256=<base64url>" of a 32-byte digest, and back (nullopt if malformed).
std::string DigestValue(absl::string_view sha256_bytes);
std::optional<std::string> DigestBytes(absl::string_view value);

// A fresh object id: 22 random characters of [0-9A-Za-z] (the shape of a NATS nuid).
std::string NewNuid();

struct ObjectInfo {
  std::string name;
  std::string bucket;
  std::string nuid;
  uint64_t size = 0;
  uint32_t chunks = 0;
  uint32_t max_chunk_size = 0;  // 0: not stated
  std::string digest;           // "SHA-256=..."; empty when deleted
  bool deleted = false;
  absl::Time mtime = absl::InfinitePast();  // InfinitePast: not stated (Go's zero time)
  // Who created the object (hex sign_pub; empty: unknown), as metadata["unibus-uploader"]. The Go
  // client keeps metadata as it is and shows it in `nats object info`.
  std::string uploader;
};

std::string EncodeObjectInfo(const ObjectInfo& info);
// DATA_LOSS if `json` is not an ObjectInfo.
absl::StatusOr<ObjectInfo> DecodeObjectInfo(absl::string_view json);

}  // namespace unibus::control::blob::object_layout

#endif  // UNIBUS_CONTROL_BLOB_OBJECT_LAYOUT_H_
