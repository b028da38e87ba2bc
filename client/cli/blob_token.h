// Blob tokens: one blob of one room as a single line of text, for `unibus blob put` / `blob get`
// and recv --json's "blob_token":
//
//   ubblob1:<base64url, no padding, of a serialized unibus.v1.BlobLink>
//
// (proto/unibus/v1/blob_link.proto: the room id and the whole BlobRef). The token holds the
// blob's key, so it is as secret as the file: anyone who has it and is a member of the room can
// read the file. The "1" is the token format's version.
//
// Thread safety: pure functions.
#ifndef UNIBUS_CLIENT_CLI_BLOB_TOKEN_H_
#define UNIBUS_CLIENT_CLI_BLOB_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "unibus/v1/blob_link.pb.h"
#include "unibus/v1/frames.pb.h"

namespace unibus::client::cli {

inline constexpr absl::string_view kBlobTokenPrefix = "ubblob1:";

// REQUIRES: `room_id` and `ref` as the library returns them (they are written as they are).
std::string EncodeBlobToken(const std::string& room_id, const v1::BlobRef& ref);

// The link a token carries (surrounding white space is ignored; room id and address are
// lower-cased). INVALID_ARGUMENT, with a message for the user, unless it starts with
// "ubblob1:", is base64url without padding, holds a BlobLink and that link names a room
// (32 hex), an address (64 hex) and a 32-byte key.
absl::StatusOr<v1::BlobLink> DecodeBlobToken(absl::string_view token);

}  // namespace unibus::client::cli

#endif  // UNIBUS_CLIENT_CLI_BLOB_TOKEN_H_
