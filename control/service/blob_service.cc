#include "control/service/blob_service.h"

#include "control/service/call.h"

namespace unibus::control::service {

grpc::Status BlobServiceImpl::NotYet(grpc::ServerContext* context) {
  return AuthorizedCall(auth_, context, kPeerRoles, [](const v1::User&) {
    return absl::UnimplementedError("blob storage is not available on this server yet");
  });
}

grpc::Status BlobServiceImpl::PutBlob(grpc::ServerContext* context,
                                      grpc::ServerReader<v1::PutBlobRequest>*,
                                      v1::PutBlobResponse*) {
  return NotYet(context);
}

grpc::Status BlobServiceImpl::GetBlob(grpc::ServerContext* context, const v1::GetBlobRequest*,
                                      grpc::ServerWriter<v1::GetBlobResponse>*) {
  return NotYet(context);
}

grpc::Status BlobServiceImpl::StatBlob(grpc::ServerContext* context, const v1::StatBlobRequest*,
                                       v1::StatBlobResponse*) {
  return NotYet(context);
}

}  // namespace unibus::control::service
