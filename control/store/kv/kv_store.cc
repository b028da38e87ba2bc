// KvStore: opening, users, the change feed (outbox), Import and Dump (rooms: kv_rooms.cc).
#include "control/store/kv/kv_store.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "control/store/kv/kv_records.pb.h"
#include "control/store/kv/kv_store_internal.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace unibus::control::store {

using kv::HandleRecord;
using kv::Outbox;
using kv::RoomRecord;
using kv::UserRecord;

// ---- Opening ----

absl::StatusOr<std::unique_ptr<KvStore>> KvStore::Open(const KvStoreOptions& options,
                                                       const common::Clock& clock,
                                                       int max_room_members) {
  if (options.connection == nullptr) return absl::InvalidArgumentError("no NATS connection");
  if (options.replicas < 1 || options.replicas > 5) {
    return absl::InvalidArgumentError("replicas must be 1 to 5");
  }
  if (options.bucket.empty() || kv::Enc(options.bucket) != options.bucket) {
    return absl::InvalidArgumentError("bucket must match [A-Za-z0-9_-]+");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout must be positive");
  }
  kv::KvBucketOptions bucket_options;
  bucket_options.bucket = options.bucket;
  bucket_options.replicas = options.replicas;
  bucket_options.timeout = options.timeout;
  absl::StatusOr<std::unique_ptr<kv::KvBucket>> bucket =
      kv::KvBucket::Open(options.connection, bucket_options);
  if (!bucket.ok()) return bucket.status();
  std::unique_ptr<KvStore> store(new KvStore(std::move(*bucket), clock, max_room_members,
                                             options.crash_after_commit_for_testing));
  if (!options.crash_after_commit_for_testing) {
    absl::Status recovered = store->Recover();
    if (!recovered.ok()) return recovered;
    store->StartRelay();
  }
  return store;
}

KvStore::KvStore(std::unique_ptr<kv::KvBucket> bucket, const common::Clock& clock,
                 int max_room_members, bool crash_after_commit)
    : bucket_(std::move(bucket)),
      clock_(clock),
      max_room_members_(max_room_members),
      crash_after_commit_(crash_after_commit) {}

void KvStore::SetChangeListener(std::function<void()> fn) {
  bucket_->SetChangeListener(std::move(fn));
}

template <typename R>
absl::StatusOr<KvStore::Loaded<R>> KvStore::Load(absl::string_view key) {
  absl::StatusOr<kv::KvEntry> entry = bucket_->Get(key);
  if (!entry.ok()) return entry.status();
  Loaded<R> loaded;
  loaded.found = entry->found;
  loaded.revision = entry->revision;
  if (entry->found && !loaded.record.ParseFromString(entry->value)) return kv::Corrupt();
  return loaded;
}

template absl::StatusOr<KvStore::Loaded<RoomRecord>> KvStore::Load(absl::string_view);
template absl::StatusOr<KvStore::Loaded<kv::IndexRecord>> KvStore::Load(absl::string_view);
template absl::StatusOr<KvStore::Loaded<v1::SealedKey>> KvStore::Load(absl::string_view);
template absl::StatusOr<KvStore::Loaded<kv::DeletedRoomRecord>> KvStore::Load(absl::string_view);

