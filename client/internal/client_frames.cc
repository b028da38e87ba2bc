// ClientImpl::Send and ClientImpl::Subscribe, and the Subscription they return.
#include "absl/strings/str_cat.h"
#include "client/internal/client_impl.h"
#include "client/internal/epoch_gate.h"
#include "client/internal/member_set.h"
#include "common/time/clock.h"
#include "client/internal/room_feed.h"
#include "client/internal/room_state.h"
#include "common/crypto/hex.h"
#include "common/crypto/sha256.h"
#include "common/nats/nats_ptr.h"
#include "common/nats/subjects.h"

namespace unibus::client::internal {
namespace {

namespace nats = common::nats;

v1::FrameRef ToRef(const FrameId& id) {
  v1::FrameRef ref;
  ref.set_sender(common::HexDecode(id.sender).value_or(""));
  ref.set_counter(id.counter);
  return ref;
}

FrameId FromRef(const v1::FrameRef& ref) { return FrameId{common::HexEncode(ref.sender()), ref.counter()}; }

// Publishes without a reply subject: the room stream acknowledges nothing (StoreConfirmer).
// `flush`: wait for the server to have read it (a refused publish is then reported at once; the
// caller is about to wait for the frame's echo anyway).
absl::Status Publish(natsConnection* nc, const std::string& subject, const std::string& data,
                     const std::string& msg_id, bool flush) {
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, data.data(),
                                static_cast<int>(data.size()));
  if (s != NATS_OK) return nats::FromNatsStatus(s, "frame");
  nats::NatsMsgPtr msg(raw);
  if (!msg_id.empty()) natsMsgHeader_Set(raw, "Nats-Msg-Id", msg_id.c_str());
  s = natsConnection_PublishMsg(nc, raw);
  if (s == NATS_OK && flush) s = natsConnection_FlushTimeout(nc, 2000);
  // No answer from the server (e.g. it is restarting): the caller retries while it may.
  if (s == NATS_TIMEOUT) return absl::UnavailableError("NATS did not answer; frame not sent");
  return nats::FromNatsStatus(s, "publish");
}

class SubscriptionImpl : public Subscription {
 public:
  SubscriptionImpl(ClientImpl& client, v1::Room room, SubscribeOptions options, RoomState state,
                   bool persist)
      : client_(client),
        room_(std::move(room)),
        rules_(RulesOf(room_)),
        options_(std::move(options)),
        persist_(persist),
        gate_(client.options().epoch_grace),
        members_([&client, id = room_.room_id()]() -> absl::StatusOr<std::vector<std::string>> {
          absl::StatusOr<std::vector<v1::Member>> all = client.rooms().Members(id);
          if (!all.ok()) return all.status();
          std::vector<std::string> keys;
          for (const v1::Member& m : *all) keys.push_back(m.sign_pub());
          return keys;
        }, common::RealClock::Get()),
        state_(std::move(state)) {}

  ~SubscriptionImpl() override {
    feed_.reset();  // no frame is being handled after this
    if (persist_) (void)SaveState();
  }

  absl::Status Start(bool from_start) {
    RoomFeedOptions feed;
    feed.room_id = room_.room_id();
    feed.history = room_.policy().history();
    feed.after_seq = state_.last_seq;
    feed.from_start = from_start;
    feed.new_since = absl::Now();
    started_ = feed.new_since;
    if (!from_start && state_.last_seq == 0) {
      // Only new frames: the current epoch is the one to expect from now on.
      gate_.Advance(room_.epoch(), absl::Now());
    }
    absl::StatusOr<std::unique_ptr<RoomFeed>> f = RoomFeed::Start(
        client_.nats(), feed, [this](const RawFrame& raw) { Handle(raw); },
        [this](const absl::Status& s) { Report(s); });
    if (!f.ok()) return f.status();
    feed_ = *std::move(f);
    return absl::OkStatus();
  }

