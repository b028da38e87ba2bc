// The conformance suite of the Store interface (store.h): one set of tests that every backend
// runs, so that all backends agree on results and on the exact absl::StatusCode of each failure
// (STYLE.md "Tests", after abseil's hash_testing.h).
//
// A backend's test instantiates it with a factory that returns a fresh, empty store:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, StoreConformanceTest,
//                            ::testing::Values(StoreFactory{"Memory", [](auto& clock, int max) {
//                              return std::make_unique<MemoryStore>(clock, max);
//                            }}),
//                            StoreFactoryName);
//
// Test data is derived from small integers: user i has sign_pub UserKey(i) and handle "user-i",
// room r has id RoomId(r); so sort order follows the numbers.
#ifndef UNIBUS_CONTROL_STORE_STORE_CONFORMANCE_H_
#define UNIBUS_CONTROL_STORE_STORE_CONFORMANCE_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/time/clock.h"
#include "control/store/store.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace unibus::control::store {

struct StoreFactory {
  // Names the instantiation in test output, e.g. "Memory".
  std::string name;
  // A new, empty store that stamps changes with `clock` (which outlives it) and admits at most
  // `max_room_members` members per room. nullptr fails the test.
  std::function<StorePtr(const common::Clock& clock, int max_room_members)> make;
};

std::string StoreFactoryName(const ::testing::TestParamInfo<StoreFactory>& info);
void PrintTo(const StoreFactory& factory, std::ostream* os);

// Field-by-field equality, with both messages in the failure text.
::testing::AssertionResult ProtoEquals(const google::protobuf::Message& expected,
                                       const google::protobuf::Message& actual);

inline absl::Status StatusOf(const absl::Status& status) { return status; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Asserts that a Status or StatusOr is OK / has the code absl::StatusCode::k<code>.
#define UNIBUS_ASSERT_OK(expr)                                                      \
  do {                                                                              \
    const ::absl::Status unibus_status_ = ::unibus::control::store::StatusOf(expr); \
    ASSERT_TRUE(unibus_status_.ok()) << unibus_status_;                             \
  } while (0)
#define UNIBUS_EXPECT_CODE(expected, expr)                                          \
  do {                                                                              \
    const ::absl::Status unibus_status_ = ::unibus::control::store::StatusOf(expr); \
    EXPECT_EQ(unibus_status_.code(), ::absl::StatusCode::expected) << unibus_status_; \
  } while (0)

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 public:
  // ---- Test data (public for backend-specific tests) ----
  static std::string UserKey(int user);
  static v1::User MakeUser(int user, v1::Role role = v1::ROLE_MEMBER);
  static std::string RoomId(int room);
  // Epoch 1 when encrypted, else 0; created_at_ms = 5000 + room.
  static v1::Room MakeRoom(int room, int owner, bool encrypted);
  // An 80-byte sealed key and 64-byte signature (both containing NUL bytes) signed by user 1.
  static v1::SealedKey MakeKey(int room, uint64_t epoch, int recipient);
  static std::vector<v1::SealedKey> MakeKeys(int room, uint64_t epoch,
                                             const std::vector<int>& recipients);

 protected:
  // Small, so that "room full" is quick to reach.
  static constexpr int kRoomLimit = 4;

  void SetUp() override;

  // ---- Steps that tests expect to succeed ----
  // Users first..last inclusive.
  absl::Status AddUsers(int first, int last, v1::Role role = v1::ROLE_MEMBER);
  // Encrypted rooms get the owner's epoch-1 key.
  absl::Status CreateRoom(int room, int owner, bool encrypted);
  // Adds `user` at the room's current epoch, with its key when encrypted.
  absl::Status Join(int room, int user, v1::RoomRole role = v1::ROOM_ROLE_MEMBER);

  // ---- Observations ----
  // Everything the store tells about `room` and `users` (room, members, memberships, keys of
  // epochs 0..3) and the feed position: equal snapshots mean "nothing changed".
  std::string Snapshot(int room, const std::vector<int>& users);
  std::vector<v1::Change> ChangesAfter(uint64_t after);
  uint64_t Latest();

  common::FakeClock clock_;
  StorePtr store_;
};

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_STORE_CONFORMANCE_H_
