// Authenticates a nats.c connection with an identity's nkey, signing the server's nonce in
// process (the seed never goes through a file read by nats.c).
//
// Works around nats.c 3.4.1 (Debian's), which drops a nonce signature whose first byte
// is 0 (its base64 encoder stops at the NUL; fixed upstream in nats.c #705): 1 CONNECT in 256
// would go out unsigned and be refused, and two such refusals in a row make nats.c give up
// reconnecting. Such a signing fails instead, so that attempt is retried with a new nonce.
//
// Thread-safe. `signer` must outlive every connection made with the options.
#ifndef UNIBUS_COMMON_NATS_NKEY_SIGNER_H_
#define UNIBUS_COMMON_NATS_NKEY_SIGNER_H_

#include <nats/nats.h>

#include <string>

#include "common/crypto/identity.h"

namespace unibus::common::nats {

// Sets `public_nkey` ("U…") as the connection's nkey and `signer` as who signs the nonce
// (normally the same identity; tests pass another one to forge a proof).
natsStatus SetNKeySigner(natsOptions* options, const std::string& public_nkey,
                         const common::Identity& signer);

// How many signings were refused because of the zero-byte problem (for tests and logs).
int ZeroByteSignaturesRefused();

}  // namespace unibus::common::nats

#endif  // UNIBUS_COMMON_NATS_NKEY_SIGNER_H_
