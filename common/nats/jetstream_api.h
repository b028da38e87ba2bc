// The JetStream API calls unibus makes, as plain NATS requests on $JS.API.* (nats.c 3.4's jsCtx
// has no "next message for a subject from a sequence" get, and its direct get may be answered by
// a lagging replica; STREAM.MSG.GET is answered by the leader): the object store's reads and
// writes, and unibus-authd's management of history consumers.
//
// Error codes: UNAVAILABLE when NATS or JetStream does not answer or answers with a server-side
// failure (never NOT_FOUND for that: reads fail closed); RESOURCE_EXHAUSTED when the stream or
// the server is out of space; ABORTED when a publish lost its expected-last-subject-sequence
// check; FAILED_PRECONDITION for a refused configuration.
//
// Thread-safe (natsConnection is); the connection is borrowed and must outlive the object.
#ifndef UNIBUS_COMMON_NATS_JETSTREAM_API_H_
#define UNIBUS_COMMON_NATS_JETSTREAM_API_H_

#include <nats/nats.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace unibus::common::nats {

// A message read back from a stream.
struct StoredMsg {
  uint64_t seq = 0;
  std::string subject;
  std::string data;
  absl::Time time;
};

class JetStreamApi {
 public:
  JetStreamApi(natsConnection* connection, absl::Duration timeout)
      : connection_(connection), timeout_(timeout) {}

  // One API request; the parsed reply (which may hold an "error" object).
  absl::StatusOr<nlohmann::json> Call(const std::string& subject, const std::string& body) const;

  // STREAM.MSG.GET: the last message on `subject`, or nullopt if there is none.
  absl::StatusOr<std::optional<StoredMsg>> GetLast(const std::string& stream,
                                                   const std::string& subject) const;
  // STREAM.MSG.GET: the first message on `subject` with a sequence >= `from_seq`, or nullopt.
  absl::StatusOr<std::optional<StoredMsg>> GetNext(const std::string& stream,
                                                   const std::string& subject,
                                                   uint64_t from_seq) const;

  // Publishes and waits for the stream's acknowledgement; returns the stored sequence.
  // `expected_last_subject_seq`, if set, makes the stream refuse (ABORTED) unless the newest
  // message on `subject` has that sequence (0: there is none).
  absl::StatusOr<uint64_t> Publish(
      const std::string& subject, absl::string_view data,
      const std::vector<std::pair<std::string, std::string>>& headers = {},
      std::optional<uint64_t> expected_last_subject_seq = std::nullopt) const;

  // STREAM.PURGE of the messages on `subject`.
  absl::Status Purge(const std::string& stream, const std::string& subject) const;

  // STREAM.INFO with a subjects filter: every subject matching `filter` that has messages.
  absl::StatusOr<std::vector<std::string>> Subjects(const std::string& stream,
                                                    const std::string& filter) const;

  // CONSUMER.NAMES, every page: the names of the stream's consumers (filtered to those whose
  // filter subject is `subject`, when given).
  absl::StatusOr<std::vector<std::string>> ConsumerNames(const std::string& stream,
                                                         const std::string& subject = "") const;
  // CONSUMER.DELETE; NOT_FOUND when there is no such consumer.
  absl::Status DeleteConsumer(const std::string& stream, const std::string& name) const;

  // STREAM.INFO: the number of messages in the stream.
  absl::StatusOr<uint64_t> MessageCount(const std::string& stream) const;

 private:
  absl::StatusOr<std::optional<StoredMsg>> Get(const std::string& stream,
                                               const nlohmann::json& request) const;

  natsConnection* const connection_;
  const absl::Duration timeout_;
};

// The "err_code" of a JetStream API error object, 0 if it has none.
int JetStreamErrCode(const nlohmann::json& error);

// The status for a JetStream API error object ({"code", "err_code", "description"}).
absl::Status JetStreamError(const nlohmann::json& error, absl::string_view what);

}  // namespace unibus::common::nats

#endif  // UNIBUS_COMMON_NATS_JETSTREAM_API_H_
