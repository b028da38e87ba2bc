// What the application sends and receives through a Client.
#ifndef UNIBUS_CLIENT_MESSAGE_H_
#define UNIBUS_CLIENT_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "unibus/v1/frames.pb.h"

namespace unibus::client {

// Names one frame within a room: its sender (hex sign_pub) and the sender's counter.
struct FrameId {
  std::string sender;
  uint64_t counter = 0;
  bool operator==(const FrameId& o) const { return sender == o.sender && counter == o.counter; }
};

struct OutgoingMessage {
  v1::FrameType type = v1::FRAME_TYPE_MESSAGE;
  v1::FrameBody body;
  std::optional<FrameId> thread;    // optional
  std::optional<FrameId> reply_to;  // required for REPLY, REACTION and EDIT
};

// A frame that passed every check: authentic, decrypted, within the epoch rules, first delivery.
struct Message {
  std::string room_id;
  FrameId id;
  v1::FrameType type = v1::FRAME_TYPE_MESSAGE;
  uint64_t epoch = 0;
  absl::Time sent_at;               // the sender's clock
  std::optional<FrameId> thread;
  std::optional<FrameId> reply_to;
  v1::FrameBody body;
  uint64_t stream_seq = 0;          // JetStream sequence (rooms with history), else 0
  bool signed_frame = false;        // the sender's signature was present and verified
};

}  // namespace unibus::client

#endif  // UNIBUS_CLIENT_MESSAGE_H_
