// The in-memory search index's life (search_index.h): construction, catching
// up with the library (catchUp: new rows appended, deleted rows dropped, a
// rebuild aside when needed), and the per-database registry (searchIndexFor,
// setMemoryIndexMinAssets). Searching is in search_index_query.cc; the data
// and its upkeep in search_index_data.{h,cc}.
#include "core/library/search_index.h"

#include "core/library/search_index_data.h"

#include <sqlite3.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <chrono>
#include <cstdio>
#include <unordered_map>

namespace aigate::library {
namespace {

// Catching up with more new assets than this rebuilds the index aside, so
// that searches go on meanwhile.
constexpr int64_t kRebuildAfterRows = 50000;

// Rows the asset cache keeps at most: about 10 MiB of hot assets.
constexpr size_t kCachedAssets = 8192;

// Gives the pages freed while the index was built (its lists outgrew their
// buffers; a rebuild drops the old index) back to the system: glibc keeps
// them otherwise, and the process would stay near its peak size.
void releaseFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

int64_t readVersion(store::Conn& c) {
  auto& q = c.statement("SELECT version FROM library_version");
  const int64_t version = q.executeStep() ? q.getColumn(0).getInt64() : 0;
  q.reset();
  return version;
}

// Between beginBulkLoad and endBulkLoad the FTS5 index lags the table.
bool bulkLoadRunning(store::Conn& c) {
  auto& q = c.statement(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'assets_fts_insert'");
  q.executeStep();
  const bool running = q.getColumn(0).getInt() == 0;
  q.reset();
  return running;
}

bool atLeastAssets(store::Conn& c, int64_t n) {
  if (n <= 0) return true;
  auto& q = c.statement("SELECT COUNT(*) FROM (SELECT 1 FROM assets LIMIT ?)");
  q.bind(1, n);
  q.executeStep();
  const bool enough = q.getColumn(0).getInt64() >= n;
  q.reset();
  return enough;
}

// A read transaction on a connection in autocommit mode: one snapshot.
class ReadTransaction {
 public:
  explicit ReadTransaction(store::Conn& c) : c_(c) { c_.db().exec("BEGIN"); }
  ~ReadTransaction() {
    // Never leave the connection inside a transaction: it would read this
    // snapshot forever.
    if (sqlite3_get_autocommit(c_.db().getHandle())) return;
    if (sqlite3_exec(c_.db().getHandle(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
      sqlite3_exec(c_.db().getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  store::Conn& c_;
};

}  // namespace

SearchIndex::SearchIndex()
    : query_tokenizer_(std::make_unique<Tokenizer>()), assets_(kCachedAssets) {}
SearchIndex::~SearchIndex() = default;

int64_t SearchIndex::size() const {
  std::shared_lock lock(mutex_);
  return data_ ? data_->live : 0;
}

size_t SearchIndex::memoryBytes() const {
  std::shared_lock lock(mutex_);
  return data_ ? data_->bytes() : 0;
}

bool SearchIndex::catchUp(store::Conn& c) {
  const int64_t seen = readVersion(c);
  if (applied_version_.load() == seen) return true;
  if (bulk_load_version_.load() == seen) return false;
  std::unique_lock update(update_mutex_, std::try_to_lock);
  // Another thread is catching up: answer from the index as it stands (it
  // misses at most the changes being applied). An index not built yet cannot.
  if (!update.owns_lock()) return applied_version_.load() >= 0;

  ReadTransaction snapshot(c);
  const int64_t version = readVersion(c);
  if (applied_version_.load() == version) return true;
  if (bulkLoadRunning(c)) {
    bulk_load_version_ = version;
    return false;
  }

  bool rebuild = !data_;
  std::vector<size_t> gone;      // docs whose rows were deleted
  std::vector<int64_t> changed;  // seqs of rows deleted or updated
  if (data_) {
    auto& q = c.statement(
        "SELECT d.seq, a.seq IS NOT NULL FROM assets_deleted d LEFT JOIN assets a ON a.seq = d.seq"
        " WHERE d.version > ?");
    q.bind(1, applied_version_.load());
    while (q.executeStep()) {
      changed.push_back(q.getColumn(0).getInt64());
      const int64_t doc = data_->liveDoc(changed.back());
      if (doc < 0) continue;  // never indexed, or already dropped
      if (q.getColumn(1).getInt() != 0)
        rebuild = true;  // updated in place (or its seq reused): rare, start over
      else
        gone.push_back(static_cast<size_t>(doc));
    }
    q.reset();
    if (!rebuild) {
      auto& count = c.statement("SELECT COUNT(*) FROM assets WHERE seq > ?");
      count.bind(1, data_->seqs.empty() ? 0 : data_->seqs.back());
      count.executeStep();
      rebuild = count.getColumn(0).getInt64() > kRebuildAfterRows;
      count.reset();
    }
  }

  Tokenizer tokenizer;
  if (rebuild) {
    const auto start = std::chrono::steady_clock::now();
    auto fresh = std::make_unique<Data>();
    fresh->appendRows(c, 0, tokenizer);
    fresh->shrink();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "library: search index of %lld assets built in %.2f s, %.0f MiB\n",
                 static_cast<long long>(fresh->live), seconds,
                 static_cast<double>(fresh->bytes()) / (1024.0 * 1024.0));
    {
      std::unique_lock lock(mutex_);
      data_.swap(fresh);
    }
    fresh.reset();  // the index replaced, if any: freed outside the lock
    releaseFreedMemory();
  } else {
    std::unique_lock lock(mutex_);
    for (size_t doc : gone) data_->markDeleted(doc);
    const int64_t newest = data_->maxLiveSeq();
    auto& more = c.statement("SELECT EXISTS (SELECT 1 FROM assets WHERE seq > ?)");
    more.bind(1, newest);
    more.executeStep();
    const bool added = more.getColumn(0).getInt() != 0;
    more.reset();
    if (added) {
      data_->trimDeletedTail();
      data_->appendRows(c, newest, tokenizer);
    }
  }
  if (rebuild)
    assets_.clear(version);
  else
    assets_.forget(changed, version);
  applied_version_ = version;
  bulk_load_version_ = -1;
  return true;
}

namespace {

// What the process knows about one database file's index.
struct Entry {
  std::mutex mutex;
  int64_t min_assets = kDefaultMemoryIndexMinAssets;  // Guarded by mutex
  std::shared_ptr<SearchIndex> index;                 // Guarded by mutex; set once built
  bool building = false;                              // Guarded by mutex
  int64_t not_built_at = -1;  // Guarded by mutex: the version at which building was ruled out
};

// The entry of the database file `db` reads; nullptr for a database without
// a file (":memory:"), which no other connection can share.
std::shared_ptr<Entry> entryFor(sqlite3* db) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::shared_ptr<Entry>> entries;  // Guarded by mutex
  const char* file = sqlite3_db_filename(db, "main");
  if (!file || !*file) return nullptr;
  std::lock_guard lock(mutex);
  auto& entry = entries[file];
  if (!entry) entry = std::make_shared<Entry>();
  return entry;
}

}  // namespace

void setMemoryIndexMinAssets(store::Conn& c, int64_t min_assets) {
  auto entry = entryFor(c.db().getHandle());
  if (!entry) return;
  std::lock_guard lock(entry->mutex);
  entry->min_assets = min_assets;
  entry->not_built_at = -1;
}

std::shared_ptr<SearchIndex> searchIndexFor(store::Conn& c) {
  sqlite3* db = c.db().getHandle();
  if (!sqlite3_get_autocommit(db)) return nullptr;  // might see writes that roll back
  auto entry = entryFor(db);
  if (!entry) return nullptr;
  std::shared_ptr<SearchIndex> index;
  int64_t min_assets = 0;
  {
    std::lock_guard lock(entry->mutex);
    if (entry->building) return nullptr;
    index = entry->index;
    min_assets = entry->min_assets;
  }
  if (index) return index->catchUp(c) ? index : nullptr;

  const int64_t version = readVersion(c);
  {
    std::lock_guard lock(entry->mutex);
    if (entry->not_built_at == version) return nullptr;
  }
  if (!atLeastAssets(c, min_assets)) {
    std::lock_guard lock(entry->mutex);
    entry->not_built_at = version;
    return nullptr;
  }
  {
    std::lock_guard lock(entry->mutex);
    if (entry->building || entry->index) return nullptr;
    entry->building = true;
  }
  std::shared_ptr<SearchIndex> fresh;
  bool built = false;
  try {
    fresh.reset(new SearchIndex());
    built = fresh->catchUp(c);
  } catch (...) {
    std::lock_guard lock(entry->mutex);
    entry->building = false;
    throw;
  }
  std::lock_guard lock(entry->mutex);
  entry->building = false;
  if (!built) {  // a bulk load is running: try again once the library changes
    entry->not_built_at = version;
    return nullptr;
  }
  entry->index = fresh;
  return fresh;
}

}  // namespace aigate::library
