// KvStore: rooms, members and sealed keys (users, the change feed, Import/Dump: kv_store.cc).
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "control/store/key_rules.h"
#include "control/store/kv/kv_records.pb.h"
#include "control/store/kv/kv_store.h"
#include "control/store/kv/kv_store_internal.h"

namespace unibus::control::store {

using kv::IndexRecord;
using kv::MemberEntry;
using kv::RoomRecord;

namespace {

// The tag of `epoch`'s key set in `record`, created if the epoch has none yet.
std::string EpochTag(RoomRecord& record, uint64_t epoch) {
  auto& tags = *record.mutable_epoch_tags();
  auto it = tags.find(epoch);
  if (it != tags.end()) return it->second;
  std::string tag = kv::NewTag();
  tags[epoch] = tag;
  return tag;
}

// Inserts a member, keeping members in ascending sign_pub order.
MemberEntry& InsertMember(RoomRecord& record, const std::string& sign_pub) {
  MemberEntry* added = record.add_members();
  added->set_sign_pub(sign_pub);
  auto* members = record.mutable_members();
  std::sort(members->begin(), members->end(),
            [](const MemberEntry& a, const MemberEntry& b) { return a.sign_pub() < b.sign_pub(); });
  return *kv::FindMember(record, sign_pub);
}

void EraseMember(RoomRecord& record, absl::string_view sign_pub) {
  auto* members = record.mutable_members();
  for (int i = 0; i < members->size(); ++i) {
    if (members->Get(i).sign_pub() == sign_pub) {
      members->erase(members->begin() + i);
      return;
    }
  }
}

// Plans the keys of a new epoch for the members of `record` (REQUIRES: keys checked).
void PlanEpochKeys(RoomRecord& record, uint64_t epoch, const std::vector<v1::SealedKey>& keys,
                   KvStore::RoomPlan& plan) {
  const std::string tag = kv::NewTag();
  (*record.mutable_epoch_tags())[epoch] = tag;
  for (v1::SealedKey key : keys) {
    key.set_room_id(record.room().room_id());
    const MemberEntry* member = kv::FindMember(record, key.recipient());
    plan.keys.emplace_back(kv::SealedKeyName(record.room().room_id(), record.incarnation(), epoch,
                                             tag, member->join_tag(), key.recipient()),
                           key.SerializeAsString());
  }
  plan.purge_on_abort.push_back(
      kv::EpochKeysFilter(record.room().room_id(), record.incarnation(), epoch, tag));
}

}  // namespace

// ---- The read-modify-write of a room record ----

absl::StatusOr<RoomRecord> KvStore::UpdateRoom(
    absl::string_view room_id,
    const std::function<absl::Status(bool exists, RoomRecord& record, RoomPlan& plan)>& mutate) {
  const std::string key = kv::RoomKeyName(room_id);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    absl::StatusOr<Loaded<RoomRecord>> current = Load<RoomRecord>(key);
    if (!current.ok()) return current.status();
    if (current->found) {
      absl::Status flushed = Publish(current->record.outbox());  // Before overwriting it.
      if (!flushed.ok()) return flushed;
      if (current->record.deleted()) {  // Finish the deletion, then look again.
        FinishDelete(current->record, current->revision);
        continue;
      }
    }
    RoomRecord next = current->found ? current->record : RoomRecord();
    next.clear_outbox();
    RoomPlan plan;
    absl::Status planned = mutate(current->found, next, plan);
    if (!planned.ok()) return planned;
    if (!plan.write) return next;
    if (!plan.changes.empty()) {
      next.mutable_outbox()->set_mutation_id(kv::NewTag());
      for (v1::Change& change : plan.changes) *next.mutable_outbox()->add_changes() = change;
    }
    absl::Status written = WriteKeys(plan, std::string(room_id));
    if (!written.ok()) {
      AbandonRoomPlan(std::string(room_id), plan);
      return written;
    }
    absl::StatusOr<uint64_t> committed =
        bucket_->Cas(key, next.SerializeAsString(), current->revision);
    if (absl::IsAborted(committed.status())) {  // Lost: our keys are garbage.
      AbandonRoomPlan(std::string(room_id), plan);
      continue;
    }
    // Any other error is ambiguous (the write may have committed): keep the keys.
    if (!committed.ok()) return committed.status();
    if (crash_after_commit_) return next;
    AfterRoomCommit(next, *committed, plan);
    next.clear_outbox();
    return next;
  }
  return absl::AbortedError("too much contention, try again");
}

