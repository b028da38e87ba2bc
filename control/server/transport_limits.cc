#include "control/server/transport_limits.h"

namespace unibus::control::server {
namespace {

constexpr int kKeepaliveTimeMs = 60'000;
constexpr int kKeepaliveTimeoutMs = 20'000;
constexpr int kMinClientPingIntervalMs = 10'000;
constexpr int kMaxPingStrikes = 2;
constexpr int kMaxConnectionIdleMs = 30 * 60'000;
constexpr int kMaxConcurrentStreams = 100;

}  // namespace

void ApplyTransportLimits(grpc::ServerBuilder& builder, int max_message_bytes,
                          int stream_window_bytes) {
  builder.SetMaxReceiveMessageSize(max_message_bytes);
  builder.SetMaxSendMessageSize(max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  // Clients that ping more often than this are sent GOAWAY after kMaxPingStrikes.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             kMinClientPingIntervalMs);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, kMaxPingStrikes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, kMaxConnectionIdleMs);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams);
  if (stream_window_bytes > 0) {
    // A fixed receive window per stream. With BDP probing gRPC grows it to several MiB per
    // stream, and 40 concurrent uploads then held over 400 MiB in the server
    // (control/integration/blob_memory_test); fixed, the upload budget bounds what uploads hold.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, stream_window_bytes);
  }
}

}  // namespace unibus::control::server
