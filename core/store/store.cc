#include "core/store/store.h"

#include "core/common/clock.h"
#include "core/common/log.h"
#include "core/store/migrations.h"

#include <atomic>
#include <cstdio>
#include <future>
#include <stdexcept>

namespace aigate::store {
namespace {

std::atomic<uint64_t> g_next_store_id{1};

// Read connections of this thread, by store id.
thread_local std::unordered_map<uint64_t, std::unique_ptr<Conn>> t_readers;

Error internalError(const std::string& what) {
  return Error(ErrorCode::kInternalError, "The store failed: " + what);
}

}  // namespace

SQLite::Statement& Conn::statement(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    it = statements_
             .emplace(sql, std::make_unique<SQLite::Statement>(*db_, std::string(sql)))
             .first;
  } else {
    it->second->reset();
    it->second->clearBindings();
  }
  return *it->second;
}

Store::Store(StoreOptions options) : options_(std::move(options)), id_(g_next_store_id++) {
  auto db = open(/*read_only=*/false);
  db->exec("PRAGMA journal_mode = WAL");
  db->exec(options_.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  db->exec("PRAGMA foreign_keys = ON");
  // The writer walks the unique indexes (ids, content hashes) of every table
  // at random: SQLite's default 2 MiB page cache thrashes on a large library.
  db->exec(kWriterCacheSize);
  // Each write of a batch runs in a savepoint, whose journal of the pages it
  // changes is otherwise a temporary file: a pwrite per page per write.
  db->exec("PRAGMA temp_store = MEMORY");
  migrate(*db);
  writer_conn_ = std::make_unique<Conn>(std::move(db));
  writer_ = std::thread([this] { writerLoop(); });
}

Store::~Store() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
  t_readers.erase(id_);
}

std::unique_ptr<SQLite::Database> Store::open(bool read_only) const {
  const int flags = read_only ? SQLite::OPEN_READONLY
                              : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
  auto db = std::make_unique<SQLite::Database>(options_.path, flags | SQLite::OPEN_NOMUTEX,
                                               options_.busy_timeout_ms);
  return db;
}

void Store::migrate(SQLite::Database& db) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  const int current = db.execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  const auto all = migrations();
  const int newest = all.empty() ? 0 : all.back().version;
  if (current > newest) {
    throw std::runtime_error(options_.path + ": the database has schema version " +
                             std::to_string(current) + " but this aigate knows only up to " +
                             std::to_string(newest) + "; run a newer aigate");
  }
  for (const auto& m : all) {
    if (m.version <= current) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(std::string(m.sql));
      SQLite::Statement record(db, "INSERT INTO schema_migrations VALUES (?, ?, ?)");
      record.bind(1, m.version);
      record.bind(2, std::string(m.name));
      record.bind(3, static_cast<int64_t>(unixSeconds()));
      record.exec();
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
  }
}

int Store::schemaVersion() {
  return reader().db().execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
}

Conn& Store::reader() {
  auto& slot = t_readers[id_];
  if (!slot) {
    auto db = open(/*read_only=*/true);
    // Every commit empties a reader's page cache (WAL mode): with the file
    // mapped, reading its pages again costs no system call.
    db->exec("PRAGMA mmap_size = " + std::to_string(options_.reader_mmap_bytes));
    slot = std::make_unique<Conn>(std::move(db));
  }
  return *slot;
}

void Store::write(WriteFn apply, DoneFn done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(apply), std::move(done)});
  }
  wake_.notify_one();
}

Status Store::writeSync(WriteFn apply) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  write(std::move(apply), [&promise](const Status& status) { promise.set_value(status); });
  return future.get();
}

void Store::writerLoop() {
  std::deque<Task> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every write is done
      const size_t take = std::min(queue_.size(), static_cast<size_t>(options_.group_commit_max));
      for (size_t i = 0; i < take; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    runBatch(batch);
    batch.clear();
  }
}

void Store::runBatch(std::deque<Task>& batch) {
  log::HoldLines lines;  // the batch's log lines, written once it is done
  // Prepared once: these run for every write, and exec() would parse them.
  auto run = [&](const char* sql) { writer_conn_->statement(sql).exec(); };
  std::vector<Status> results;
  results.reserve(batch.size());
  try {
    run("BEGIN IMMEDIATE");
  } catch (const std::exception& e) {
    for (auto& task : batch) task.done(internalError(e.what()));
    return;
  }
  for (auto& task : batch) {
    Status status;
    try {
      run("SAVEPOINT request");
      try {
        status = task.apply(*writer_conn_);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "store: a write failed: %s\n", e.what());
        status = internalError(e.what());
      }
      if (!status.ok()) run("ROLLBACK TO request");
      run("RELEASE request");
    } catch (const std::exception& e) {
      status = internalError(e.what());
    }
    results.push_back(std::move(status));
  }
  try {
    run("COMMIT");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "store: a commit failed: %s\n", e.what());
    try {
      run("ROLLBACK");
    } catch (const std::exception&) {
    }
    for (auto& status : results) status = internalError(e.what());
  }
  lines.flush();  // the batch's lines before anything its answers cause
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(results[i]);
}

}  // namespace aigate::store