absl::Status KvStore::WriteKeys(const RoomPlan& plan, const std::string& room_id) {
  IndexRecord index;
  index.set_room_id(room_id);
  for (const std::string& sign_pub : plan.add_index) {
    absl::Status status =
        bucket_->Put(kv::IndexKeyName(sign_pub, room_id), index.SerializeAsString());
    if (!status.ok()) return status;
  }
  for (const auto& [name, value] : plan.keys) {
    absl::Status status = bucket_->Put(name, value);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

void KvStore::AbandonRoomPlan(const std::string& room_id, const RoomPlan& plan) {
  for (const std::string& filter : plan.purge_on_abort) (void)bucket_->Purge(filter);
  for (const std::string& sign_pub : plan.add_index) RemoveIndexIfStale(sign_pub, room_id);
}

void KvStore::AfterRoomCommit(const RoomRecord& record, uint64_t revision, const RoomPlan& plan) {
  const std::string& room_id = record.room().room_id();
  if (!Publish(record.outbox()).ok()) {
    NotePending(kv::RoomKeyName(room_id));  // The relay retries (or the next writer).
    return;
  }
  if (record.deleted()) {
    FinishDelete(record, revision);
    return;
  }
  if (record.outbox().changes_size() > 0) {
    RoomRecord cleared = record;
    cleared.clear_outbox();
    (void)bucket_->Cas(kv::RoomKeyName(room_id), cleared.SerializeAsString(), revision);
  }
  // Written again after the commit: a concurrent clean-up that read the room before it may have
  // deleted the entry written before it.
  IndexRecord index;
  index.set_room_id(room_id);
  for (const std::string& sign_pub : plan.add_index) {
    (void)bucket_->Put(kv::IndexKeyName(sign_pub, room_id), index.SerializeAsString());
  }
  for (const auto& [sign_pub, join_tag] : plan.departed) {
    (void)bucket_->Purge(
        kv::MemberKeysFilter(room_id, record.incarnation(), join_tag, sign_pub));
    RemoveIndexIfStale(sign_pub, room_id);
  }
}

void KvStore::FinishDelete(const RoomRecord& tombstone, uint64_t revision) {
  const std::string& room_id = tombstone.room().room_id();
  // The lasting tombstone first: the room record (which refuses the id meanwhile) goes only
  // once it is written.
  kv::DeletedRoomRecord deleted;
  deleted.set_room_id(room_id);
  deleted.set_deleted_at_ms(tombstone.deleted_at_ms());
  if (!bucket_->Put(kv::DeletedRoomKeyName(room_id), deleted.SerializeAsString()).ok()) return;
  if (!bucket_->Purge(kv::RoomKeysFilter(room_id, tombstone.incarnation())).ok()) return;
  for (const MemberEntry& member : tombstone.members()) {
    RemoveIndexIfStale(member.sign_pub(), room_id);
  }
  (void)bucket_->DeleteIf(kv::RoomKeyName(room_id), revision);
}

void KvStore::RemoveIndexIfStale(const std::string& sign_pub, const std::string& room_id) {
  const std::string key = kv::IndexKeyName(sign_pub, room_id);
  absl::StatusOr<Loaded<IndexRecord>> index = Load<IndexRecord>(key);
  if (!index.ok() || !index->found) return;
  absl::StatusOr<Loaded<RoomRecord>> room = Load<RoomRecord>(kv::RoomKeyName(room_id));
  if (!room.ok()) return;
  if (room->found && !room->record.deleted() && kv::FindMember(room->record, sign_pub) != nullptr) {
    return;
  }
  (void)bucket_->DeleteIf(key, index->revision);  // Fails if the entry was written again.
}

// ---- Views ----

absl::StatusOr<RoomRecord> KvStore::LoadLiveRoom(absl::string_view room_id) {
  absl::StatusOr<Loaded<RoomRecord>> loaded = Load<RoomRecord>(kv::RoomKeyName(room_id));
  if (!loaded.ok()) return loaded.status();
  if (!loaded->found || loaded->record.deleted()) return absl::NotFoundError("room not found");
  return std::move(loaded->record);
}

absl::StatusOr<v1::User> KvStore::ActiveUser(absl::string_view sign_pub) {
  absl::StatusOr<v1::User> user = GetUser(sign_pub);
  if (!user.ok()) return user.status();
  if (user->status() != v1::USER_STATUS_ACTIVE) return absl::NotFoundError("user not found");
  return user;
}

absl::StatusOr<v1::Member> KvStore::MemberView(const MemberEntry& entry) {
  absl::StatusOr<v1::User> user = GetUser(entry.sign_pub());
  if (absl::IsNotFound(user.status())) return kv::Corrupt();
  if (!user.ok()) return user.status();
  v1::Member view;
  view.set_sign_pub(entry.sign_pub());
  view.set_role(entry.role());
  view.set_added_at_ms(entry.added_at_ms());
  view.set_kex_pub(user->kex_pub());
  view.set_handle(user->handle());
  view.set_status(user->status());
  return view;
}

absl::StatusOr<std::vector<std::string>> KvStore::ActiveMembersOf(const RoomRecord& record) {
  std::vector<std::string> active;
  for (const MemberEntry& member : record.members()) {
    absl::StatusOr<v1::User> user = GetUser(member.sign_pub());
    if (absl::IsNotFound(user.status())) continue;
    if (!user.ok()) return user.status();
    if (user->status() == v1::USER_STATUS_ACTIVE) active.push_back(member.sign_pub());
  }
  return active;
}

// ---- Rooms ----

absl::StatusOr<bool> KvStore::WasDeleted(absl::string_view room_id) {
  absl::StatusOr<Loaded<kv::DeletedRoomRecord>> deleted =
      Load<kv::DeletedRoomRecord>(kv::DeletedRoomKeyName(room_id));
  if (!deleted.ok()) return deleted.status();
  if (deleted->found) return true;
  // A deletion whose clean-up (and lasting tombstone) is still pending.
  absl::StatusOr<Loaded<RoomRecord>> room = Load<RoomRecord>(kv::RoomKeyName(room_id));
  if (!room.ok()) return room.status();
  return room->found && room->record.deleted();
}

absl::Status KvStore::CreateRoom(const v1::Room& room, const v1::SealedKey* owner_key) {
  // Checked before the update too: it would otherwise finish a pending deletion first.
  absl::StatusOr<bool> deleted = WasDeleted(room.room_id());
  if (!deleted.ok()) return deleted.status();
  if (*deleted) return absl::AlreadyExistsError("room id is taken");
  auto mutate = [&](bool exists, RoomRecord& next, RoomPlan& plan) -> absl::Status {
    if (exists) return absl::AlreadyExistsError("room id is taken");
    // Deleted since the check above: its tombstone was written before its record went.
    absl::StatusOr<bool> deleted_since = WasDeleted(room.room_id());
    if (!deleted_since.ok()) return deleted_since.status();
    if (*deleted_since) return absl::AlreadyExistsError("room id is taken");
    absl::StatusOr<v1::User> owner = ActiveUser(room.owner());
    if (!owner.ok()) return owner.status();
    const bool encrypted = room.policy().encrypted();
    if (encrypted && owner_key == nullptr) {
      return absl::FailedPreconditionError("an encrypted room needs the owner's key");
    }
    next.Clear();
    *next.mutable_room() = room;
    next.mutable_room()->set_needs_rekey(false);
    next.mutable_room()->set_member_count(0);
    next.set_incarnation(kv::NewTag());
    MemberEntry& entry = InsertMember(next, room.owner());
    entry.set_role(v1::ROOM_ROLE_OWNER);
    entry.set_added_at_ms(room.created_at_ms());
    entry.set_join_tag(kv::NewTag());
    if (encrypted) {
      v1::SealedKey key = *owner_key;
      key.set_room_id(room.room_id());
      plan.keys.emplace_back(
          kv::SealedKeyName(room.room_id(), next.incarnation(), key.epoch(),
                            EpochTag(next, key.epoch()), entry.join_tag(), key.recipient()),
          key.SerializeAsString());
      EpochTag(next, room.epoch());
    }
    plan.add_index.push_back(room.owner());
    plan.purge_on_abort.push_back(kv::RoomKeysFilter(room.room_id(), next.incarnation()));
    plan.changes.push_back(MakeChange(v1::CHANGE_KIND_MEMBER_ADDED, room.owner(), room.room_id()));
    return absl::OkStatus();
  };
  return UpdateRoom(room.room_id(), mutate).status();
}

absl::StatusOr<v1::Room> KvStore::GetRoom(absl::string_view room_id) {
  absl::StatusOr<RoomRecord> record = LoadLiveRoom(room_id);
  if (!record.ok()) return record.status();
  return kv::RoomView(*record);
}

absl::StatusOr<v1::Member> KvStore::GetMember(absl::string_view room_id,
                                              absl::string_view sign_pub) {
  absl::StatusOr<RoomRecord> record = LoadLiveRoom(room_id);
  if (!record.ok()) return record.status();
  const MemberEntry* member = kv::FindMember(*record, sign_pub);
  if (member == nullptr) return absl::NotFoundError("member not found");
  return MemberView(*member);
}

absl::StatusOr<Page<v1::Member>> KvStore::ListMembers(absl::string_view room_id,
                                                      absl::string_view after, int limit) {
  absl::StatusOr<RoomRecord> record = LoadLiveRoom(room_id);
  if (!record.ok()) return record.status();
  Page<v1::Member> page;
  for (const MemberEntry& member : record->members()) {
    if (member.sign_pub() <= after) continue;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next = page.items.back().sign_pub();
      break;
    }
    absl::StatusOr<v1::Member> view = MemberView(member);
    if (!view.ok()) return view.status();
    page.items.push_back(*std::move(view));
  }
  return page;
}

absl::StatusOr<Page<RoomMembership>> KvStore::ListRoomsOf(absl::string_view sign_pub,
                                                          absl::string_view after, int limit) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> listed =
      bucket_->List(kv::IndexFilter(sign_pub));
  if (!listed.ok()) return listed.status();
  std::vector<std::string> room_ids;
  for (const auto& entry : *listed) {
    IndexRecord index;
    if (!index.ParseFromString(entry.second)) return kv::Corrupt();
    if (index.room_id() > after) room_ids.push_back(index.room_id());
  }
  std::sort(room_ids.begin(), room_ids.end());
  Page<RoomMembership> page;
  for (const std::string& room_id : room_ids) {
    absl::StatusOr<RoomRecord> record = LoadLiveRoom(room_id);
    if (absl::IsNotFound(record.status())) continue;  // A stale index entry grants nothing.
    if (!record.ok()) return record.status();
    const MemberEntry* member = kv::FindMember(*record, sign_pub);
    if (member == nullptr) continue;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next = page.items.back().room.room_id();
      break;
    }
    page.items.push_back({kv::RoomView(*record), member->role()});
  }
  return page;
}

