#include "client/internal/room_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/files/files.h"

namespace unibus::client::internal {
namespace {

constexpr absl::string_view kMagic = "unibus-room-state 1\n";

std::string DirOf(const std::string& state_dir, const std::string& identity_hex) {
  return absl::StrCat(state_dir, "/", identity_hex);
}

}  // namespace

absl::StatusOr<RoomState> LoadRoomState(const std::string& state_dir,
                                        const std::string& identity_hex,
                                        const std::string& room_id) {
  std::string path = absl::StrCat(DirOf(state_dir, identity_hex), "/", room_id, ".state");
  if (!common::FileExists(path)) return absl::NotFoundError("no saved state");
  absl::StatusOr<std::string> text = common::ReadFile(path);
  if (!text.ok()) return text.status();
  absl::string_view rest = *text;
  absl::Status corrupt = absl::InvalidArgumentError(absl::StrCat("corrupt state file ", path));
  if (!absl::ConsumePrefix(&rest, kMagic) || !absl::ConsumePrefix(&rest, "seq ")) return corrupt;
  size_t eol = rest.find('\n');
  RoomState state;
  if (eol == absl::string_view::npos || !absl::SimpleAtoi(rest.substr(0, eol), &state.last_seq)) {
    return corrupt;
  }
  absl::StatusOr<ReplayGuard> guard = ReplayGuard::Parse(rest.substr(eol + 1));
  if (!guard.ok()) return corrupt;
  state.guard = *std::move(guard);
  return state;
}

absl::Status SaveRoomState(const std::string& state_dir, const std::string& identity_hex,
                           const std::string& room_id, const RoomState& state) {
  std::string dir = DirOf(state_dir, identity_hex);
  mkdir(state_dir.c_str(), 0700);
  mkdir(dir.c_str(), 0700);
  std::string path = absl::StrCat(dir, "/", room_id, ".state");
  std::string tmp = absl::StrCat(path, ".tmp");
  std::string text = absl::StrCat(kMagic, "seq ", state.last_seq, "\n", state.guard.Serialize());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot write state in ", dir));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool ok = done == text.size() && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot write state in ", dir));
  }
  return absl::OkStatus();
}

}  // namespace unibus::client::internal