absl::Status KvStore::Recover() {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> users = bucket_->List("u.>");
  if (!users.ok()) return users.status();
  for (const auto& [key, value] : *users) {
    UserRecord record;
    if (!record.ParseFromString(value)) return kv::Corrupt();
    if (record.outbox().changes_size() == 0) continue;
    if (absl::Status settled = Settle(key); !settled.ok()) return settled;
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> rooms = bucket_->List("r.>");
  if (!rooms.ok()) return rooms.status();
  for (const auto& [key, value] : *rooms) {
    RoomRecord record;
    if (!record.ParseFromString(value)) return kv::Corrupt();
    if (record.outbox().changes_size() == 0 && !record.deleted()) continue;
    if (absl::Status settled = Settle(key); !settled.ok()) return settled;
  }
  return absl::OkStatus();
}

// ---- Change feed ----

v1::Change KvStore::MakeChange(v1::ChangeKind kind, absl::string_view sign_pub,
                               absl::string_view room_id) const {
  v1::Change change;
  change.set_kind(kind);
  change.set_sign_pub(std::string(sign_pub));
  change.set_room_id(std::string(room_id));
  change.set_at_ms(clock_.NowMs());
  return change;
}

absl::Status KvStore::Publish(const Outbox& outbox) {
  for (int i = 0; i < outbox.changes_size(); ++i) {
    absl::Status status = bucket_->PublishChange(outbox.changes(i).SerializeAsString(),
                                                 absl::StrCat(outbox.mutation_id(), ".", i));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Change>> KvStore::ListChanges(uint64_t after, int limit) {
  absl::StatusOr<uint64_t> last = bucket_->LastChange();
  if (!last.ok()) return last.status();
  if (after > *last) return absl::OutOfRangeError("position is beyond the newest");
  std::vector<v1::Change> changes;
  for (uint64_t position = after + 1;
       position <= *last && static_cast<int>(changes.size()) < limit; ++position) {
    absl::StatusOr<std::string> data = bucket_->GetChange(position);
    if (!data.ok()) return data.status();
    v1::Change& change = changes.emplace_back();
    if (!change.ParseFromString(*data)) return kv::Corrupt();
    change.set_position(position);
  }
  return changes;
}

absl::StatusOr<uint64_t> KvStore::LatestPosition() { return bucket_->LastChange(); }

// ---- Users ----

absl::Status KvStore::AddUser(const v1::User& user) {
  const std::string key = kv::UserKeyName(user.sign_pub());
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    absl::StatusOr<Loaded<UserRecord>> current = Load<UserRecord>(key);
    if (!current.ok()) return current.status();
    if (current->found) return absl::AlreadyExistsError("user key is taken");
    absl::StatusOr<uint64_t> reserved = ReserveHandle(user);
    if (!reserved.ok()) return reserved.status();
    UserRecord record;
    *record.mutable_user() = user;
    record.mutable_outbox()->set_mutation_id(kv::NewTag());
    *record.mutable_outbox()->add_changes() =
        MakeChange(v1::CHANGE_KIND_USER_ADDED, user.sign_pub(), "");
    absl::StatusOr<uint64_t> committed =
        bucket_->Cas(key, record.SerializeAsString(), current->revision);
    if (absl::IsAborted(committed.status())) {
      ReleaseHandle(user.handle(), user.sign_pub());
      continue;  // Re-read: probably ALREADY_EXISTS.
    }
    // Any other error is ambiguous (the user may exist): keep the reservation.
    if (!committed.ok()) return committed.status();
    // A reservation can have been taken over while we were slow: then the handle is not ours.
    absl::StatusOr<Loaded<HandleRecord>> handle =
        Load<HandleRecord>(kv::HandleKeyName(user.handle()));
    if (!handle.ok() || !handle->found || handle->record.sign_pub() != user.sign_pub()) {
      (void)bucket_->DeleteIf(key, *committed);
      if (!handle.ok()) return handle.status();
      return absl::AlreadyExistsError("handle is taken");
    }
    if (crash_after_commit_) return absl::OkStatus();
    AnnounceUser(key, record, *committed);
    return absl::OkStatus();
  }
  return absl::AbortedError("too much contention, try again");
}

absl::StatusOr<uint64_t> KvStore::ReserveHandle(const v1::User& user) {
  const std::string key = kv::HandleKeyName(user.handle());
  HandleRecord mine;
  mine.set_sign_pub(user.sign_pub());
  mine.set_reserved_at_ms(clock_.NowMs());
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    absl::StatusOr<Loaded<HandleRecord>> current = Load<HandleRecord>(key);
    if (!current.ok()) return current.status();
    if (current->found) {
      const HandleRecord& held = current->record;
      if (held.sign_pub() == user.sign_pub()) return current->revision;  // Ours (a retry).
      absl::StatusOr<Loaded<UserRecord>> owner =
          Load<UserRecord>(kv::UserKeyName(held.sign_pub()));
      if (!owner.ok()) return owner.status();
      if (owner->found && owner->record.user().handle() == user.handle()) {
        return absl::AlreadyExistsError("handle is taken");
      }
      if (clock_.NowMs() - held.reserved_at_ms() < kHandleOrphanMs) {
        return absl::AlreadyExistsError("handle is taken");  // An AddUser in progress.
      }
    }
    absl::StatusOr<uint64_t> written =
        bucket_->Cas(key, mine.SerializeAsString(), current->revision);
    if (written.ok() || !absl::IsAborted(written.status())) return written;
  }
  return absl::AbortedError("too much contention, try again");
}

void KvStore::ReleaseHandle(const std::string& handle, const std::string& sign_pub) {
  const std::string key = kv::HandleKeyName(handle);
  absl::StatusOr<Loaded<HandleRecord>> current = Load<HandleRecord>(key);
  if (current.ok() && current->found && current->record.sign_pub() == sign_pub) {
    (void)bucket_->DeleteIf(key, current->revision);
  }
}

absl::StatusOr<v1::User> KvStore::GetUser(absl::string_view sign_pub) {
  absl::StatusOr<Loaded<UserRecord>> loaded = Load<UserRecord>(kv::UserKeyName(sign_pub));
  if (!loaded.ok()) return loaded.status();
  if (!loaded->found) return absl::NotFoundError("user not found");
  return loaded->record.user();
}

absl::StatusOr<v1::User> KvStore::GetUserByHandle(absl::string_view handle) {
  absl::StatusOr<Loaded<HandleRecord>> held = Load<HandleRecord>(kv::HandleKeyName(handle));
  if (!held.ok()) return held.status();
  if (!held->found) return absl::NotFoundError("user not found");
  absl::StatusOr<v1::User> user = GetUser(held->record.sign_pub());
  if (!user.ok()) return user.status();
  // A reservation whose AddUser is in progress or failed.
  if (user->handle() != handle) return absl::NotFoundError("user not found");
  return user;
}

absl::StatusOr<std::vector<v1::User>> KvStore::AllUsers() {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> listed = bucket_->List("u.>");
  if (!listed.ok()) return listed.status();
  std::vector<v1::User> users;
  users.reserve(listed->size());
  for (const auto& entry : *listed) {
    UserRecord record;
    if (!record.ParseFromString(entry.second)) return kv::Corrupt();
    users.push_back(record.user());
  }
  std::sort(users.begin(), users.end(),
            [](const v1::User& a, const v1::User& b) { return a.sign_pub() < b.sign_pub(); });
  return users;
}

absl::StatusOr<Page<v1::User>> KvStore::ListUsers(absl::string_view after, int limit) {
  absl::StatusOr<std::vector<v1::User>> users = AllUsers();
  if (!users.ok()) return users.status();
  Page<v1::User> page;
  for (const v1::User& user : *users) {
    if (user.sign_pub() <= after) continue;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next = page.items.back().sign_pub();
      break;
    }
    page.items.push_back(user);
  }
  return page;
}

