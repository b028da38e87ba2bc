#include "control/blob/object_blob_store.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto/hex.h"
#include "common/crypto/sha256.h"

namespace unibus::control::blob {
namespace {

using common::nats::JetStreamErrCode;
using common::nats::JetStreamError;
using common::nats::StoredMsg;

namespace layout = object_layout;
using nlohmann::json;

constexpr int kStreamNotFound = 10059;
constexpr int kStreamNameExists = 10058;
constexpr int kCasAttempts = 3;
constexpr size_t kHeaderRoom = 4096;  // max payload left for headers and protocol

absl::Status CheckRoom(absl::string_view room_id) {
  if (!common::IsLowerHexOfSize(room_id, 16)) return absl::InvalidArgumentError("malformed room id");
  return absl::OkStatus();
}

absl::Status CheckNames(absl::string_view room_id, absl::string_view address) {
  if (!common::IsLowerHexOfSize(room_id, 16) || !common::IsLowerHexOfSize(address, 32)) {
    return absl::InvalidArgumentError("malformed room id or blob address");
  }
  return absl::OkStatus();
}

std::string ObjectName(absl::string_view room_id, absl::string_view address) {
  return absl::StrCat(room_id, "/", address);
}

std::string DigestOf(common::Sha256& hash) {
  return layout::DigestValue(common::HexDecode(hash.FinishHex()).value_or(""));
}

const std::vector<std::pair<std::string, std::string>>& RollupHeaders() {
  static const auto* const kHeaders = new std::vector<std::pair<std::string, std::string>>{
      {std::string(layout::kRollupHeader), std::string(layout::kRollupSubject)}};
  return *kHeaders;
}

// Where a bucket's stream lives, and how to reach it; shared by the store, writers and readers.
struct Bucket {
  JetStreamApi api;
  std::string name;
  std::string stream;
};

using MetaRecord = ObjectBlobStore::MetaRecord;

absl::StatusOr<std::optional<MetaRecord>> ReadMetaOf(const Bucket& b, const std::string& name) {
  absl::StatusOr<std::optional<StoredMsg>> msg =
      b.api.GetLast(b.stream, layout::MetaSubject(b.name, name));
  if (!msg.ok()) return msg.status();
  if (!msg->has_value()) return std::optional<MetaRecord>();
  absl::StatusOr<layout::ObjectInfo> info = layout::DecodeObjectInfo((*msg)->data);
  if (!info.ok()) return info.status();
  if (info->name != name) return absl::DataLossError("object meta names another object");
  if (info->mtime == absl::InfinitePast()) info->mtime = (*msg)->time;
  return std::optional<MetaRecord>(MetaRecord{std::move(*info), (*msg)->seq});
}

class ObjectBlobWriter final : public BlobWriter {
 public:
  ObjectBlobWriter(Bucket bucket, std::string name, std::string uploader, size_t chunk_size,
                   const common::Clock& clock)
      : bucket_(std::move(bucket)),
        name_(std::move(name)),
        uploader_(std::move(uploader)),
        nuid_(layout::NewNuid()),
        chunk_subject_(layout::ChunkSubject(bucket_.name, nuid_)),
        chunk_size_(chunk_size),
        clock_(clock) {
    buffer_.reserve(chunk_size_);
  }

  ~ObjectBlobWriter() override {
    // Best effort: chunks of an upload that was not committed are unreachable anyway.
    if ((state_ == State::kOpen || state_ == State::kFailed) && chunks_ > 0) PurgeChunks();
  }

