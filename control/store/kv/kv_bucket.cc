#include "control/store/kv/kv_bucket.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace unibus::control::store::kv {
namespace {

constexpr int64_t kDuplicateWindowNs = int64_t{120} * 1000 * 1000 * 1000;

// Logs the nats.c details (thread-local, so read at once) and returns the generic error.
absl::Status Unavailable(absl::string_view what, natsStatus s,
                         jsErrCode ec = static_cast<jsErrCode>(0)) {
  const char* detail = nats_GetLastError(nullptr);
  std::fprintf(stderr, "kv_store: %.*s failed: %s (%s; js error %d)\n",
               static_cast<int>(what.size()), what.data(), natsStatus_GetText(s),
               detail == nullptr ? "" : detail, static_cast<int>(ec));
  return absl::UnavailableError("the control store is unavailable");
}

struct PubAckDeleter {
  void operator()(jsPubAck* pa) const { jsPubAck_Destroy(pa); }
};
struct StreamInfoDeleter {
  void operator()(jsStreamInfo* si) const { jsStreamInfo_Destroy(si); }
};
struct KvEntryDeleter {
  void operator()(kvEntry* e) const { kvEntry_Destroy(e); }
};
struct KvWatcherDeleter {
  void operator()(kvWatcher* w) const { kvWatcher_Destroy(w); }
};
using PubAckPtr = std::unique_ptr<jsPubAck, PubAckDeleter>;
using StreamInfoPtr = std::unique_ptr<jsStreamInfo, StreamInfoDeleter>;
using KvEntryPtr = std::unique_ptr<kvEntry, KvEntryDeleter>;
using KvWatcherPtr = std::unique_ptr<kvWatcher, KvWatcherDeleter>;

bool IsDeleteMarker(natsMsg* msg) {
  const char* op = nullptr;
  if (natsMsgHeader_Get(msg, "KV-Operation", &op) != NATS_OK || op == nullptr) return false;
  const absl::string_view v(op);
  return v == "DEL" || v == "PURGE";
}

}  // namespace

struct KvBucket::Listener {
  absl::Mutex mu;
  std::function<void()> fn ABSL_GUARDED_BY(mu);
};

namespace {

// nats.c callbacks: no exception may cross them; the message is owned at once.
void OnChange(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) noexcept {
  common::nats::NatsMsgPtr owned(msg);
  auto* holder = static_cast<std::shared_ptr<KvBucket::Listener>*>(closure);
  std::function<void()> fn;
  {
    absl::MutexLock lock(&(*holder)->mu);
    fn = (*holder)->fn;
  }
  if (fn) fn();
}

void OnComplete(void* closure) noexcept {
  delete static_cast<std::shared_ptr<KvBucket::Listener>*>(closure);
}

}  // namespace

KvBucket::KvBucket(natsConnection* connection, const KvBucketOptions& options)
    : connection_(connection),
      options_(options),
      kv_stream_(absl::StrCat("KV_", options.bucket)),
      changes_stream_(absl::StrCat("UNIBUS_CHANGES_", options.bucket)),
      changes_subject_(absl::StrCat("unibus_ctl.", options.bucket, ".changes")),
      listener_(std::make_shared<Listener>()) {}

KvBucket::~KvBucket() {
  SetChangeListener(nullptr);
  sub_.reset();
}

absl::StatusOr<std::unique_ptr<KvBucket>> KvBucket::Open(natsConnection* connection,
                                                         const KvBucketOptions& options) {
  std::unique_ptr<KvBucket> bucket(new KvBucket(connection, options));
  absl::Status status = bucket->Init();
  if (!status.ok()) return status;
  return bucket;
}

