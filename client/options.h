// How a Client reaches unibus. Every field has a working default except the addresses.
#ifndef UNIBUS_CLIENT_OPTIONS_H_
#define UNIBUS_CLIENT_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace unibus::client {

struct ClientOptions {
  // unibusd addresses ("host:port"), tried in order; a call that finds one unavailable moves on
  // to the next (failover).
  std::vector<std::string> control_urls;
  // PEM of the CA that signed unibusd's certificate (pinned: no system roots).
  std::string ca_pem;
  // nats-server URLs ("nats://host:port", "tls://host:port"), tried in order (list a cluster's
  // nodes nearest first; shuffle the list per client to spread clients over the nodes).
  std::vector<std::string> nats_urls;
  // PEM CA for tls:// NATS URLs (empty: system roots).
  std::string nats_ca_pem;
  // Where per-room delivery state (last stream sequence, replay window) is kept so that a
  // restarted client resumes without losing or repeating frames. Empty: in memory only.
  std::string state_dir;
  // Deadline of each control-plane call.
  absl::Duration rpc_timeout = absl::Seconds(10);
  // How long frames of the previous epoch are still accepted after a rekey was first seen.
  absl::Duration epoch_grace = absl::Seconds(60);
  // Base pause between NATS reconnect attempts (plus up to as much again of random jitter).
  absl::Duration reconnect_wait = absl::Milliseconds(250);
  // How long the room record (epoch, policy) is cached before a sender re-reads it.
  absl::Duration room_cache_ttl = absl::Seconds(5);
  // Write each frame to the socket at once instead of letting nats.c's flusher batch writes
  // (it waits up to 1 ms for more data). bench/frames_bench, 1 KiB frames on 2 cores: one-way
  // p50 160-340 us instead of 640-740 us, at the price of 15-25% fewer frames/s.
  bool send_immediately = false;
  // False: control plane only (users, rooms, members, keys); Send, Subscribe and Flush then
  // return FAILED_PRECONDITION. For tools that manage rather than talk.
  bool connect_nats = true;
  // Largest blob PutBlob sends and GetBlob accepts, in bytes of ciphertext like the server's
  // --max_blob_bytes (match it); the largest file is LargestBlobPlaintext(max_blob_bytes), 8.6 KiB
  // less (client/blob_limits.h). Blobs are held in memory while they are encrypted or decrypted.
  uint64_t max_blob_bytes = 16 << 20;
  // Deadline of one blob transfer: blob_timeout_base plus the time to move its bytes at
  // blob_min_rate bytes/s.
  absl::Duration blob_timeout_base = absl::Seconds(10);
  uint64_t blob_min_rate = 1 << 20;
  // NATS connection name (shows in nats-server's monitoring).
  std::string name = "libunibus";
};

}  // namespace unibus::client

#endif  // UNIBUS_CLIENT_OPTIONS_H_
