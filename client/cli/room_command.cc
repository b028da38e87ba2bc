#include "client/cli/room_command.h"

#include <functional>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/command.h"
#include "client/cli/connection.h"
#include "client/cli/control_command.h"
#include "client/cli/exit_code.h"
#include "client/cli/output.h"
#include "client/cli/records.h"
#include "client/cli/room_ref.h"

namespace unibus::client::cli {
namespace {

using RoomBody = std::function<int(const ParsedArgs& args, Output& out, Connection& c,
                                   const std::string& room_id)>;

// Parses `args` for `spec` (positional[0] is ROOM), connects, resolves ROOM and runs `body`.
int WithRoom(const std::vector<std::string>& args, const Context& ctx, const CommandSpec& spec,
             const RoomBody& body) {
  return WithControlPlane(args, ctx, spec, [&](const ParsedArgs& p, Output& out, Connection& c) {
    int code = kExitOk;
    std::optional<std::string> room_id = ResolveRoomOrReport(c, out, p.positional()[0], &code);
    if (!room_id) return code;
    return body(p, out, c, *room_id);
  });
}

CommandSpec Spec(const std::string& name, size_t args, FlagSpec flags = {}) {
  return CommandSpec{absl::StrCat("room ", name), WithConnectionFlags(std::move(flags)), args,
                     args, &PrintRoomUsage};
}

void PrintRoomRow(Output& out, const v1::Room& room, v1::RoomRole my_role) {
  if (out.json()) {
    nlohmann::json j = RoomJson(room);
    j["my_role"] = RoomRoleName(my_role);
    return out.Json(j);
  }
  out.Line(absl::StrFormat("%-32s  %-20s %-6s %7d %5d  %s", room.room_id(), room.name(),
                           RoomRoleName(my_role), room.member_count(), room.epoch(),
                           RoomFlags(room)));
}

int RoomCreate(const std::vector<std::string>& args, const Context& ctx) {
  CommandSpec spec = Spec("create", 1, {{}, {"cleartext", "no-history", "unsigned"}});
  int code = kExitOk;
  std::optional<ParsedArgs> p = ParseCommand(args, spec, ctx, &code);
  if (!p) return code;
  Output out(ctx, p->Has("json"));
  RoomSettings settings;
  settings.name = p->positional()[0];
  settings.encrypted = !p->Has("cleartext");
  settings.history = !p->Has("no-history");
  if (p->Has("unsigned")) settings.signed_frames = false;
  std::optional<Connection> c = Connect(*p, ctx, out, StateMode::kNone, &code, Planes::kControlOnly);
  if (!c) return code;
  absl::StatusOr<v1::Room> room = c->client->CreateRoom(settings);
  if (!room.ok()) return c->Fail(out, room.status());
  if (out.json()) {
    nlohmann::json j = RoomJson(*room);
    j["my_role"] = "owner";
    out.Json(j);
  } else {
    out.Note(absl::StrCat("created room \"", room->name(), "\" (", RoomFlags(*room), ", epoch ",
                          room->epoch(), ")"));
    out.Line(room->room_id());
  }
  return kExitOk;
}

int RoomList(const std::vector<std::string>& args, const Context& ctx) {
  return WithControlPlane(args, ctx, Spec("list", 0),
                          [](const ParsedArgs&, Output& out, Connection& c) {
    absl::StatusOr<std::vector<v1::MyRoom>> rooms = c.client->ListMyRooms();
    if (!rooms.ok()) return c.Fail(out, rooms.status());
    if (!out.json()) {
      if (rooms->empty()) {
        out.Note("no rooms yet (create one with: unibus room create NAME)");
        return int{kExitOk};
      }
      out.Line(absl::StrFormat("%-32s  %-20s %-6s %7s %5s  %s", "ROOM ID", "NAME", "ROLE",
                               "MEMBERS", "EPOCH", "FLAGS"));
    }
    for (const v1::MyRoom& r : *rooms) PrintRoomRow(out, r.room(), r.my_role());
    return int{kExitOk};
  });
}

int RoomShow(const std::vector<std::string>& args, const Context& ctx) {
  return WithRoom(args, ctx, Spec("show", 1),
                  [](const ParsedArgs&, Output& out, Connection& c, const std::string& id) {
                    absl::StatusOr<v1::Room> room = c.client->GetRoom(id);
                    if (!room.ok()) return c.Fail(out, room.status());
                    if (out.json()) {
                      out.Json(RoomJson(*room));
                      return int{kExitOk};
                    }
                    out.Line(absl::StrCat("room     ", room->room_id()));
                    out.Line(absl::StrCat("name     ", room->name()));
                    out.Line(absl::StrCat("owner    ", room->owner()));
                    out.Line(absl::StrCat("flags    ", RoomFlags(*room)));
                    out.Line(absl::StrCat("epoch    ", room->epoch()));
                    out.Line(absl::StrCat("members  ", room->member_count()));
                    out.Line(absl::StrCat("subject  ", room->subject()));
                    return int{kExitOk};
                  });
}

int RoomMembers(const std::vector<std::string>& args, const Context& ctx) {
  return WithRoom(
      args, ctx, Spec("members", 1),
      [](const ParsedArgs&, Output& out, Connection& c, const std::string& id) {
        absl::StatusOr<std::vector<v1::Member>> members = c.client->ListMembers(id);
        if (!members.ok()) return c.Fail(out, members.status());
        if (!out.json()) {
          out.Line(absl::StrFormat("%-20s %-6s %-8s %s", "HANDLE", "ROLE", "STATUS", "USER ID"));
        }
        for (const v1::Member& m : *members) {
          if (out.json()) {
            nlohmann::json j = MemberJson(m);
            j["room_id"] = id;
            out.Json(j);
          } else {
            out.Line(absl::StrFormat("%-20s %-6s %-8s %s", m.handle(), RoomRoleName(m.role()),
                                     StatusName(m.status()), m.sign_pub()));
          }
        }
        return int{kExitOk};
      });
}

int RoomAdd(const std::vector<std::string>& args, const Context& ctx) {
  return WithRoom(
      args, ctx, Spec("add", 2, {{}, {"admin", "no-history"}}),
      [](const ParsedArgs& p, Output& out, Connection& c, const std::string& id) {
        c.scope.user = p.positional()[1];
        v1::RoomRole role = p.Has("admin") ? v1::ROOM_ROLE_ADMIN : v1::ROOM_ROLE_MEMBER;
        absl::StatusOr<v1::Member> m =
            c.client->AddMember(id, c.scope.user, role, /*share_history=*/!p.Has("no-history"));
        if (!m.ok()) return c.Fail(out, m.status());
        if (out.json()) {
          nlohmann::json j = MemberJson(*m);
          j["room_id"] = id;
          out.Json(j);
        } else {
          out.Line(absl::StrCat("added ", m->handle(), " to room ", c.scope.room, " as ",
                                RoomRoleName(m->role())));
        }
        return int{kExitOk};
      });
}

int RoomRemove(const std::vector<std::string>& args, const Context& ctx) {
  return WithRoom(args, ctx, Spec("remove", 2),
                  [](const ParsedArgs& p, Output& out, Connection& c, const std::string& id) {
                    c.scope.user = p.positional()[1];
                    absl::Status s = c.client->RemoveMember(id, c.scope.user);
                    if (!s.ok()) return c.Fail(out, s);
                    absl::StatusOr<v1::Room> room = c.client->GetRoom(id);
                    uint64_t epoch = room.ok() ? room->epoch() : 0;
                    if (out.json()) {
                      out.Json({{"room_id", id}, {"removed", c.scope.user}, {"epoch", epoch}});
                    } else {
                      out.Line(absl::StrCat("removed ", c.scope.user, " from room ", c.scope.room,
                                            "; the room key moved to epoch ", epoch));
                    }
                    return int{kExitOk};
                  });
}

int RoomLeave(const std::vector<std::string>& args, const Context& ctx) {
  return WithRoom(args, ctx, Spec("leave", 1),
                  [](const ParsedArgs&, Output& out, Connection& c, const std::string& id) {
                    absl::Status s = c.client->Leave(id);
                    if (!s.ok()) return c.Fail(out, s);
                    if (out.json()) {
                      out.Json({{"room_id", id}, {"left", true}});
                    } else {
                      out.Line(absl::StrCat("left room ", c.scope.room));
                    }
                    return int{kExitOk};
                  });
}

int RoomRekey(const std::vector<std::string>& args, const Context& ctx) {
  return WithRoom(args, ctx, Spec("rekey", 1),
                  [](const ParsedArgs&, Output& out, Connection& c, const std::string& id) {
                    absl::StatusOr<v1::Room> room = c.client->Rekey(id);
                    if (!room.ok()) return c.Fail(out, room.status());
                    if (out.json()) {
                      out.Json(RoomJson(*room));
                    } else {
                      out.Line(absl::StrCat("room ", c.scope.room, " is now at epoch ",
                                            room->epoch()));
                    }
                    return int{kExitOk};
                  });
}

int RoomDelete(const std::vector<std::string>& args, const Context& ctx) {
  return WithRoom(args, ctx, Spec("delete", 1),
                  [](const ParsedArgs&, Output& out, Connection& c, const std::string& id) {
                    absl::Status s = c.client->DeleteRoom(id);
                    if (!s.ok()) return c.Fail(out, s);
                    if (out.json()) {
                      out.Json({{"room_id", id}, {"deleted", true}});
                    } else {
                      out.Line(absl::StrCat("deleted room ", c.scope.room));
                    }
                    return int{kExitOk};
                  });
}

}  // namespace

void PrintRoomUsage(std::ostream& out) {
  out << "usage:\n"
         "  unibus room create NAME [--cleartext] [--no-history] [--unsigned]\n"
         "      a new room owned by you; prints its id. Default: end-to-end encrypted, every\n"
         "      frame signed, history kept. --cleartext only where the operator allows it.\n"
         "  unibus room list                    your rooms, with your role in each\n"
         "  unibus room show ROOM               one room's settings\n"
         "  unibus room members ROOM            who is in the room\n"
         "  unibus room add ROOM USER [--admin] [--no-history]\n"
         "      add a member (owner / room admin); the room's keys are sealed to them here\n"
         "      (all earlier keys you hold too, unless --no-history)\n"
         "  unibus room remove ROOM USER        remove a member and move to a new key at once\n"
         "  unibus room leave ROOM              leave (the owner deletes the room instead)\n"
         "  unibus room rekey ROOM              move the room to a new key (owner / room admin)\n"
         "  unibus room delete ROOM             delete the room (owner, or a global admin)\n"
         "\n"
         "ROOM is a room id or the name of one of your rooms; USER is a user id or a handle.\n"
         "\n"
      << ConnectionFlagsHelp();
}

int RunRoomCommand(const std::vector<std::string>& args, const Context& ctx) {
  return Dispatch("room", args,
                  {{"create", &RoomCreate},
                   {"list", &RoomList},
                   {"show", &RoomShow},
                   {"members", &RoomMembers},
                   {"add", &RoomAdd},
                   {"remove", &RoomRemove},
                   {"leave", &RoomLeave},
                   {"rekey", &RoomRekey},
                   {"delete", &RoomDelete}},
                  &PrintRoomUsage, ctx);
}

}  // namespace unibus::client::cli
