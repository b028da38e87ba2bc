#include "control/store/kv/kv_store_internal.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace unibus::control::store::kv {

std::string Enc(absl::string_view part) {
  const bool plain = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  });
  return plain ? std::string(part) : absl::StrCat("=", absl::BytesToHexString(part));
}

std::string UserKeyName(absl::string_view sign_pub) { return absl::StrCat("u.", Enc(sign_pub)); }
std::string HandleKeyName(absl::string_view handle) { return absl::StrCat("h.", Enc(handle)); }
std::string RoomKeyName(absl::string_view room_id) { return absl::StrCat("r.", Enc(room_id)); }
std::string DeletedRoomKeyName(absl::string_view room_id) {
  return absl::StrCat("d.", Enc(room_id));
}

std::string IndexKeyName(absl::string_view sign_pub, absl::string_view room_id) {
  return absl::StrCat("m.", Enc(sign_pub), ".", Enc(room_id));
}

std::string IndexFilter(absl::string_view sign_pub) {
  return absl::StrCat("m.", Enc(sign_pub), ".*");
}

std::string SealedKeyName(absl::string_view room_id, absl::string_view incarnation,
                          uint64_t epoch, absl::string_view epoch_tag,
                          absl::string_view join_tag, absl::string_view recipient) {
  return absl::StrCat("k.", Enc(room_id), ".", incarnation, ".", epoch, ".", epoch_tag, ".",
                      join_tag, ".", Enc(recipient));
}

std::string RoomKeysFilter(absl::string_view room_id, absl::string_view incarnation) {
  return absl::StrCat("k.", Enc(room_id), ".", incarnation, ".>");
}

std::string MemberKeysFilter(absl::string_view room_id, absl::string_view incarnation,
                             absl::string_view join_tag, absl::string_view recipient) {
  return absl::StrCat("k.", Enc(room_id), ".", incarnation, ".*.*.", join_tag, ".",
                      Enc(recipient));
}

std::string EpochKeysFilter(absl::string_view room_id, absl::string_view incarnation,
                            uint64_t epoch, absl::string_view epoch_tag) {
  return absl::StrCat("k.", Enc(room_id), ".", incarnation, ".", epoch, ".", epoch_tag, ".>");
}

std::string NewTag() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("%08x%016x", absl::Uniform<uint32_t>(gen),
                         absl::Uniform<uint64_t>(gen));
}

absl::Status Corrupt() { return absl::InternalError("a control store record is corrupt"); }

MemberEntry* FindMember(RoomRecord& record, absl::string_view sign_pub) {
  for (MemberEntry& m : *record.mutable_members()) {
    if (m.sign_pub() == sign_pub) return &m;
  }
  return nullptr;
}

const MemberEntry* FindMember(const RoomRecord& record, absl::string_view sign_pub) {
  for (const MemberEntry& m : record.members()) {
    if (m.sign_pub() == sign_pub) return &m;
  }
  return nullptr;
}

v1::Room RoomView(const RoomRecord& record) {
  v1::Room room = record.room();
  room.set_member_count(static_cast<uint32_t>(record.members_size()));
  return room;
}

}  // namespace unibus::control::store::kv
