// unibusd's HTTP/2 transport settings for a grpc::ServerBuilder: message size limits, keepalive
// and ping policing, idle connections, concurrent streams and the per-stream receive window.
// In a library of its own so that the benchmarks' baseline servers (bench/) run on exactly the
// transport unibusd runs on, and a change here moves both.
#ifndef UNIBUS_CONTROL_SERVER_TRANSPORT_LIMITS_H_
#define UNIBUS_CONTROL_SERVER_TRANSPORT_LIMITS_H_

#include <grpcpp/server_builder.h>

namespace unibus::control::server {

// unibusd's receive window per stream. Part of what an upload reserves from the upload budget
// (ControlServer), which is why it is fixed rather than grown by gRPC.
inline constexpr int kStreamWindowBytes = 256 << 10;

// Applies the settings to `builder`. `max_message_bytes` limits messages both ways.
// `stream_window_bytes` > 0: a fixed receive window of that many bytes per stream, without BDP
// probing (unibusd passes kStreamWindowBytes). 0: gRPC's default window, grown by BDP probing
// (for benchmarks that measure what the fixed window costs).
// REQUIRES: max_message_bytes > 0, stream_window_bytes >= 0.
void ApplyTransportLimits(grpc::ServerBuilder& builder, int max_message_bytes,
                          int stream_window_bytes);

}  // namespace unibus::control::server

#endif  // UNIBUS_CONTROL_SERVER_TRANSPORT_LIMITS_H_