  SubscriptionStats stats() const override {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

  uint64_t last_seq() const override {
    absl::MutexLock lock(&mu_);
    return state_.last_seq;
  }

  absl::Status SaveState() override {
    if (!persist_) return absl::OkStatus();
    absl::MutexLock lock(&mu_);
    last_save_ = absl::Now();
    return SaveRoomState(client_.options().state_dir, client_.identity().sign_pub_hex(),
                         room_.room_id(), state_);
  }

 private:
  void Report(const absl::Status& s) {
    if (options_.on_error) options_.on_error(s);
  }

  void Drop(uint64_t SubscriptionStats::*counter, const absl::Status& why) {
    {
      absl::MutexLock lock(&mu_);
      ++(stats_.*counter);
    }
    Report(why);
  }

  // Runs on the feed's delivery thread, one frame at a time.
  void Handle(const RawFrame& raw) {
    {
      absl::MutexLock lock(&mu_);
      if (options_.max_messages != 0 && stats_.delivered >= options_.max_messages) return;
    }
    RoomCache& cache = client_.rooms();
    const std::string& room_id = room_.room_id();
    absl::StatusOr<OpenedFrame> opened = OpenFrame(raw.data, rules_, [&](uint64_t epoch) {
      absl::StatusOr<std::string> key = cache.Key(room_id, epoch);
      return key.ok() ? std::optional<std::string>(*key) : std::nullopt;
    });
    if (raw.stream_seq != 0) {
      absl::MutexLock lock(&mu_);
      state_.last_seq = raw.stream_seq;
    }
    if (!opened.ok()) {
      bool no_key = opened.status().code() == absl::StatusCode::kNotFound;
      return Drop(no_key ? &SubscriptionStats::stale_epoch : &SubscriptionStats::rejected,
                  absl::Status(opened.status().code(),
                               absl::StrCat("frame dropped: ", opened.status().message())));
    }
    const v1::FrameHeader& h = opened->header;
    // Only members speak in a room. Frames sent while we listen must come from a current
    // member; older stored frames (history replayed) may be from members who left since.
    if ((!room_.policy().history() || raw.at >= started_) &&
        !members_.Contains(common::HexEncode(h.sender()))) {
      return Drop(&SubscriptionStats::rejected,
                  absl::PermissionDeniedError("frame dropped: its sender is not a member"));
    }
    if (rules_.encrypted) {
      EpochGate::Verdict v = gate_.Check(h.epoch(), raw.at);
      if (v == EpochGate::Verdict::kAhead) {
        gate_.Advance(h.epoch(), raw.at);  // OpenFrame found its key: a real newer epoch
      } else if (v == EpochGate::Verdict::kStale) {
        return Drop(&SubscriptionStats::stale_epoch,
                    absl::FailedPreconditionError(
                        absl::StrCat("frame dropped: epoch ", h.epoch(), " is no longer current")));
      }
    }
    Message m;
    {
      absl::MutexLock lock(&mu_);
      if (!state_.guard.Accept(h.sender(), h.counter())) {
        ++stats_.duplicates;
        return;
      }
      ++stats_.delivered;
    }
    m.room_id = room_id;
    m.id = FrameId{common::HexEncode(h.sender()), h.counter()};
    m.type = h.type();
    m.epoch = h.epoch();
    m.sent_at = absl::FromUnixMillis(h.timestamp_ms());
    if (h.has_thread()) m.thread = FromRef(h.thread());
    if (h.has_reply_to()) m.reply_to = FromRef(h.reply_to());
    m.body = std::move(opened->body);
    m.stream_seq = raw.stream_seq;
    m.signed_frame = opened->signature_verified;
    if (options_.on_message) options_.on_message(m);
    bool save = false;
    {
      absl::MutexLock lock(&mu_);
      save = persist_ && absl::Now() - last_save_ > absl::Seconds(1);
    }
    if (save) (void)SaveState();
  }

  ClientImpl& client_;
  const v1::Room room_;
  const RoomRules rules_;
  const SubscribeOptions options_;
  const bool persist_;
  EpochGate gate_;       // delivery thread only
  MemberSet members_;    // delivery thread only
  absl::Time started_ = absl::InfinitePast();  // set before the feed starts
  mutable absl::Mutex mu_;
  RoomState state_ ABSL_GUARDED_BY(mu_);
  SubscriptionStats stats_ ABSL_GUARDED_BY(mu_);
  absl::Time last_save_ ABSL_GUARDED_BY(mu_) = absl::Now();
  std::unique_ptr<RoomFeed> feed_;
};

}  // namespace

absl::StatusOr<FrameId> ClientImpl::Send(const std::string& room_id,
                                         const OutgoingMessage& message, SendOptions options) {
  if (absl::Status s = NeedNats(); !s.ok()) return s;
  absl::StatusOr<v1::Room> room = rooms_->Room(room_id);
  if (!room.ok()) return room.status();
  if (room->needs_rekey() && room->policy().encrypted()) {
    // A member left (or was revoked) holding the current key: an owner/admin rotates it before
    // sending anything new; other members keep the current epoch until one does.
    bool may_try = false;
    {
      absl::MutexLock lock(&rekey_mu_);
      may_try = cannot_rekey_.count(room_id) == 0;
    }
    if (may_try) {
      absl::StatusOr<v1::Room> rekeyed = Rekey(room_id);
      if (rekeyed.ok()) {
        room = std::move(rekeyed);
      } else if (rekeyed.status().code() == absl::StatusCode::kPermissionDenied) {
        absl::MutexLock lock(&rekey_mu_);
        cannot_rekey_.insert(room_id);
      }
    }
  }
  RoomRules rules = RulesOf(*room);
  std::string key;
  if (rules.encrypted) {
    absl::StatusOr<std::string> k = rooms_->Key(room_id, room->epoch());
    if (!k.ok()) return k.status();
    key = *std::move(k);
  }
  v1::FrameHeader h;
  h.set_version(kFrameVersion);
  h.set_type(message.type);
  h.set_room_id(room_id);
  h.set_epoch(rules.encrypted ? room->epoch() : 0);
  h.set_sender(identity_->sign_pub());
  h.set_counter(NextCounter());
  h.set_timestamp_ms(absl::ToUnixMillis(absl::Now()));
  if (message.thread) *h.mutable_thread() = ToRef(*message.thread);
  if (message.reply_to) *h.mutable_reply_to() = ToRef(*message.reply_to);
  FrameId id{identity_->sign_pub_hex(), h.counter()};
  absl::StatusOr<v1::Frame> frame = SealFrame(std::move(h), message.body, rules, key,
                                              rules.signed_frames ? identity_.get() : nullptr);
  if (!frame.ok()) return frame.status();
  std::string data = frame->SerializeAsString();
  if (data.size() > (1u << 20)) return absl::InvalidArgumentError("frame larger than 1 MiB");
  bool history = room->policy().history();
  std::string subject = nats::FrameSubject(room_id, history);
  // JetStream deduplicates by this id across the whole stream, and any member may set the header
  // on its own publishes: an id derived from (sender, counter) could be stored first by another
  // member (the counter is about the time in microseconds) to make this frame be dropped as a
  // "duplicate". The hash of the frame's own bytes cannot be known before it is sent, and stays
  // the same for retries of this frame.
  std::string msg_id =
      history ? absl::StrCat(room_id, "-", StoredFrameDigest(data)) : "";
  // A stored frame is retried until the deadline: right after a membership change this
  // identity's connection is kicked and re-authorized (until then nats-server refuses the
  // publish), and JetStream drops the duplicate of a retry that did get through (Nats-Msg-Id).
  // It counts as stored when it comes back on our own history feed of the room.
  const bool confirm = history && options.wait_for_store;
  const absl::Time deadline = absl::Now() + options_.rpc_timeout;
  struct Forget {
    StoreConfirmer* confirmer;
    const std::string& msg_id;
    ~Forget() {
      if (confirmer != nullptr) confirmer->Forget(msg_id);
    }
  } forget{confirm ? confirmer_.get() : nullptr, msg_id};
  while (true) {
    absl::Duration attempt = std::min(absl::Seconds(2), deadline - absl::Now());
    absl::Status s = confirm ? confirmer_->Expect(room_id, msg_id) : absl::OkStatus();
    if (s.ok()) {
      s = nats_->WithConnection(
          [&](natsConnection* nc) { return Publish(nc, subject, data, msg_id, confirm); });
    }
    if (s.ok() && confirm && !confirmer_->Wait(msg_id, attempt)) {
      s = absl::UnavailableError("the frame was not confirmed as stored (room history down?)");
    }
    if (s.ok()) return id;
    // PERMISSION_DENIED here comes from nats-server, for a connection still holding the grants
    // from before the change; the control plane just said this identity is a member.
    bool transient = s.code() == absl::StatusCode::kUnavailable ||
                     s.code() == absl::StatusCode::kPermissionDenied;
    if (!confirm || !transient || absl::Now() >= deadline) return s;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

absl::Status ClientImpl::Flush(absl::Duration timeout) {
  if (absl::Status s = NeedNats(); !s.ok()) return s;
  return nats_->WithConnection([&](natsConnection* nc) {
    return nats::FromNatsStatus(
        natsConnection_FlushTimeout(nc, std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))),
        "flush");
  });
}

absl::StatusOr<std::unique_ptr<Subscription>> ClientImpl::Subscribe(const std::string& room_id,
                                                                    SubscribeOptions options) {
  if (absl::Status s = NeedNats(); !s.ok()) return s;
  absl::StatusOr<v1::Room> room = rooms_->Room(room_id, /*refresh=*/true);
  if (!room.ok()) return room.status();
  bool persist = !options_.state_dir.empty();
  RoomState state;
  if (persist && options.start != StartAt::kNew) {
    absl::StatusOr<RoomState> saved =
        LoadRoomState(options_.state_dir, identity_->sign_pub_hex(), room_id);
    if (saved.ok()) {
      state = *std::move(saved);
    } else if (saved.status().code() != absl::StatusCode::kNotFound) {
      return saved.status();
    }
  }
  if (options.start == StartAt::kAll) state.last_seq = 0;  // replays are still recognised
  bool from_start = options.start == StartAt::kAll;
  auto sub = std::make_unique<SubscriptionImpl>(*this, *std::move(room), std::move(options),
                                                std::move(state), persist);
  if (absl::Status s = sub->Start(from_start); !s.ok()) return s;
  return std::unique_ptr<Subscription>(std::move(sub));
}

}  // namespace unibus::client::internal
