// The members of one room as a receiver last saw them, to accept frames only from members
// (docs/frames.md §9): a sender not in the set makes it re-read the member list, at most once per
// `min_refresh` (so frames naming strangers cannot make every receiver call the control plane
// for each frame).
//
// Thread-compatible (one subscription's delivery thread). The fetch function is called without
// any lock; the clock must outlive the set.
#ifndef UNIBUS_CLIENT_INTERNAL_MEMBER_SET_H_
#define UNIBUS_CLIENT_INTERNAL_MEMBER_SET_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/time/clock.h"

namespace unibus::client::internal {

class MemberSet {
 public:
  // Returns the member keys (hex sign_pub) of the room.
  using Fetch = std::function<absl::StatusOr<std::vector<std::string>>()>;

  MemberSet(Fetch fetch, const common::Clock& clock,
            absl::Duration min_refresh = absl::Seconds(2),
            absl::Duration max_age = absl::Seconds(30))
      : fetch_(std::move(fetch)), clock_(clock), min_refresh_(min_refresh), max_age_(max_age) {}

  // True if `sign_pub_hex` is a member: re-reads the list once if it was not (and the last read
  // is older than min_refresh), and whenever the list is older than max_age (so a removed member
  // stops counting). A failed read keeps the previous list.
  bool Contains(const std::string& sign_pub_hex);

 private:
  const Fetch fetch_;
  const common::Clock& clock_;
  const absl::Duration min_refresh_;
  const absl::Duration max_age_;
  absl::flat_hash_set<std::string> members_;
  absl::Time fetched_ = absl::InfinitePast();
};

}  // namespace unibus::client::internal

#endif  // UNIBUS_CLIENT_INTERNAL_MEMBER_SET_H_