  absl::Status Append(absl::string_view bytes) override {
    if (state_ != State::kOpen) return absl::FailedPreconditionError("the blob writer is closed");
    while (!bytes.empty()) {
      size_t take = std::min(chunk_size_ - buffer_.size(), bytes.size());
      buffer_.append(bytes.data(), take);
      bytes.remove_prefix(take);
      if (buffer_.size() == chunk_size_) {
        if (absl::Status s = Flush(); !s.ok()) return Fail(s);
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Commit() override {
    if (state_ != State::kOpen) return absl::FailedPreconditionError("the blob writer is closed");
    if (!buffer_.empty()) {
      if (absl::Status s = Flush(); !s.ok()) return Fail(s);
    }
    layout::ObjectInfo info;
    info.name = name_;
    info.bucket = bucket_.name;
    info.nuid = nuid_;
    info.size = size_;
    info.chunks = chunks_;
    info.max_chunk_size = static_cast<uint32_t>(chunk_size_);
    info.digest = DigestOf(hash_);
    info.uploader = uploader_;
    for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
      absl::StatusOr<std::optional<MetaRecord>> existing = ReadMetaOf(bucket_, name_);
      if (!existing.ok()) return Fail(existing.status());
      if (existing->has_value() && !(*existing)->info.deleted) return Duplicate();
      info.mtime = clock_.Now();
      absl::StatusOr<uint64_t> seq =
          bucket_.api.Publish(layout::MetaSubject(bucket_.name, name_),
                              layout::EncodeObjectInfo(info), RollupHeaders(),
                              existing->has_value() ? (*existing)->seq : 0);
      if (seq.ok()) {
        state_ = State::kDone;
        return true;
      }
      if (!absl::IsAborted(seq.status())) return Ambiguous(seq.status());
      // Another writer (or a delete) changed the name's meta since we read it: look again.
    }
    return Fail(absl::AbortedError("the object's meta kept changing during the commit"));
  }

 private:
  enum class State { kOpen, kFailed, kDone, kUnknown };

  absl::Status Flush() {
    hash_.Update(buffer_);
    absl::StatusOr<uint64_t> seq = bucket_.api.Publish(chunk_subject_, buffer_);
    // Counted even on failure: a timed-out publish may still have been stored.
    ++chunks_;
    if (!seq.ok()) return seq.status();
    size_ += buffer_.size();
    buffer_.clear();
    return absl::OkStatus();
  }

  absl::Status Fail(absl::Status s) {
    state_ = State::kFailed;
    return s;
  }

  absl::StatusOr<bool> Duplicate() {
    PurgeChunks();
    state_ = State::kDone;
    return false;
  }

  // The meta publish failed without an answer: it may have been stored. Find out before deciding
  // whether our chunks may go; if we cannot, keep them (an orphan is better than a lost blob).
  absl::StatusOr<bool> Ambiguous(absl::Status error) {
    absl::StatusOr<std::optional<MetaRecord>> now = ReadMetaOf(bucket_, name_);
    if (!now.ok()) {
      state_ = State::kUnknown;
      return error;
    }
    if (now->has_value() && (*now)->info.nuid == nuid_ && !(*now)->info.deleted) {
      state_ = State::kDone;
      return true;
    }
    return Fail(error);
  }

  void PurgeChunks() { bucket_.api.Purge(bucket_.stream, chunk_subject_).IgnoreError(); }

  const Bucket bucket_;
  const std::string name_;
  const std::string uploader_;
  const std::string nuid_;
  const std::string chunk_subject_;
  const size_t chunk_size_;
  const common::Clock& clock_;
  std::string buffer_;
  common::Sha256 hash_;
  uint64_t size_ = 0;
  uint32_t chunks_ = 0;
  State state_ = State::kOpen;
};

class ObjectBlobReader final : public BlobReader {
 public:
  ObjectBlobReader(Bucket bucket, layout::ObjectInfo info, std::string digest)
      : bucket_(std::move(bucket)),
        chunk_subject_(layout::ChunkSubject(bucket_.name, info.nuid)),
        meta_{info.size, absl::ToUnixMillis(info.mtime)},
        digest_(std::move(digest)) {}

  const BlobMeta& meta() const override { return meta_; }

  absl::Status Read(size_t max, std::string* out) override {
    out->clear();
    if (!status_.ok()) return status_;
    while (out->size() < max) {
      if (pos_ == chunk_.size()) {
        if (fetched_ == meta_.size) break;
        if (absl::Status s = FetchChunk(); !s.ok()) {
          status_ = s;
          out->clear();
          return s;
        }
        continue;
      }
      size_t take = std::min(max - out->size(), chunk_.size() - pos_);
      out->append(chunk_, pos_, take);
      pos_ += take;
    }
    return absl::OkStatus();
  }

 private:
  // Fetches the next chunk; once the last one is in, checks size and digest before any of its
  // bytes are handed out.
  absl::Status FetchChunk() {
    absl::StatusOr<std::optional<StoredMsg>> msg =
        bucket_.api.GetNext(bucket_.stream, chunk_subject_, next_seq_);
    if (!msg.ok()) return msg.status();
    if (!msg->has_value()) return absl::DataLossError("a blob chunk is missing");
    StoredMsg& m = **msg;
    if (m.subject != chunk_subject_) return absl::UnavailableError("JetStream sent another message");
    next_seq_ = m.seq + 1;
    if (m.data.size() > meta_.size - fetched_) {
      return absl::DataLossError("a blob has more bytes than its meta says");
    }
    hash_.Update(m.data);
    fetched_ += m.data.size();
    chunk_ = std::move(m.data);
    pos_ = 0;
    if (fetched_ == meta_.size && DigestOf(hash_) != digest_) {
      chunk_.clear();
      return absl::DataLossError("a blob does not match its digest");
    }
    return absl::OkStatus();
  }

  const Bucket bucket_;
  const std::string chunk_subject_;
  const BlobMeta meta_;
  const std::string digest_;  // canonical "SHA-256=..." of the meta
  common::Sha256 hash_;
  uint64_t next_seq_ = 1;
  uint64_t fetched_ = 0;
  std::string chunk_;
  size_t pos_ = 0;
  absl::Status status_;
};

}  // namespace

ObjectBlobStore::ObjectBlobStore(const ObjectBlobStoreOptions& options,
                                 const common::Clock& clock)
    : api_(options.connection, options.timeout),
      bucket_(options.bucket),
      stream_(layout::StreamName(options.bucket)),
      chunk_size_(options.chunk_size),
      clock_(clock) {}

absl::StatusOr<std::unique_ptr<ObjectBlobStore>> ObjectBlobStore::Open(
    const ObjectBlobStoreOptions& options, const common::Clock& clock) {
  if (options.connection == nullptr) return absl::InvalidArgumentError("a NATS connection is required");
  if (!layout::IsValidBucket(options.bucket)) {
    return absl::InvalidArgumentError("object store bucket names are [A-Za-z0-9_-]+");
  }
  if (options.replicas < 1 || options.replicas > 5) {
    return absl::InvalidArgumentError("object store replicas must be 1..5");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the object store timeout must be positive");
  }
  int64_t max_payload = natsConnection_GetMaxPayload(options.connection);
  if (options.chunk_size == 0 ||
      (max_payload > 0 && options.chunk_size + kHeaderRoom > static_cast<uint64_t>(max_payload))) {
    return absl::InvalidArgumentError(
        absl::StrCat("the chunk size must be 1..", max_payload - int64_t{kHeaderRoom}));
  }
  std::unique_ptr<ObjectBlobStore> store(new ObjectBlobStore(options, clock));
  if (absl::Status s = store->EnsureStream(options.replicas); !s.ok()) return s;
  return store;
}

absl::Status ObjectBlobStore::EnsureStream(int replicas) const {
  const std::string info_subject = absl::StrCat("$JS.API.STREAM.INFO.", stream_);
  absl::StatusOr<json> info = api_.Call(info_subject, "");
  if (!info.ok()) return info.status();
  if (info->contains("error")) {
    const json& error = (*info)["error"];
    if (JetStreamErrCode(error) != kStreamNotFound) return JetStreamError(error, "stream info");
    absl::StatusOr<json> created = api_.Call(absl::StrCat("$JS.API.STREAM.CREATE.", stream_),
                                             layout::StreamConfigJson(bucket_, replicas));
    if (!created.ok()) return created.status();
    if (created->contains("error")) {
      const json& e = (*created)["error"];
      // Another node created it at the same moment (with its own replica count): bind to it.
      if (JetStreamErrCode(e) != kStreamNameExists) {
        absl::Status s = JetStreamError(e, absl::StrCat("create stream ", stream_));
        if (absl::IsUnavailable(s) && e.is_object() && e.contains("code") && e["code"] == 503) {
          return s;
        }
        return absl::FailedPreconditionError(s.message());
      }
    }
    info = api_.Call(info_subject, "");
    if (!info.ok()) return info.status();
    if (info->contains("error")) return JetStreamError((*info)["error"], "stream info");
  }
  const json& config = (*info)["config"];
  auto has = [&config](const std::string& s) {
    if (!config.is_object() || !config.contains("subjects") || !config["subjects"].is_array()) {
      return false;
    }
    const json& subjects = config["subjects"];
    return std::find(subjects.begin(), subjects.end(), json(s)) != subjects.end();
  };
  if (!has(layout::AllChunksSubject(bucket_)) || !has(layout::AllMetaSubject(bucket_)) ||
      !config.contains("allow_rollup_hdrs") || config["allow_rollup_hdrs"] != true) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream ", stream_, " exists but is not an object store bucket"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ObjectBlobStore::MetaRecord>> ObjectBlobStore::ReadMeta(
    const std::string& name) const {
  return ReadMetaOf(Bucket{api_, bucket_, stream_}, name);
}

absl::StatusOr<ObjectBlobStore::MetaRecord> ObjectBlobStore::LiveMeta(
    absl::string_view room_id, absl::string_view address) const {
  if (absl::Status s = CheckNames(room_id, address); !s.ok()) return s;
  absl::StatusOr<std::optional<MetaRecord>> record = ReadMeta(ObjectName(room_id, address));
  if (!record.ok()) return record.status();
  if (!record->has_value() || (*record)->info.deleted) return absl::NotFoundError("blob not found");
  return std::move(**record);
}

absl::StatusOr<std::unique_ptr<BlobWriter>> ObjectBlobStore::Create(absl::string_view room_id,
                                                                    absl::string_view address,
                                                                    absl::string_view uploader) {
  if (absl::Status s = CheckNames(room_id, address); !s.ok()) return s;
  if (!uploader.empty() && !common::IsLowerHexOfSize(uploader, 32)) {
    return absl::InvalidArgumentError("malformed uploader");
  }
  return std::unique_ptr<BlobWriter>(
      new ObjectBlobWriter(Bucket{api_, bucket_, stream_}, ObjectName(room_id, address),
                           std::string(uploader), chunk_size_, clock_));
}

absl::StatusOr<BlobMeta> ObjectBlobStore::Stat(absl::string_view room_id,
                                               absl::string_view address) {
  absl::StatusOr<MetaRecord> record = LiveMeta(room_id, address);
  if (!record.ok()) return record.status();
  return BlobMeta{record->info.size, absl::ToUnixMillis(record->info.mtime)};
}

absl::StatusOr<std::unique_ptr<BlobReader>> ObjectBlobStore::Open(absl::string_view room_id,
                                                                  absl::string_view address) {
  absl::StatusOr<MetaRecord> record = LiveMeta(room_id, address);
  if (!record.ok()) return record.status();
  std::optional<std::string> digest = layout::DigestBytes(record->info.digest);
  if (!digest.has_value()) return absl::DataLossError("a blob's meta has no SHA-256 digest");
  std::string canonical = layout::DigestValue(*digest);
  if (record->info.size == 0) {
    common::Sha256 empty;
    if (DigestOf(empty) != canonical) return absl::DataLossError("a blob does not match its digest");
  }
  return std::unique_ptr<BlobReader>(
      new ObjectBlobReader(Bucket{api_, bucket_, stream_}, std::move(record->info), canonical));
}

absl::Status ObjectBlobStore::DeleteObject(const std::string& name) const {
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    absl::StatusOr<std::optional<MetaRecord>> record = ReadMeta(name);
    if (!record.ok()) return record.status();
    if (!record->has_value() || (*record)->info.deleted) return absl::OkStatus();
    layout::ObjectInfo marker = (*record)->info;
    marker.deleted = true;
    marker.size = 0;
    marker.chunks = 0;
    marker.digest.clear();
    marker.mtime = clock_.Now();
    absl::StatusOr<uint64_t> seq =
        api_.Publish(layout::MetaSubject(bucket_, name), layout::EncodeObjectInfo(marker),
                     RollupHeaders(), (*record)->seq);
    if (absl::IsAborted(seq.status())) continue;  // re-uploaded meanwhile: delete that one
    if (!seq.ok()) return seq.status();
    return api_.Purge(stream_, layout::ChunkSubject(bucket_, (*record)->info.nuid));
  }
  return absl::AbortedError("a blob's meta kept changing while its room was deleted");
}

absl::Status ObjectBlobStore::Delete(absl::string_view room_id, absl::string_view address) {
  if (absl::Status s = CheckNames(room_id, address); !s.ok()) return s;
  return DeleteObject(ObjectName(room_id, address));
}

absl::Status ObjectBlobStore::DeleteRoom(absl::string_view room_id) {
  if (absl::Status s = CheckRoom(room_id); !s.ok()) return s;
  absl::StatusOr<std::vector<std::string>> subjects =
      api_.Subjects(stream_, layout::AllMetaSubject(bucket_));
  if (!subjects.ok()) return subjects.status();
  const std::string prefix = absl::StrCat(room_id, "/");
  for (const std::string& subject : *subjects) {
    std::optional<std::string> name = layout::NameOfMetaSubject(bucket_, subject);
    if (!name.has_value() || !absl::StartsWith(*name, prefix)) continue;
    if (absl::Status s = DeleteObject(*name); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ObjectBlobStore::ForEachBlob(const std::function<void(const StoredBlob&)>& fn) {
  // Metas are rolled up per name, so the stream holds one per object: walk them in order.
  const std::string metas = layout::AllMetaSubject(bucket_);
  for (uint64_t next = 1;;) {
    absl::StatusOr<std::optional<StoredMsg>> msg = api_.GetNext(stream_, metas, next);
    if (!msg.ok()) return msg.status();
    if (!msg->has_value()) return absl::OkStatus();
    next = (*msg)->seq + 1;
    absl::StatusOr<layout::ObjectInfo> info = layout::DecodeObjectInfo((*msg)->data);
    if (!info.ok()) return info.status();
    if (info->deleted) continue;
    std::vector<std::string> parts = absl::StrSplit(info->name, '/');
    // Objects that are not blobs of ours (put by hand under other names) are not counted.
    if (parts.size() != 2 || !CheckNames(parts[0], parts[1]).ok()) continue;
    fn(StoredBlob{parts[0], parts[1], info->size, info->uploader});
  }
}

}  // namespace unibus::control::blob
