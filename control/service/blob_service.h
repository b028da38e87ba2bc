// unibus.v1.BlobService (blobs.proto): encrypted blobs of a room, streamed in chunks.
//
// Uploads are hashed (sha256) while they stream and written to the BlobStore as they arrive; the
// blob becomes visible only when the byte count and the hash match the header (else
// INVALID_ARGUMENT and nothing is kept). A declared size over max_blob_bytes is refused before
// any byte is read. Each upload holds upload_reservation_bytes of the global UploadBudget from
// before its header is read until it ends; when that does not fit the call is refused at once
// with RESOURCE_EXHAUSTED and the trailer `unibus-retry-after-ms`, so the memory uploads hold
// stays bounded by the budget whatever the number of clients. One identity runs at most a few
// uploads and downloads at once, and a transfer that stalls is cancelled (TransferGuard), so
// nobody can sit on the budget, on server threads or on open files. Stored bytes are bounded by
// the BlobQuota: an upload of new bytes reserves its declared size against the room's and the
// uploader's quota before any byte is read (RESOURCE_EXHAUSTED without a retry hint otherwise). An upload whose room is
// deleted while it streams ends NOT_FOUND and leaves nothing; one whose uploader leaves or is
// removed while it streams ends NOT_FOUND and leaves only what was stored before it (the blob it
// created is removed, nothing else of the room).
//
// Downloads stream from the store; the server does not re-hash them: receivers check the
// address (it is authenticated inside their end-to-end encrypted frame).
#ifndef UNIBUS_CONTROL_SERVICE_BLOB_SERVICE_H_
#define UNIBUS_CONTROL_SERVICE_BLOB_SERVICE_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "control/blob/blob_quota.h"
#include "control/blob/blob_store.h"
#include "control/blob/upload_budget.h"
#include "control/blob/transfer_guard.h"
#include "control/service/authenticator.h"
#include "control/store/store.h"
#include "unibus/v1/blobs.grpc.pb.h"

namespace unibus::control::service {

struct BlobServiceOptions {
  uint64_t max_blob_bytes = 16 << 20;
  // Budget held by one upload: what it can hold in memory at once (gRPC's receive window, the
  // chunk being parsed and its parsed copy); set by the server from its transport settings.
  uint64_t upload_reservation_bytes = 4 << 20;
  // Chunk size of downloads.
  size_t download_chunk_bytes = 512 << 10;
  // Suggested pause before retrying an upload refused for lack of budget.
  int retry_after_ms = 250;
};

class BlobServiceImpl final : public v1::BlobService::Service {
 public:
  BlobServiceImpl(store::Store& store, Authenticator& auth, blob::BlobStore& blobs,
                  blob::BlobQuota& quota, blob::UploadBudget& budget, blob::TransferGuard& uploads,
                  blob::TransferGuard& downloads, BlobServiceOptions options)
      : store_(store),
        auth_(auth),
        blobs_(blobs),
        quota_(quota),
        budget_(budget),
        uploads_(uploads),
        downloads_(downloads),
        options_(options) {}

  grpc::Status PutBlob(grpc::ServerContext* context, grpc::ServerReader<v1::PutBlobRequest>* reader,
                       v1::PutBlobResponse* response) override;
  grpc::Status GetBlob(grpc::ServerContext* context, const v1::GetBlobRequest* request,
                       grpc::ServerWriter<v1::GetBlobResponse>* writer) override;
  grpc::Status StatBlob(grpc::ServerContext* context, const v1::StatBlobRequest* request,
                        v1::StatBlobResponse* response) override;

 private:
  // OK if `caller` is a member of the room; NOT_FOUND otherwise (also for unknown rooms).
  absl::Status CheckMember(absl::string_view room_id, const v1::User& caller);
  // Where an upload's bytes go and the quota it holds: no writer and no reservation when the
  // bytes are stored already (they are hashed, not written again, and cost nothing).
  struct Destination {
    std::unique_ptr<blob::BlobWriter> writer;
    std::optional<blob::BlobQuota::Reservation> reservation;
  };
  // RESOURCE_EXHAUSTED (a quota) before any byte is read.
  absl::StatusOr<Destination> OpenDestination(const v1::PutBlobHeader& header,
                                              const v1::User& caller);
  // After an upload: OK if `caller` is still a member. Otherwise NOT_FOUND, having removed the
  // blob if this upload `created` it, and the room's blobs if the room is gone.
  absl::Status CheckStillMember(const v1::PutBlobHeader& header, const v1::User& caller,
                                bool created);
  absl::Status ReceiveUpload(grpc::ServerContext* context,
                             grpc::ServerReader<v1::PutBlobRequest>* reader,
                             const v1::PutBlobHeader& header, blob::TransferGuard::Ticket& ticket,
                             Destination& destination, v1::PutBlobResponse* response);

  store::Store& store_;
  Authenticator& auth_;
  blob::BlobStore& blobs_;
  blob::BlobQuota& quota_;
  blob::UploadBudget& budget_;
  blob::TransferGuard& uploads_;
  blob::TransferGuard& downloads_;
  const BlobServiceOptions options_;
};

}  // namespace unibus::control::service

#endif  // UNIBUS_CONTROL_SERVICE_BLOB_SERVICE_H_