absl::StatusOr<v1::User> KvStore::RevokeUser(absl::string_view sign_pub, int64_t now_ms) {
  const std::string key = kv::UserKeyName(sign_pub);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    absl::StatusOr<Loaded<UserRecord>> current = Load<UserRecord>(key);
    if (!current.ok()) return current.status();
    if (!current->found) return absl::NotFoundError("user not found");
    UserRecord record = current->record;
    absl::Status flushed = Publish(record.outbox());  // Before overwriting it.
    if (!flushed.ok()) return flushed;
    if (record.user().status() == v1::USER_STATUS_REVOKED) {
      absl::Status marked = MarkRoomsNeedRekey(record.user().sign_pub());
      if (!marked.ok()) return marked;
      return record.user();
    }
    if (record.user().role() == v1::ROLE_ADMIN) {
      absl::StatusOr<std::vector<v1::User>> users = AllUsers();
      if (!users.ok()) return users.status();
      const bool other_admin = std::any_of(users->begin(), users->end(), [&](const v1::User& u) {
        return u.sign_pub() != sign_pub && u.role() == v1::ROLE_ADMIN &&
               u.status() == v1::USER_STATUS_ACTIVE;
      });
      if (!other_admin) return absl::FailedPreconditionError("last active admin");
    }
    record.mutable_user()->set_status(v1::USER_STATUS_REVOKED);
    record.mutable_user()->set_revoked_at_ms(now_ms);
    record.mutable_outbox()->Clear();
    record.mutable_outbox()->set_mutation_id(kv::NewTag());
    *record.mutable_outbox()->add_changes() =
        MakeChange(v1::CHANGE_KIND_USER_REVOKED, record.user().sign_pub(), "");
    absl::StatusOr<uint64_t> committed =
        bucket_->Cas(key, record.SerializeAsString(), current->revision);
    if (!committed.ok()) {
      if (absl::IsAborted(committed.status())) continue;
      return committed.status();
    }
    if (crash_after_commit_) return record.user();
    AnnounceUser(key, record, *committed);
    absl::Status marked = MarkRoomsNeedRekey(record.user().sign_pub());
    if (!marked.ok()) return marked;
    return record.user();
  }
  return absl::AbortedError("too much contention, try again");
}

