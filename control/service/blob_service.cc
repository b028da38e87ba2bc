#include "control/service/blob_service.h"

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/hex.h"
#include "common/crypto/sha256.h"
#include "control/model/validation.h"
#include "control/service/call.h"

namespace unibus::control::service {
namespace {

constexpr char kRetryAfterTrailer[] = "unibus-retry-after-ms";

absl::Status BlobNotFound() { return absl::NotFoundError("blob not found"); }

// A refusal the client should retry: RESOURCE_EXHAUSTED with the pause in the trailer.
absl::Status Busy(grpc::ServerContext* context, int retry_after_ms, absl::string_view message) {
  context->AddTrailingMetadata(kRetryAfterTrailer, std::to_string(retry_after_ms));
  return absl::ResourceExhaustedError(message);
}

absl::Status ValidateAddress(absl::string_view address) {
  if (!common::IsLowerHexOfSize(address, 32)) {
    return absl::InvalidArgumentError(
        "address must be the sha256 of the blob as 64 lowercase hex characters");
  }
  return absl::OkStatus();
}

// Storage failures are logged here and reach the caller without their details.
absl::Status StorageError(const absl::Status& status) {
  std::cerr << "unibusd: blob store: " << status.message() << "\n";
  if (absl::IsResourceExhausted(status)) {
    return absl::ResourceExhaustedError("the server has no space left for blobs");
  }
  return absl::InternalError("blob storage failed");
}

void FillInfo(absl::string_view room_id, absl::string_view address, const blob::BlobMeta& meta,
              v1::BlobInfo* info) {
  info->set_room_id(std::string(room_id));
  info->set_address(std::string(address));
  info->set_size(meta.size);
  info->set_created_at_ms(meta.created_at_ms);
}

}  // namespace

absl::Status BlobServiceImpl::CheckMember(absl::string_view room_id, const v1::User& caller) {
  if (absl::Status s = model::ValidateRoomId(room_id); !s.ok()) return s;
  absl::StatusOr<v1::Member> member = store_.GetMember(room_id, caller.sign_pub());
  if (absl::IsNotFound(member.status())) return absl::NotFoundError("room not found");
  return member.status();
}

grpc::Status BlobServiceImpl::PutBlob(grpc::ServerContext* context,
                                      grpc::ServerReader<v1::PutBlobRequest>* reader,
                                      v1::PutBlobResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    // Admission comes first, before anything is read: a stream waiting for its header holds a
    // thread and a receive window too, so it must count and be cancelled when it stalls.
    std::optional<blob::TransferGuard::Ticket> ticket =
        uploads_.Admit(caller.sign_pub(), [context] { context->TryCancel(); });
    if (!ticket.has_value()) {
      return Busy(context, options_.retry_after_ms,
                  "this identity has as many uploads running as it may; retry when one is done");
    }
    // Every upload leases the same share, whatever size it declares: the memory it can hold
    // (window, chunk, parsed copy) does not depend on the declaration.
    std::optional<blob::UploadBudget::Lease> lease =
        budget_.TryAcquire(options_.upload_reservation_bytes);
    if (!lease.has_value()) {
      return Busy(context, options_.retry_after_ms,
                  "the server is receiving as many uploads as it can hold; retry shortly");
    }
    v1::PutBlobRequest first;
    if (!reader->Read(&first)) {
      if (context->IsCancelled()) return absl::CancelledError("the upload was cancelled");
      return absl::InvalidArgumentError("an upload starts with a header");
    }
    ticket->Touch();
    if (!first.has_header()) return absl::InvalidArgumentError("an upload starts with a header");
    const v1::PutBlobHeader& header = first.header();
    if (absl::Status s = ValidateAddress(header.address()); !s.ok()) return s;
    if (absl::Status s = CheckMember(header.room_id(), caller); !s.ok()) return s;
    if (header.size() > options_.max_blob_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "a blob of ", header.size(), " bytes is over this server's maximum of ",
          options_.max_blob_bytes, " bytes"));
    }
    absl::StatusOr<Destination> destination = OpenDestination(header, caller);
    if (!destination.ok()) return destination.status();
    absl::Status received =
        ReceiveUpload(context, reader, header, *ticket, *destination, response);
    if (!received.ok()) return received;
    absl::Status still = CheckStillMember(header, caller, response->created());
    if (!still.ok()) response->Clear();
    return still;
  });
}

