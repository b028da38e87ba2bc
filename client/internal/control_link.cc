#include "client/internal/control_link.h"

#include "common/crypto/cert.h"

namespace unibus::client::internal {

absl::StatusOr<std::unique_ptr<ControlLink>> ControlLink::Create(
    const common::Identity& identity, const std::vector<std::string>& urls,
    const std::string& ca_pem, absl::Duration timeout) {
  if (urls.empty()) return absl::InvalidArgumentError("no control-plane address given");
  if (ca_pem.empty()) return absl::InvalidArgumentError("no CA certificate given");
  absl::StatusOr<common::PemKeyPair> cert = common::MakeClientCertificate(identity);
  if (!cert.ok()) return cert.status();
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = ca_pem;
  tls.pem_private_key = cert->key_pem;
  tls.pem_cert_chain = cert->cert_pem;
  std::vector<std::unique_ptr<Endpoint>> endpoints;
  for (const std::string& url : urls) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(4 << 20);
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(url, grpc::SslCredentials(tls), args);
    auto endpoint = std::make_unique<Endpoint>();
    endpoint->users = v1::UserService::NewStub(channel);
    endpoint->rooms = v1::RoomService::NewStub(channel);
    endpoint->blobs = v1::BlobService::NewStub(channel);
    endpoints.push_back(std::move(endpoint));
  }
  return std::unique_ptr<ControlLink>(new ControlLink(std::move(endpoints), timeout));
}

}  // namespace unibus::client::internal
