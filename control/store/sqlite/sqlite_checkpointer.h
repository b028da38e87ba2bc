// SqliteCheckpointer moves WAL checkpoints, and the fsyncs they do, off the write path.
//
// With synchronous=NORMAL a commit only appends to the WAL; the cost of durability is paid at
// checkpoints, which fsync the WAL and the database. SQLite's automatic checkpoint runs them
// inside the commit that crosses the threshold, so one write in a few hundred stalls for
// milliseconds. The checkpointer hooks the writer connection's commits (sqlite3_wal_hook,
// replacing the automatic checkpoint) and runs PASSIVE checkpoints on its own thread and
// connection once the WAL holds `background_pages`. If the WAL still reaches `foreground_pages`
// (the thread falls behind), the committing thread checkpoints itself, so the WAL stays bounded.
//
// Ownership: borrows `writer`, which must outlive the checkpointer; owns its thread and its
// own connection. Thread safety: the hook runs on whichever thread commits on `writer`; the
// destructor must not run concurrently with a commit on `writer`.
// No exception escapes (failures are logged to stderr; a checkpoint is retried on a later commit).
#ifndef UNIBUS_CONTROL_STORE_SQLITE_SQLITE_CHECKPOINTER_H_
#define UNIBUS_CONTROL_STORE_SQLITE_SQLITE_CHECKPOINTER_H_

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "SQLiteCpp/Database.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace unibus::control::store {

class SqliteCheckpointer {
 public:
  struct Options {
    int background_pages = 1000;  // SQLite's default auto-checkpoint threshold.
    int foreground_pages = 20000;
  };

  // Opens a second connection to `path` (the file `writer` has open, in WAL mode) and starts.
  // UNAVAILABLE / INTERNAL if that connection cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteCheckpointer>> Start(const std::string& path,
                                                                   SQLite::Database& writer,
                                                                   const Options& options);
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;
  // Unhooks `writer`, then stops and joins the thread.
  ~SqliteCheckpointer();

  // For tests: waits until at least `count` background checkpoints have run.
  bool AwaitCheckpointsForTesting(int count, absl::Duration timeout);
  // Pages copied from the WAL into the database by background checkpoints so far.
  int64_t CheckpointedPagesForTesting();

 private:
  SqliteCheckpointer(std::unique_ptr<SQLite::Database> own, SQLite::Database& writer,
                     const Options& options);
  static int OnCommit(void* self, sqlite3* db, const char* schema, int pages) noexcept;
  void Run();
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return requested_ || stopping_; }

  const Options options_;
  SQLite::Database& writer_;
  const std::unique_ptr<SQLite::Database> own_;  // Used by the thread only.
  // Set by the first commit past background_pages, cleared when the checkpoint it asked for
  // has run: commits in between neither lock mu_ nor wake the thread.
  std::atomic<bool> pending_{false};

  absl::Mutex mu_;
  bool requested_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int checkpoints_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t checkpointed_pages_ ABSL_GUARDED_BY(mu_) = 0;

  std::thread thread_;  // Last: starts after, and is joined before, everything above.
};

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_SQLITE_SQLITE_CHECKPOINTER_H_
