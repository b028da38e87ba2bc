#include "client/internal/room_state.h"

#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"

namespace unibus::client::internal {
namespace {

std::string TempDir() {
  std::string dir = std::string(getenv("TEST_TMPDIR")) + "/state-XXXXXX";
  return mkdtemp(dir.data());
}

TEST(RoomStateTest, SavedStateLoadsBack) {
  std::string dir = TempDir();
  RoomState state;
  state.last_seq = 77;
  state.guard.Accept(std::string(32, 'a'), 5);
  ASSERT_TRUE(SaveRoomState(dir, "me", "room1", state).ok());
  absl::StatusOr<RoomState> back = LoadRoomState(dir, "me", "room1");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->last_seq, 77u);
  EXPECT_FALSE(back->guard.Accept(std::string(32, 'a'), 5));
}

TEST(RoomStateTest, MissingStateIsNotFoundAndCorruptStateIsAnError) {
  std::string dir = TempDir();
  EXPECT_EQ(LoadRoomState(dir, "me", "room1").status().code(), absl::StatusCode::kNotFound);
  RoomState empty;
  ASSERT_TRUE(SaveRoomState(dir, "me", "room1", empty).ok());
  std::ofstream(dir + "/me/room1.state") << "garbage\n";
  EXPECT_EQ(LoadRoomState(dir, "me", "room1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace unibus::client::internal
