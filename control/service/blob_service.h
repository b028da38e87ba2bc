// unibus.v1.BlobService. The API is designed (blobs.proto); the storage behind it is not built
// yet, so every call is authenticated like any other and then answered UNIMPLEMENTED.
#ifndef UNIBUS_CONTROL_SERVICE_BLOB_SERVICE_H_
#define UNIBUS_CONTROL_SERVICE_BLOB_SERVICE_H_

#include "control/service/authenticator.h"
#include "unibus/v1/blobs.grpc.pb.h"

namespace unibus::control::service {

class BlobServiceImpl final : public v1::BlobService::Service {
 public:
  explicit BlobServiceImpl(Authenticator& auth) : auth_(auth) {}

  grpc::Status PutBlob(grpc::ServerContext* context, grpc::ServerReader<v1::PutBlobRequest>* reader,
                       v1::PutBlobResponse* response) override;
  grpc::Status GetBlob(grpc::ServerContext* context, const v1::GetBlobRequest* request,
                       grpc::ServerWriter<v1::GetBlobResponse>* writer) override;
  grpc::Status StatBlob(grpc::ServerContext* context, const v1::StatBlobRequest* request,
                        v1::StatBlobResponse* response) override;

 private:
  grpc::Status NotYet(grpc::ServerContext* context);
  Authenticator& auth_;
};

}  // namespace unibus::control::service

#endif  // UNIBUS_CONTROL_SERVICE_BLOB_SERVICE_H_
