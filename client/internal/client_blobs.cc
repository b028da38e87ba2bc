// ClientImpl: blobs (client.h PutBlob / GetBlob; format in docs/frames.md §12).
#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/internal/blob_cipher.h"
#include "client/internal/client_impl.h"
#include "common/crypto/sha256.h"
#include "common/crypto/hex.h"

namespace unibus::client::internal {
namespace {

using Endpoint = ControlLink::Endpoint;

// Upload chunks: half of the server's 1 MiB message limit leaves room for framing.
constexpr size_t kUploadChunkSize = 512 << 10;
// Trailing metadata of a RESOURCE_EXHAUSTED that means "busy, retry after this many ms" (as
// opposed to "too large", which has none and is final).
constexpr char kRetryAfterKey[] = "unibus-retry-after-ms";
// Floor of the pause between busy retries, so that a pushback of 0 does not become a busy loop.
constexpr absl::Duration kMinBusyPause = absl::Milliseconds(10);

// The server answers a malformed room id with INVALID_ARGUMENT too; checking here spares
// encrypting (or allocating for) a blob that cannot be sent.
absl::Status CheckRoomId(absl::string_view room_id) {
  if (common::IsLowerHexOfSize(room_id, 16)) return absl::OkStatus();
  return absl::InvalidArgumentError("room_id must be 32 lowercase hexadecimal characters");
}

// The announced file name without directories ("a/b.png" → "b.png"); receivers may use it as
// a file name, so "." and ".." are dropped too. Both separators: names come from any platform.
std::string BaseName(absl::string_view name) {
  size_t slash = name.find_last_of("/\\");
  if (slash != absl::string_view::npos) name.remove_prefix(slash + 1);
  if (name == "." || name == "..") return "";
  return std::string(name);
}

// blob_timeout_base plus the time to move `bytes` at blob_min_rate.
absl::Duration TransferTimeout(const ClientOptions& options, uint64_t bytes) {
  if (options.blob_min_rate == 0) return absl::InfiniteDuration();
  return options.blob_timeout_base +
         absl::Seconds(static_cast<double>(bytes) / static_cast<double>(options.blob_min_rate));
}

// The pause a busy server asked for, if it did.
std::optional<absl::Duration> RetryAfter(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kRetryAfterKey);
  if (it == trailers.end()) return std::nullopt;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()), &ms) || ms < 0) {
    return std::nullopt;
  }
  return absl::Milliseconds(ms);
}

// The pushback plus up to as much again of random jitter, so that clients refused together do
// not come back together.
absl::Duration WithJitter(absl::Duration pause) {
  pause = std::max(pause, kMinBusyPause);
  int64_t ms = std::min<int64_t>(absl::ToInt64Milliseconds(pause), UINT32_MAX - 1);
  return pause + absl::Milliseconds(randombytes_uniform(static_cast<uint32_t>(ms) + 1));
}

// One download of the blob into *ciphertext, hashing it as it arrives (the hash is needed
// before anything is decrypted, and the bytes are hottest now). Refuses, and cancels the call,
// as soon as the stream cannot be the `expected` bytes.
absl::Status Download(Endpoint& endpoint, grpc::ClientContext& context,
                      const v1::GetBlobRequest& request, uint64_t expected,
                      const TransferProgress& progress, std::string* ciphertext,
                      std::string* address) {
  ciphertext->clear();
  ciphertext->reserve(expected);
  common::Sha256 hasher;
  std::unique_ptr<grpc::ClientReader<v1::GetBlobResponse>> reader =
      endpoint.blobs->GetBlob(&context, request);
  v1::GetBlobResponse part;
  bool have_info = false;
  absl::Status refused;
  while (refused.ok() && reader->Read(&part)) {
    if (part.has_info()) {
      if (have_info) {
        refused = absl::DataLossError("the server sent the blob's info twice");
      } else if (part.info().size() != expected) {
        refused = absl::DataLossError(absl::StrCat("the stored blob is ", part.info().size(),
                                                   " bytes, its reference announces ", expected));
      }
      have_info = true;
      continue;
    }
    const std::string& chunk = part.chunk();
    if (!have_info) {
      refused = absl::DataLossError("the server sent blob bytes before the blob's info");
    } else if (chunk.size() > expected - ciphertext->size()) {
      refused =
          absl::DataLossError("the server sent more bytes than the blob's reference announces");
    } else {
      hasher.Update(chunk);
      ciphertext->append(chunk);
      if (progress) progress(ciphertext->size(), expected);
    }
  }
  if (!refused.ok()) {
    context.TryCancel();
    while (reader->Read(&part)) {
    }
    reader->Finish();
    return refused;
  }
  absl::Status status = common::FromGrpcStatus(reader->Finish());
  if (!status.ok()) return status;
  if (!have_info) return absl::DataLossError("the server sent no blob info");
  *address = hasher.FinishHex();
  return absl::OkStatus();
}

}  // namespace

