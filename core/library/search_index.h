// An in-memory inverted index of the asset library that answers search() and
// candidates() (catalog.h) exactly as the FTS5 table does — same tokenizer,
// same BM25 scores, same order — but in well under a millisecond at a million
// assets, where FTS5 needs milliseconds to count and rank long posting lists.
//
// One index per database file, shared by every connection and Store of the
// process that read it, and kept until the process exits. It follows changes
// made by any connection or process through the `library_version` counter and
// the `assets_deleted` tombstones of migration 4: each search reads the
// counter and, when it moved, catches up (new rows are added, deleted rows
// dropped; an updated row makes it rebuild).
//
// Thread-safe.
#pragma once

#include "core/library/asset_cache.h"
#include "core/library/catalog.h"
#include "core/store/store.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace aigate::library {

// The default of the config key library.memory_index_min_assets.
inline constexpr int64_t kDefaultMemoryIndexMinAssets = 0;

// Searches of the database that `c` reads use the in-memory index once the
// library holds at least `min_assets` assets (0: always); below that, FTS5
// answers (fast enough, and no memory spent). Takes effect at the next search.
void setMemoryIndexMinAssets(store::Conn& c, int64_t min_assets);

struct IndexHit {
  int64_t seq = 0;     // assets.seq
  double score = 0;    // FTS5's bm25(): lower is better
};

struct IndexResult {
  std::vector<IndexHit> hits;  // the requested page, best first
  int64_t total = 0;           // every match that passes the filters; -1: not counted
};

class SearchIndex {
 public:
  ~SearchIndex();
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;

  // The assets matching all `terms` (or any of them when !all_terms) that
  // pass the filters and visibility of `filters`, ranked as FTS5's
  // bm25(assets_fts, 10, 6, 2, 3) ranks them, ties by seq; `limit` hits from
  // `offset` (a negative limit: all of them). `terms` are query terms as
  // queryTerms() makes them. nullopt when a term is not exactly one token (a
  // phrase, or nothing indexable): FTS5 must answer that query.
  //
  // With !count_total the total is not counted (it reads -1): an any-term
  // search then finds its hits without reading every match (max_score.h),
  // the same hits with the same scores.
  std::optional<IndexResult> search(const std::vector<std::string>& terms,
                                    const SearchQuery& filters, bool all_terms, int limit,
                                    int offset, bool count_total = true) const;

  // The number of assets indexed (deleted ones excluded).
  int64_t size() const;

  // The memory the index holds, roughly (allocator overhead aside).
  size_t memoryBytes() const;

  // The rows of the assets this index answers with, kept as the index
  // follows the library (asset_cache.h).
  AssetCache& assets() { return assets_; }

 private:
  struct Data;
  class Tokenizer;
  friend std::shared_ptr<SearchIndex> searchIndexFor(store::Conn& c);

  SearchIndex();
  // Brings the index up to what `c` sees. Returns false when a bulk load is
  // running (the FTS5 index lags the table until it ends: FTS5 must answer,
  // so that results do not depend on the path).
  // REQUIRES: `c` is not inside a transaction.
  bool catchUp(store::Conn& c);

  mutable std::mutex tokenizer_mutex_;
  std::unique_ptr<Tokenizer> query_tokenizer_;  // Guarded by tokenizer_mutex_

  std::mutex update_mutex_;  // held by the one thread catching up
  std::atomic<int64_t> applied_version_{-1};
  std::atomic<int64_t> bulk_load_version_{-1};  // the version a bulk load was seen at

  mutable std::shared_mutex mutex_;
  std::unique_ptr<Data> data_;  // Guarded by mutex_ (written under update_mutex_ too)

  AssetCache assets_;
};

// The index of the database `c` reads, brought up to date with what `c` sees;
// built at the first call once the library is large enough (seconds for a
// million assets: one line on stderr says how long and how much memory).
// nullptr when FTS5 must answer instead: the library is below the threshold,
// another thread is building the index, a bulk load is running, or `c` is
// inside a transaction.
std::shared_ptr<SearchIndex> searchIndexFor(store::Conn& c);

}  // namespace aigate::library