absl::Status BlobServiceImpl::CheckStillMember(const v1::PutBlobHeader& header,
                                               const v1::User& caller, bool created) {
  // While the bytes streamed, the caller may have left or been removed, or the room may have been
  // deleted (its deletion then freed the room's blobs before this one was committed).
  absl::StatusOr<v1::Member> member = store_.GetMember(header.room_id(), caller.sign_pub());
  if (member.ok()) return absl::OkStatus();
  if (!absl::IsNotFound(member.status())) return member.status();
  // Only what this upload created is removed: anything else in the room belongs to others, and
  // bytes that were stored already are theirs too.
  if (created) {
    if (absl::Status s = blobs_.Delete(header.room_id(), header.address()); !s.ok()) {
      StorageError(s).IgnoreError();  // logged; the caller's answer is NOT_FOUND anyway
    } else {
      quota_.Removed(header.room_id(), caller.sign_pub(), header.size());
    }
  }
  absl::StatusOr<v1::Room> room = store_.GetRoom(header.room_id());
  if (absl::IsNotFound(room.status())) {
    // The room is gone for good (a deleted id is never created again): free what remains.
    if (absl::Status s = blobs_.DeleteRoom(header.room_id()); !s.ok()) {
      StorageError(s).IgnoreError();
    } else {
      quota_.RoomRemoved(header.room_id());
    }
  }
  // The caller is told what every non-member is told (blobs.proto).
  return absl::NotFoundError("room not found");
}

absl::StatusOr<BlobServiceImpl::Destination> BlobServiceImpl::OpenDestination(
    const v1::PutBlobHeader& header, const v1::User& caller) {
  // Bytes already stored are hashed but not written again.
  absl::StatusOr<blob::BlobMeta> existing = blobs_.Stat(header.room_id(), header.address());
  if (!existing.ok() && !absl::IsNotFound(existing.status())) {
    return StorageError(existing.status());
  }
  Destination destination;
  if (existing.ok() && existing->size == header.size()) return destination;
  absl::StatusOr<blob::BlobQuota::Reservation> reserved =
      quota_.Reserve(header.room_id(), caller.sign_pub(), header.size());
  if (absl::IsUnavailable(reserved.status())) {
    std::cerr << "unibusd: blob quota: " << reserved.status().message() << "\n";
    return absl::UnavailableError("blob storage cannot take uploads right now; retry later");
  }
  if (!reserved.ok()) return reserved.status();  // RESOURCE_EXHAUSTED naming the quota
  destination.reservation.emplace(*std::move(reserved));
  absl::StatusOr<std::unique_ptr<blob::BlobWriter>> writer =
      blobs_.Create(header.room_id(), header.address(), caller.sign_pub());
  if (!writer.ok()) return StorageError(writer.status());
  destination.writer = *std::move(writer);
  return destination;
}