namespace {

absl::Status AddStream(jsCtx* js, jsStreamConfig& cfg) {
  jsStreamInfo* raw = nullptr;
  jsErrCode ec = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&raw, js, &cfg, nullptr, &ec);
  StreamInfoPtr si(raw);
  if (s == NATS_OK) return absl::OkStatus();
  if (ec != JSStreamNameExistErr) return Unavailable("create stream", s, ec);
  // Another node created it first, or with other settings: bind to what is there.
  raw = nullptr;
  s = js_GetStreamInfo(&raw, js, cfg.Name, nullptr, &ec);
  si.reset(raw);
  if (s != NATS_OK) return Unavailable("stream info", s, ec);
  // Binding silently to weaker settings would cost what the flags promise: fewer copies than
  // --replicas (one lost node loses the control plane), or direct gets (stale reads from a
  // follower without quorum instead of failing closed).
  if (si->Config->Replicas < cfg.Replicas) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stream ", cfg.Name, " exists with ", si->Config->Replicas, " replica(s), fewer than the ",
        cfg.Replicas, " asked for; raise it first (deploy/RUNBOOK.md, R1 -> R3)"));
  }
  if (si->Config->AllowDirect) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stream ", cfg.Name, " allows direct get; reads would not fail closed"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status KvBucket::Init() {
  const int64_t wait_ms = absl::ToInt64Milliseconds(options_.timeout);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = wait_ms;
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, connection_, &jo);
  js_.reset(js);
  if (s != NATS_OK) return Unavailable("jetstream context", s);

  const std::string kv_subject = absl::StrCat("$KV.", options_.bucket, ".>");
  const char* kv_subjects[] = {kv_subject.c_str()};
  jsStreamConfig kv_cfg;
  jsStreamConfig_Init(&kv_cfg);
  kv_cfg.Name = kv_stream_.c_str();
  kv_cfg.Subjects = kv_subjects;
  kv_cfg.SubjectsLen = 1;
  kv_cfg.MaxMsgsPerSubject = 1;
  kv_cfg.Storage = js_FileStorage;
  kv_cfg.Replicas = options_.replicas;
  kv_cfg.AllowRollup = true;
  kv_cfg.DenyDelete = true;
  kv_cfg.AllowDirect = false;  // Reads go to the leader: fail closed without quorum.
  kv_cfg.Discard = js_DiscardNew;
  kv_cfg.Duplicates = kDuplicateWindowNs;
  absl::Status status = AddStream(js_.get(), kv_cfg);
  if (!status.ok()) return status;

  const char* change_subjects[] = {changes_subject_.c_str()};
  jsStreamConfig ch_cfg;
  jsStreamConfig_Init(&ch_cfg);
  ch_cfg.Name = changes_stream_.c_str();
  ch_cfg.Subjects = change_subjects;
  ch_cfg.SubjectsLen = 1;
  ch_cfg.Storage = js_FileStorage;
  ch_cfg.Replicas = options_.replicas;
  ch_cfg.DenyDelete = true;
  ch_cfg.DenyPurge = true;
  ch_cfg.AllowDirect = false;
  ch_cfg.Duplicates = kDuplicateWindowNs;
  status = AddStream(js_.get(), ch_cfg);
  if (!status.ok()) return status;

  kvStore* kv = nullptr;
  s = js_KeyValue(&kv, js_.get(), options_.bucket.c_str());
  kv_.reset(kv);
  if (s != NATS_OK) return Unavailable("bind bucket", s);

  auto* holder = new std::shared_ptr<Listener>(listener_);
  natsSubscription* sub = nullptr;
  s = natsConnection_Subscribe(&sub, connection_, changes_subject_.c_str(), OnChange, holder);
  if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub, OnComplete, holder);
  if (s != NATS_OK) {
    absl::Status failed = Unavailable("subscribe", s);
    if (sub != nullptr) {
      natsSubscription_Unsubscribe(sub);
      natsSubscription_Destroy(sub);
    }
    // Without the completion callback nobody else frees the holder. A callback may still run
    // for a message delivered before the unsubscribe; leaking the holder is the safe choice.
    return failed;
  }
  sub_.reset(sub);
  return absl::OkStatus();
}

std::string KvBucket::Subject(absl::string_view key) const {
  return absl::StrCat("$KV.", options_.bucket, ".", key);
}

absl::StatusOr<KvEntry> KvBucket::Get(absl::string_view key) {
  natsMsg* raw = nullptr;
  jsErrCode ec = static_cast<jsErrCode>(0);
  const std::string subject = Subject(key);
  natsStatus s = js_GetLastMsg(&raw, js_.get(), kv_stream_.c_str(), subject.c_str(), nullptr, &ec);
  common::nats::NatsMsgPtr msg(raw);
  KvEntry entry;
  if (s == NATS_NOT_FOUND && ec == JSNoMessageFoundErr) return entry;
  if (s != NATS_OK) return Unavailable("get", s, ec);
  entry.revision = natsMsg_GetSequence(msg.get());
  if (IsDeleteMarker(msg.get())) return entry;
  entry.found = true;
  entry.value.assign(natsMsg_GetData(msg.get()),
                     static_cast<size_t>(natsMsg_GetDataLength(msg.get())));
  return entry;
}

absl::StatusOr<uint64_t> KvBucket::Cas(absl::string_view key, absl::string_view value,
                                       uint64_t revision) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = absl::ToInt64Milliseconds(options_.timeout);
  if (revision == 0) {
    po.ExpectNoMessage = true;
  } else {
    po.ExpectLastSubjectSeq = revision;
  }
  jsPubAck* raw = nullptr;
  jsErrCode ec = static_cast<jsErrCode>(0);
  const std::string subject = Subject(key);
  natsStatus s = js_Publish(&raw, js_.get(), subject.c_str(), value.data(),
                            static_cast<int>(value.size()), &po, &ec);
  PubAckPtr ack(raw);
  if (s == NATS_OK) return ack->Sequence;
  if (ec == JSStreamWrongLastSequenceErr) {
    return absl::AbortedError("concurrent update");
  }
  return Unavailable("compare-and-set", s, ec);
}

