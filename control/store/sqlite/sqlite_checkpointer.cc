#include "control/store/sqlite/sqlite_checkpointer.h"

#include <cstdio>
#include <exception>
#include <utility>

#include "control/store/sqlite/sqlite_errors.h"

namespace unibus::control::store {

absl::StatusOr<std::unique_ptr<SqliteCheckpointer>> SqliteCheckpointer::Start(
    const std::string& path, SQLite::Database& writer, const Options& options) {
  std::unique_ptr<SQLite::Database> own;
  try {
    own = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX);
  } catch (const std::exception& e) {
    return StatusFromException(e, "Checkpointer");
  }
  return std::unique_ptr<SqliteCheckpointer>(
      new SqliteCheckpointer(std::move(own), writer, options));
}

SqliteCheckpointer::SqliteCheckpointer(std::unique_ptr<SQLite::Database> own,
                                       SQLite::Database& writer, const Options& options)
    : options_(options), writer_(writer), own_(std::move(own)), thread_([this] { Run(); }) {
  sqlite3_wal_hook(writer_.getHandle(), &SqliteCheckpointer::OnCommit, this);
}

SqliteCheckpointer::~SqliteCheckpointer() {
  sqlite3_wal_hook(writer_.getHandle(), nullptr, nullptr);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

int SqliteCheckpointer::OnCommit(void* self, sqlite3* db, const char* schema,
                                 int pages) noexcept {
  auto* checkpointer = static_cast<SqliteCheckpointer*>(self);
  if (pages >= checkpointer->options_.foreground_pages) {
    const int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                             nullptr);
    if (rc != SQLITE_OK) std::fprintf(stderr, "SqliteStore: checkpoint failed: %d\n", rc);
  } else if (pages >= checkpointer->options_.background_pages &&
             !checkpointer->pending_.exchange(true)) {
    absl::MutexLock lock(&checkpointer->mu_);
    checkpointer->requested_ = true;
  }
  return SQLITE_OK;  // A failed checkpoint does not fail the commit that triggered it.
}

void SqliteCheckpointer::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &SqliteCheckpointer::HasWork));
      if (stopping_) return;
      requested_ = false;
    }
    // A connection that has never read the database has not opened the WAL, and SQLite then
    // treats a checkpoint as a no-op that "succeeds": read first.
    int rc = sqlite3_exec(own_->getHandle(), "SELECT 1 FROM sqlite_master LIMIT 1", nullptr,
                          nullptr, nullptr);
    int copied = 0;
    if (rc == SQLITE_OK) {
      rc = sqlite3_wal_checkpoint_v2(own_->getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                     nullptr, &copied);
    }
    if (rc != SQLITE_OK) std::fprintf(stderr, "SqliteStore: checkpoint failed: %d\n", rc);
    pending_ = false;  // The next commit past the threshold asks again.
    absl::MutexLock lock(&mu_);
    ++checkpoints_;
    if (copied > 0) checkpointed_pages_ += copied;
  }
}

bool SqliteCheckpointer::AwaitCheckpointsForTesting(int count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto reached = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return checkpoints_ >= count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

int64_t SqliteCheckpointer::CheckpointedPagesForTesting() {
  absl::MutexLock lock(&mu_);
  return checkpointed_pages_;
}

}  // namespace unibus::control::store
