#include "common/nats/nkey_signer.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace unibus::common::nats {
namespace {

std::atomic<int> zero_byte_signatures{0};

natsStatus SignNonce(char** error_text, unsigned char** signature, int* length, const char* nonce,
                     void* closure) noexcept {
  const auto* id = static_cast<const common::Identity*>(closure);
  std::string sig = id->Sign(nonce);
  if (sig[0] == '\0') {
    zero_byte_signatures.fetch_add(1);
    *error_text = strdup("nonce signature starts with a zero byte (nats.c 3.4.1 would drop it)");
    return NATS_ERR;
  }
  *signature = static_cast<unsigned char*>(malloc(sig.size()));
  if (*signature == nullptr) return NATS_NO_MEMORY;
  memcpy(*signature, sig.data(), sig.size());
  *length = static_cast<int>(sig.size());
  return NATS_OK;
}

}  // namespace

natsStatus SetNKeySigner(natsOptions* options, const std::string& public_nkey,
                         const common::Identity& signer) {
  return natsOptions_SetNKey(options, public_nkey.c_str(), &SignNonce,
                             const_cast<common::Identity*>(&signer));
}

int ZeroByteSignaturesRefused() { return zero_byte_signatures.load(); }

}  // namespace unibus::common::nats
