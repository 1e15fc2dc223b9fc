// The embedded SQLite store: one writer thread that groups many requests'
// writes into one commit, and one read connection per thread.
//
// Threading: write() may be called from any thread; its callbacks run on the
// writer thread. reader() returns a connection owned by the calling thread.
#pragma once

#include "core/common/errors.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

namespace aigate::store {

// The writer connection's page cache (64 MiB; a bulk load raises it for its
// duration and restores this).
inline constexpr const char* kWriterCacheSize = "PRAGMA cache_size = -65536";

struct StoreOptions {
  std::string path;             // the database file; its folder must exist
  bool synchronous_full = true;  // fsync every commit (power-loss safe)
  int group_commit_max = 256;   // most writes per commit
  int busy_timeout_ms = 5000;
  // Bytes of the file each read connection maps (PRAGMA mmap_size; 0: none).
  int64_t reader_mmap_bytes = 0;
};

// A connection and its prepared statements. Used by one thread at a time.
class Conn {
 public:
  explicit Conn(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}

  SQLite::Database& db() { return *db_; }
  // A prepared statement for `sql`, reset and with no bindings.
  // REQUIRES: `sql` outlives this connection (a string literal).
  SQLite::Statement& statement(std::string_view sql);

 private:
  std::unique_ptr<SQLite::Database> db_;
  std::unordered_map<std::string_view, std::unique_ptr<SQLite::Statement>> statements_;
};

class Store {
 public:
  // Opens (creating if needed) the database and runs pending migrations.
  // Throws std::runtime_error when the file cannot be opened or is from a
  // newer schema than this binary knows.
  explicit Store(StoreOptions options);
  ~Store();  // finishes every queued write, then stops the writer
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  using WriteFn = std::function<Status(Conn&)>;
  using DoneFn = std::function<void(const Status&)>;

  // Queues `apply` to run on the writer thread in a transaction shared with
  // other writes. `apply` runs inside its own savepoint: when it returns an
  // error or throws, its changes alone are rolled back. `done` then runs on the
  // writer thread after the commit, with apply's Status (internal_error if it
  // threw or the commit failed). Neither may block on the network.
  void write(WriteFn apply, DoneFn done);

  // write() for callers that can wait: returns once committed.
  Status writeSync(WriteFn apply);

  // The calling thread's read connection to this store.
  Conn& reader();

  int schemaVersion();
  const StoreOptions& options() const { return options_; }

 private:
  struct Task {
    WriteFn apply;
    DoneFn done;
  };

  std::unique_ptr<SQLite::Database> open(bool read_only) const;
  void migrate(SQLite::Database& db);
  void writerLoop();
  void runBatch(std::deque<Task>& batch);

  const StoreOptions options_;
  const uint64_t id_;  // distinguishes this store in per-thread reader caches
  std::unique_ptr<Conn> writer_conn_;  // used only by writer_

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;  // Guarded by mutex_
  bool stopping_ = false;   // Guarded by mutex_
  std::thread writer_;
};

}  // namespace aigate::store