absl::Status KvBucket::Put(absl::string_view key, absl::string_view value) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = absl::ToInt64Milliseconds(options_.timeout);
  jsErrCode ec = static_cast<jsErrCode>(0);
  const std::string subject = Subject(key);
  natsStatus s = js_Publish(nullptr, js_.get(), subject.c_str(), value.data(),
                            static_cast<int>(value.size()), &po, &ec);
  if (s != NATS_OK) return Unavailable("put", s, ec);
  return absl::OkStatus();
}

absl::Status KvBucket::DeleteIf(absl::string_view key, uint64_t revision) {
  natsMsg* raw = nullptr;
  const std::string subject = Subject(key);
  natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, nullptr, 0);
  common::nats::NatsMsgPtr msg(raw);
  if (s == NATS_OK) s = natsMsgHeader_Set(msg.get(), "KV-Operation", "DEL");
  if (s != NATS_OK) return Unavailable("delete", s);
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = absl::ToInt64Milliseconds(options_.timeout);
  po.ExpectLastSubjectSeq = revision;
  jsErrCode ec = static_cast<jsErrCode>(0);
  s = js_PublishMsg(nullptr, js_.get(), msg.get(), &po, &ec);
  if (s == NATS_OK) return absl::OkStatus();
  if (ec == JSStreamWrongLastSequenceErr) {
    return absl::AbortedError("concurrent update");
  }
  return Unavailable("delete", s, ec);
}

absl::Status KvBucket::Purge(absl::string_view filter) {
  const std::string subject = Subject(filter);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = absl::ToInt64Milliseconds(options_.timeout);
  jo.Stream.Purge.Subject = subject.c_str();
  jsErrCode ec = static_cast<jsErrCode>(0);
  natsStatus s = js_PurgeStream(js_.get(), kv_stream_.c_str(), &jo, &ec);
  if (s != NATS_OK) return Unavailable("purge", s, ec);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> KvBucket::List(
    absl::string_view filter) {
  const int64_t wait_ms = absl::ToInt64Milliseconds(options_.timeout);
  kvWatchOptions wo;
  kvWatchOptions_Init(&wo);
  wo.Timeout = wait_ms;
  kvWatcher* raw = nullptr;
  const std::string keys(filter);
  natsStatus s = kvStore_Watch(&raw, kv_.get(), keys.c_str(), &wo);
  KvWatcherPtr watcher(raw);
  if (s != NATS_OK) return Unavailable("watch", s);
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    kvEntry* e = nullptr;
    s = kvWatcher_Next(&e, watcher.get(), wait_ms);
    KvEntryPtr entry(e);
    if (s != NATS_OK) return Unavailable("watch next", s);
    if (entry == nullptr) break;  // Every current value has been delivered.
    if (kvEntry_Operation(entry.get()) != kvOp_Put) continue;
    out.emplace_back(kvEntry_Key(entry.get()),
                     std::string(static_cast<const char*>(kvEntry_Value(entry.get())),
                                 static_cast<size_t>(kvEntry_ValueLen(entry.get()))));
  }
  return out;
}

absl::Status KvBucket::PublishChange(absl::string_view data, const std::string& msg_id) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = absl::ToInt64Milliseconds(options_.timeout);
  po.MsgId = msg_id.c_str();
  po.ExpectStream = changes_stream_.c_str();
  jsErrCode ec = static_cast<jsErrCode>(0);
  natsStatus s = js_Publish(nullptr, js_.get(), changes_subject_.c_str(), data.data(),
                            static_cast<int>(data.size()), &po, &ec);
  if (s != NATS_OK) return Unavailable("publish change", s, ec);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> KvBucket::LastChange() {
  jsStreamInfo* raw = nullptr;
  jsErrCode ec = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw, js_.get(), changes_stream_.c_str(), nullptr, &ec);
  StreamInfoPtr si(raw);
  if (s != NATS_OK) return Unavailable("change stream info", s, ec);
  return si->State.LastSeq;
}

absl::StatusOr<std::string> KvBucket::GetChange(uint64_t position) {
  natsMsg* raw = nullptr;
  jsErrCode ec = static_cast<jsErrCode>(0);
  natsStatus s = js_GetMsg(&raw, js_.get(), changes_stream_.c_str(), position, nullptr, &ec);
  common::nats::NatsMsgPtr msg(raw);
  if (s == NATS_NOT_FOUND && ec == JSNoMessageFoundErr) {
    return absl::OutOfRangeError("position not retained");
  }
  if (s != NATS_OK) return Unavailable("get change", s, ec);
  return std::string(natsMsg_GetData(msg.get()),
                     static_cast<size_t>(natsMsg_GetDataLength(msg.get())));
}

void KvBucket::SetChangeListener(std::function<void()> fn) {
  absl::MutexLock lock(&listener_->mu);
  listener_->fn = std::move(fn);
}

}  // namespace unibus::control::store::kv