absl::Status BlobServiceImpl::ReceiveUpload(grpc::ServerContext* context,
                                            grpc::ServerReader<v1::PutBlobRequest>* reader,
                                            const v1::PutBlobHeader& header,
                                            blob::TransferGuard::Ticket& ticket,
                                            Destination& destination,
                                            v1::PutBlobResponse* response) {
  blob::BlobWriter* writer = destination.writer.get();
  common::Sha256 hasher;
  uint64_t received = 0;
  v1::PutBlobRequest request;
  while (reader->Read(&request)) {
    ticket.Touch();
    if (!request.has_chunk()) {
      return absl::InvalidArgumentError("an upload has one header, then only chunks");
    }
    const std::string& chunk = request.chunk();
    received += chunk.size();
    if (received > header.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the upload carries more bytes than the ", header.size(), " its header declared"));
    }
    hasher.Update(chunk);
    if (writer != nullptr) {
      if (absl::Status s = writer->Append(chunk); !s.ok()) return StorageError(s);
    }
  }
  if (context->IsCancelled()) {
    return absl::CancelledError("the upload was cancelled (by the client, or idle too long)");
  }
  // Every byte is here: what remains (hash check, fsync) is the server's own time.
  ticket.Release();
  if (received != header.size()) {
    return absl::InvalidArgumentError(absl::StrCat("the upload carries ", received,
                                                   " bytes, its header declared ", header.size()));
  }
  if (hasher.FinishHex() != header.address()) {
    return absl::InvalidArgumentError("the sha256 of the uploaded bytes is not the address");
  }
  bool created = false;
  if (writer != nullptr) {
    absl::StatusOr<bool> committed = writer->Commit();
    if (!committed.ok()) return StorageError(committed.status());
    created = *committed;
  }
  // Bytes another upload stored first cost this one nothing: its reservation is released.
  if (created) destination.reservation->Created();
  absl::StatusOr<blob::BlobMeta> meta = blobs_.Stat(header.room_id(), header.address());
  if (!meta.ok()) return StorageError(meta.status());
  FillInfo(header.room_id(), header.address(), *meta, response->mutable_info());
  response->set_created(created);
  return absl::OkStatus();
}

grpc::Status BlobServiceImpl::GetBlob(grpc::ServerContext* context,
                                      const v1::GetBlobRequest* request,
                                      grpc::ServerWriter<v1::GetBlobResponse>* writer) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    if (absl::Status s = ValidateAddress(request->address()); !s.ok()) return s;
    if (absl::Status s = CheckMember(request->room_id(), caller); !s.ok()) return s;
    absl::StatusOr<std::unique_ptr<blob::BlobReader>> reader =
        blobs_.Open(request->room_id(), request->address());
    if (absl::IsNotFound(reader.status())) return BlobNotFound();
    if (!reader.ok()) return StorageError(reader.status());
    std::optional<blob::TransferGuard::Ticket> ticket =
        downloads_.Admit(caller.sign_pub(), [context] { context->TryCancel(); });
    if (!ticket.has_value()) {
      return Busy(context, options_.retry_after_ms,
                  "this identity has as many downloads running as it may; retry when one is done");
    }

    v1::GetBlobResponse response;
    FillInfo(request->room_id(), request->address(), (*reader)->meta(), response.mutable_info());
    if (!writer->Write(response)) return absl::CancelledError("the download was cancelled");
    uint64_t sent = 0;
    while (true) {
      std::string* chunk = response.mutable_chunk();
      if (absl::Status s = (*reader)->Read(options_.download_chunk_bytes, chunk); !s.ok()) {
        return StorageError(s);
      }
      if (chunk->empty()) break;
      sent += chunk->size();
      if (!writer->Write(response)) return absl::CancelledError("the download was cancelled");
      ticket->Touch();
    }
    if (sent != (*reader)->meta().size) {
      return StorageError(absl::DataLossError("a blob changed size while it was read"));
    }
    return absl::OkStatus();
  });
}

grpc::Status BlobServiceImpl::StatBlob(grpc::ServerContext* context,
                                       const v1::StatBlobRequest* request,
                                       v1::StatBlobResponse* response) {
  return AuthorizedCall(auth_, context, kPeerRoles, [&](const v1::User& caller) -> absl::Status {
    if (absl::Status s = ValidateAddress(request->address()); !s.ok()) return s;
    if (absl::Status s = CheckMember(request->room_id(), caller); !s.ok()) return s;
    absl::StatusOr<blob::BlobMeta> meta = blobs_.Stat(request->room_id(), request->address());
    if (absl::IsNotFound(meta.status())) return BlobNotFound();
    if (!meta.ok()) return StorageError(meta.status());
    FillInfo(request->room_id(), request->address(), *meta, response->mutable_info());
    return absl::OkStatus();
  });
}

}  // namespace unibus::control::service