absl::Status ClientImpl::UploadBlob(const std::string& room_id, const SealedBlob& blob,
                                    const TransferProgress& progress,
                                    std::optional<absl::Duration>* retry_after) {
  const uint64_t total = blob.ciphertext.size();
  return control_->CallWithTimeout(
      TransferTimeout(options_, total), [&](Endpoint& e, grpc::ClientContext& context) {
        *retry_after = std::nullopt;
        v1::PutBlobResponse response;
        std::unique_ptr<grpc::ClientWriter<v1::PutBlobRequest>> writer =
            e.blobs->PutBlob(&context, &response);
        v1::PutBlobRequest request;
        request.mutable_header()->set_room_id(room_id);
        request.mutable_header()->set_address(blob.address);
        request.mutable_header()->set_size(total);
        // A write fails once the server has answered (e.g. refused the header); Finish() then
        // says why. The last chunk half-closes the stream with it.
        bool open = writer->Write(request);
        for (uint64_t done = 0; open && done < total;) {
          size_t n = std::min<uint64_t>(kUploadChunkSize, total - done);
          request.set_chunk(blob.ciphertext.data() + done, n);  // reuses the chunk's buffer
          grpc::WriteOptions options;
          if (done + n == total) options.set_last_message();
          open = writer->Write(request, options);
          if (!open) break;
          done += n;
          if (progress) progress(done, total);
        }
        absl::Status status = common::FromGrpcStatus(writer->Finish());
        if (status.code() == absl::StatusCode::kResourceExhausted) {
          *retry_after = RetryAfter(context);
        }
        return status;
      });
}

absl::StatusOr<v1::BlobRef> ClientImpl::PutBlob(const std::string& room_id,
                                                absl::string_view plaintext,
                                                const BlobOptions& options) {
  if (CiphertextSize(plaintext.size()) > options_.max_blob_bytes) {
    return absl::OutOfRangeError(absl::StrCat(
        "a blob of ", plaintext.size(), " bytes is over the maximum of ",
        LargestBlobPlaintext(options_.max_blob_bytes), " (", options_.max_blob_bytes,
        " bytes encrypted)"));
  }
  if (absl::Status s = CheckRoomId(room_id); !s.ok()) return s;
  SealedBlob blob = SealBlob(plaintext);
  const absl::Time give_up = absl::Now() + options.busy_retry;
  for (;;) {
    std::optional<absl::Duration> retry_after;
    absl::Status s = UploadBlob(room_id, blob, options.progress, &retry_after);
    if (s.ok()) break;
    if (!retry_after.has_value()) return s;  // RESOURCE_EXHAUSTED without pushback: too large
    absl::Duration pause = WithJitter(*retry_after);
    if (absl::Now() + pause > give_up) return s;
    absl::SleepFor(pause);
  }
  v1::BlobRef ref = BlobRefOf(blob);
  ref.set_name(BaseName(options.name));
  ref.set_content_type(options.content_type);
  return ref;
}

absl::StatusOr<std::string> ClientImpl::GetBlob(const std::string& room_id,
                                                const v1::BlobRef& ref,
                                                TransferProgress progress) {
  if (absl::Status s = CheckRoomId(room_id); !s.ok()) return s;
  if (!common::IsLowerHexOfSize(ref.address(), 32)) {
    return absl::InvalidArgumentError("blob address must be 64 lowercase hexadecimal characters");
  }
  if (ref.key().size() != kBlobKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("blob key must be ", kBlobKeySize, " bytes"));
  }
  if (CiphertextSize(ref.size()) > options_.max_blob_bytes) {
    return absl::OutOfRangeError(absl::StrCat(
        "a blob of ", ref.size(), " bytes is over the maximum of ",
        LargestBlobPlaintext(options_.max_blob_bytes), " (", options_.max_blob_bytes,
        " bytes encrypted)"));
  }
  const uint64_t expected = CiphertextSize(ref.size());
  v1::GetBlobRequest request;
  request.set_room_id(room_id);
  request.set_address(ref.address());
  std::string ciphertext;
  std::string address;
  absl::Status s = control_->CallWithTimeout(
      TransferTimeout(options_, expected), [&](Endpoint& e, grpc::ClientContext& context) {
        return Download(e, context, request, expected, progress, &ciphertext, &address);
      });
  if (!s.ok()) return s;
  return OpenHashedBlob(ciphertext, address, ref);
}

}  // namespace unibus::client::internal