absl::StatusOr<v1::Member> KvStore::AddMember(absl::string_view room_id,
                                              const v1::Member& member, uint64_t expected_epoch,
                                              const std::vector<v1::SealedKey>& keys) {
  v1::Member added;
  auto mutate = [&](bool exists, RoomRecord& next, RoomPlan& plan) -> absl::Status {
    if (!exists) return absl::NotFoundError("room not found");
    absl::StatusOr<v1::User> user = ActiveUser(member.sign_pub());
    if (!user.ok()) return user.status();
    if (kv::FindMember(next, member.sign_pub()) != nullptr) {
      return absl::AlreadyExistsError("already a member");
    }
    const bool encrypted = next.room().policy().encrypted();
    if (encrypted && expected_epoch != next.room().epoch()) {
      return absl::AbortedError("the room's epoch has changed");
    }
    absl::Status keys_ok = CheckNewMemberKeys(encrypted, next.room().epoch(), keys);
    if (!keys_ok.ok()) return keys_ok;
    if (next.members_size() >= max_room_members_) {
      return absl::ResourceExhaustedError("the room is full");
    }
    MemberEntry& entry = InsertMember(next, member.sign_pub());
    entry.set_role(member.role());
    entry.set_added_at_ms(member.added_at_ms());
    entry.set_join_tag(kv::NewTag());
    for (v1::SealedKey key : keys) {
      key.set_room_id(next.room().room_id());
      plan.keys.emplace_back(
          kv::SealedKeyName(next.room().room_id(), next.incarnation(), key.epoch(),
                            EpochTag(next, key.epoch()), entry.join_tag(), key.recipient()),
          key.SerializeAsString());
    }
    plan.purge_on_abort.push_back(kv::MemberKeysFilter(next.room().room_id(), next.incarnation(),
                                                       entry.join_tag(), member.sign_pub()));
    plan.add_index.push_back(member.sign_pub());
    plan.changes.push_back(
        MakeChange(v1::CHANGE_KIND_MEMBER_ADDED, member.sign_pub(), next.room().room_id()));
    added.set_sign_pub(member.sign_pub());
    added.set_role(member.role());
    added.set_added_at_ms(member.added_at_ms());
    added.set_kex_pub(user->kex_pub());
    added.set_handle(user->handle());
    added.set_status(user->status());
    return absl::OkStatus();
  };
  absl::StatusOr<RoomRecord> committed = UpdateRoom(room_id, mutate);
  if (!committed.ok()) return committed.status();
  return added;
}