// ---- Import and Dump ----

namespace {

// Map fields make plain serialization order-dependent; a second import must write equal bytes.
std::string Deterministic(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace

absl::Status KvStore::Import(const StoreDump& dump) {
  constexpr absl::string_view kTag = "imp";  // Fixed tags: a second import writes the same names.
  std::vector<std::pair<std::string, std::string>> writes;  // In this order.
  for (const v1::User& user : dump.users) {
    UserRecord record;
    *record.mutable_user() = user;
    writes.emplace_back(kv::UserKeyName(user.sign_pub()), Deterministic(record));
    HandleRecord handle;
    handle.set_sign_pub(user.sign_pub());
    writes.emplace_back(kv::HandleKeyName(user.handle()), Deterministic(handle));
  }
  absl::flat_hash_map<std::string, RoomRecord> rooms;
  for (const RoomDump& room : dump.rooms) {
    RoomRecord& record = rooms[room.room.room_id()];
    *record.mutable_room() = room.room;
    record.mutable_room()->set_member_count(0);
    record.set_incarnation(std::string(kTag));
    for (const v1::Member& member : room.members) {
      kv::MemberEntry* entry = record.add_members();
      entry->set_sign_pub(member.sign_pub());
      entry->set_role(member.role());
      entry->set_added_at_ms(member.added_at_ms());
      entry->set_join_tag(std::string(kTag));
      kv::IndexRecord index;
      index.set_room_id(room.room.room_id());
      writes.emplace_back(kv::IndexKeyName(member.sign_pub(), room.room.room_id()),
                          Deterministic(index));
    }
    if (room.room.policy().encrypted()) {
      (*record.mutable_epoch_tags())[room.room.epoch()] = std::string(kTag);
    }
  }
  for (const v1::SealedKey& key : dump.keys) {
    auto room = rooms.find(key.room_id());
    if (room == rooms.end()) continue;  // Not in the dump: nothing would reference it.
    (*room->second.mutable_epoch_tags())[key.epoch()] = std::string(kTag);
    writes.emplace_back(
        kv::SealedKeyName(key.room_id(), kTag, key.epoch(), kTag, kTag, key.recipient()),
        Deterministic(key));
  }
  // Room records last: they make the rest reachable.
  for (const auto& [room_id, record] : rooms) {
    writes.emplace_back(kv::RoomKeyName(room_id), Deterministic(record));
  }
  for (const DeletedRoom& room : dump.deleted_rooms) {
    kv::DeletedRoomRecord deleted;
    deleted.set_room_id(room.room_id);
    deleted.set_deleted_at_ms(room.deleted_at_ms);
    writes.emplace_back(kv::DeletedRoomKeyName(room.room_id), Deterministic(deleted));
  }
  // First check, then write: a record that exists with other content means the KV store has
  // been used since (a revocation, a removal, a new epoch). Overwriting it would undo that, so
  // nothing is written at all.
  std::vector<std::pair<size_t, uint64_t>> missing;  // write index, revision to expect
  for (size_t i = 0; i < writes.size(); ++i) {
    absl::StatusOr<kv::KvEntry> entry = bucket_->Get(writes[i].first);
    if (!entry.ok()) return entry.status();
    if (!entry->found) {
      missing.emplace_back(i, entry->revision);
    } else if (entry->value != writes[i].second) {
      return absl::FailedPreconditionError(
          "the KV store already holds different records (it has been written to since an "
          "earlier migration); refusing to overwrite them");
    }
  }
  for (const auto& [i, revision] : missing) {
    absl::StatusOr<uint64_t> written = bucket_->Cas(writes[i].first, writes[i].second, revision);
    if (!written.ok()) return written.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<StoreDump> KvStore::Dump() {
  StoreDump dump;
  absl::StatusOr<std::vector<v1::User>> users = AllUsers();
  if (!users.ok()) return users.status();
  dump.users = std::move(*users);
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> rooms = bucket_->List("r.>");
  if (!rooms.ok()) return rooms.status();
  absl::flat_hash_map<std::string, RoomRecord> live;  // By encoded room id.
  absl::flat_hash_map<std::string, int64_t> deleted;  // By room id.
  for (const auto& entry : *rooms) {
    RoomRecord record;
    if (!record.ParseFromString(entry.second)) return kv::Corrupt();
    if (record.deleted()) {  // its clean-up, lasting tombstone included, is pending
      deleted[record.room().room_id()] = record.deleted_at_ms();
      continue;
    }
    RoomDump& room = dump.rooms.emplace_back();
    room.room = kv::RoomView(record);
    for (const kv::MemberEntry& m : record.members()) {
      v1::Member& member = room.members.emplace_back();
      member.set_sign_pub(m.sign_pub());
      member.set_role(m.role());
      member.set_added_at_ms(m.added_at_ms());
    }
    live[kv::Enc(record.room().room_id())] = std::move(record);
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> keys = bucket_->List("k.>");
  if (!keys.ok()) return keys.status();
  for (const auto& [name, value] : *keys) {
    // k.<room>.<incarnation>.<epoch>.<epoch_tag>.<join_tag>.<recipient>
    std::vector<std::string> parts = absl::StrSplit(name, '.');
    if (parts.size() != 7) continue;
    auto room = live.find(parts[1]);
    if (room == live.end() || room->second.incarnation() != parts[2]) continue;
    v1::SealedKey key;
    if (!key.ParseFromString(value)) return kv::Corrupt();
    auto tag = room->second.epoch_tags().find(key.epoch());
    const kv::MemberEntry* member = kv::FindMember(room->second, key.recipient());
    if (tag == room->second.epoch_tags().end() || tag->second != parts[4] || member == nullptr ||
        member->join_tag() != parts[5] || absl::StrCat(key.epoch()) != parts[3]) {
      continue;  // Garbage of a lost compare-and-set or a departed member.
    }
    dump.keys.push_back(std::move(key));
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> tombstones =
      bucket_->List("d.>");
  if (!tombstones.ok()) return tombstones.status();
  for (const auto& entry : *tombstones) {
    kv::DeletedRoomRecord record;
    if (!record.ParseFromString(entry.second)) return kv::Corrupt();
    deleted[record.room_id()] = record.deleted_at_ms();
  }
  for (const auto& [room_id, at_ms] : deleted) dump.deleted_rooms.push_back({room_id, at_ms});
  Canonicalize(dump);
  return dump;
}

}  // namespace unibus::control::store
