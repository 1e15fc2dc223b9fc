// Asset rows by seq, kept in memory for the rows that library matches and
// search pages load again and again: a hit then reads no row from SQLite
// (with WAL, every commit empties a reader's page cache, so each row was a
// B-tree walk of `pread`s, plus parsing its tags).
//
// A fixed number of slots, each holding the last row offered for the seqs
// that map to it (seq modulo the slot count): memory is bounded (about 1 KiB
// a row) and a lookup is one lock and one shared_ptr copy. Rows keep the
// stems matches work out, so a hot asset is stemmed once.
//
// Never stale past what the search index knows: the index's catch-up calls
// forget() with the seqs changed since (updated or deleted rows, from the
// tombstones) and clear() when it rebuilds, and a row read at a library
// version older than the last catch-up is not kept (it may predate a change
// already forgotten).
//
// Thread-safe.
#pragma once

#include "core/library/asset.h"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigate::library {

// A stem as a number: its id in the process's dictionary of the stems of
// the rows matches have read, so that a match compares integers.
using StemId = uint32_t;

// The id of `stem`, or nullopt when no row read so far has it.
std::optional<StemId> findStem(std::string_view stem);

// The stems of an asset's text that library matching compares prompts with
// (matcher.h): each sorted and distinct.
struct AssetStems {
  std::vector<StemId> strong;  // of the title, topic and tags
  std::vector<StemId> weak;    // of the description
};

// An asset row, immutable and shared by the threads that read it, with its
// stems, worked out at the first match that reads them.
class AssetRow {
 public:
  explicit AssetRow(Asset asset) : asset_(std::move(asset)) {}

  const Asset& asset() const { return asset_; }
  const AssetStems& stems() const;

 private:
  const Asset asset_;
  mutable std::once_flag stems_once_;
  mutable AssetStems stems_;  // set once, under stems_once_
};

class AssetCache {
 public:
  // REQUIRES: `slots` is a power of two.
  explicit AssetCache(size_t slots);

  // The row of `seq`, or nullptr when it is not kept.
  std::shared_ptr<const AssetRow> find(int64_t seq) const;

  // Keeps `asset`, the row of `seq` as read at library version
  // `read_version`, unless the cache has caught up past that version.
  void offer(int64_t seq, std::shared_ptr<const AssetRow> asset, int64_t read_version);

  // Forgets the rows of `seqs` (changed at or before library version
  // `version`) and accepts rows read at `version` or later from now on.
  void forget(const std::vector<int64_t>& seqs, int64_t version);

  // Forgets every row, then as forget().
  void clear(int64_t version);

  // Rows kept.
  size_t size() const;

 private:
  struct Slot {
    int64_t seq = -1;
    std::shared_ptr<const AssetRow> asset;
  };

  mutable std::mutex mutex_;
  std::vector<Slot> slots_;                                   // Guarded by mutex_
  int64_t valid_from_ = std::numeric_limits<int64_t>::max();  // Guarded by mutex_: none yet
};

}  // namespace aigate::library