namespace {

// FindDeparting of the reference backends: the member exists and is not the owner.
absl::Status CheckDeparting(bool exists, const RoomRecord& record, absl::string_view sign_pub) {
  if (!exists) return absl::NotFoundError("room not found");
  if (kv::FindMember(record, sign_pub) == nullptr) return absl::NotFoundError("member not found");
  if (record.room().owner() == sign_pub) {
    return absl::FailedPreconditionError("the owner cannot leave or be removed");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Room> KvStore::RemoveMember(absl::string_view room_id,
                                               absl::string_view sign_pub, uint64_t new_epoch,
                                               const std::vector<v1::SealedKey>& keys) {
  auto mutate = [&](bool exists, RoomRecord& next, RoomPlan& plan) -> absl::Status {
    absl::Status departing = CheckDeparting(exists, next, sign_pub);
    if (!departing.ok()) return departing;
    const bool encrypted = next.room().policy().encrypted();
    if (encrypted && new_epoch != next.room().epoch() + 1) {
      return absl::AbortedError("new_epoch is not the room's epoch + 1");
    }
    absl::Status keys_ok;
    if (encrypted) {
      absl::StatusOr<std::vector<std::string>> remaining = ActiveMembersOf(next);
      if (!remaining.ok()) return remaining.status();
      remaining->erase(std::remove(remaining->begin(), remaining->end(), sign_pub),
                       remaining->end());
      keys_ok = CheckKeysCoverExactly(*remaining, new_epoch, keys);
    } else {
      keys_ok = CheckNewMemberKeys(false, 0, keys);
    }
    if (!keys_ok.ok()) return keys_ok;
    plan.departed.emplace_back(std::string(sign_pub),
                               kv::FindMember(next, sign_pub)->join_tag());
    EraseMember(next, sign_pub);
    if (encrypted) {
      next.mutable_room()->set_epoch(new_epoch);
      next.mutable_room()->set_needs_rekey(false);
      PlanEpochKeys(next, new_epoch, keys, plan);
    }
    plan.changes.push_back(
        MakeChange(v1::CHANGE_KIND_MEMBER_REMOVED, sign_pub, next.room().room_id()));
    return absl::OkStatus();
  };
  absl::StatusOr<RoomRecord> committed = UpdateRoom(room_id, mutate);
  if (!committed.ok()) return committed.status();
  return kv::RoomView(*committed);
}

absl::Status KvStore::Leave(absl::string_view room_id, absl::string_view sign_pub) {
  auto mutate = [&](bool exists, RoomRecord& next, RoomPlan& plan) -> absl::Status {
    absl::Status departing = CheckDeparting(exists, next, sign_pub);
    if (!departing.ok()) return departing;
    plan.departed.emplace_back(std::string(sign_pub),
                               kv::FindMember(next, sign_pub)->join_tag());
    EraseMember(next, sign_pub);
    if (next.room().policy().encrypted()) next.mutable_room()->set_needs_rekey(true);
    plan.changes.push_back(
        MakeChange(v1::CHANGE_KIND_MEMBER_REMOVED, sign_pub, next.room().room_id()));
    return absl::OkStatus();
  };
  return UpdateRoom(room_id, mutate).status();
}

absl::StatusOr<v1::Room> KvStore::Rekey(absl::string_view room_id, uint64_t new_epoch,
                                        const std::vector<v1::SealedKey>& keys) {
  auto mutate = [&](bool exists, RoomRecord& next, RoomPlan& plan) -> absl::Status {
    if (!exists) return absl::NotFoundError("room not found");
    if (!next.room().policy().encrypted()) {
      return absl::FailedPreconditionError("cleartext rooms have no keys");
    }
    if (new_epoch != next.room().epoch() + 1) {
      return absl::AbortedError("new_epoch is not the room's epoch + 1");
    }
    absl::StatusOr<std::vector<std::string>> active = ActiveMembersOf(next);
    if (!active.ok()) return active.status();
    absl::Status keys_ok = CheckKeysCoverExactly(*active, new_epoch, keys);
    if (!keys_ok.ok()) return keys_ok;
    next.mutable_room()->set_epoch(new_epoch);
    next.mutable_room()->set_needs_rekey(false);
    PlanEpochKeys(next, new_epoch, keys, plan);
    return absl::OkStatus();
  };
  absl::StatusOr<RoomRecord> committed = UpdateRoom(room_id, mutate);
  if (!committed.ok()) return committed.status();
  return kv::RoomView(*committed);
}

absl::StatusOr<v1::SealedKey> KvStore::GetSealedKey(absl::string_view room_id, uint64_t epoch,
                                                    absl::string_view recipient) {
  absl::StatusOr<RoomRecord> record = LoadLiveRoom(room_id);
  if (!record.ok()) return record.status();
  if (epoch == 0) epoch = record->room().epoch();
  auto tag = record->epoch_tags().find(epoch);
  const MemberEntry* member = kv::FindMember(*record, recipient);
  if (tag == record->epoch_tags().end() || member == nullptr) {
    return absl::NotFoundError("no key for that epoch");
  }
  absl::StatusOr<Loaded<v1::SealedKey>> key = Load<v1::SealedKey>(
      kv::SealedKeyName(room_id, record->incarnation(), epoch, tag->second, member->join_tag(),
                        recipient));
  if (!key.ok()) return key.status();
  if (!key->found) return absl::NotFoundError("no key for that epoch");
  return std::move(key->record);
}

absl::Status KvStore::DeleteRoom(absl::string_view room_id) {
  auto mutate = [&](bool exists, RoomRecord& next, RoomPlan& plan) -> absl::Status {
    if (!exists) return absl::NotFoundError("room not found");
    next.set_deleted(true);
    next.set_deleted_at_ms(clock_.NowMs());
    for (const MemberEntry& member : next.members()) {  // Ascending sign_pub.
      plan.changes.push_back(
          MakeChange(v1::CHANGE_KIND_MEMBER_REMOVED, member.sign_pub(), next.room().room_id()));
    }
    return absl::OkStatus();
  };
  return UpdateRoom(room_id, mutate).status();
}

absl::Status KvStore::MarkRoomsNeedRekey(const std::string& sign_pub) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> listed =
      bucket_->List(kv::IndexFilter(sign_pub));
  if (!listed.ok()) return listed.status();
  for (const auto& entry : *listed) {
    IndexRecord index;
    if (!index.ParseFromString(entry.second)) return kv::Corrupt();
    auto mutate = [&](bool exists, RoomRecord& next, RoomPlan& plan) -> absl::Status {
      plan.write = exists && next.room().policy().encrypted() && !next.room().needs_rekey() &&
                   kv::FindMember(next, sign_pub) != nullptr;
      if (plan.write) next.mutable_room()->set_needs_rekey(true);
      return absl::OkStatus();
    };
    absl::StatusOr<RoomRecord> updated = UpdateRoom(index.room_id(), mutate);
    if (!updated.ok()) return updated.status();
  }
  return absl::OkStatus();
}

}  // namespace unibus::control::store
