// The asset table and its full-text index: insert, look up, search.
//
// Writes REQUIRE a Store write; reads take any connection.
#pragma once

#include "core/common/errors.h"
#include "core/library/asset.h"
#include "core/library/asset_cache.h"
#include "core/store/store.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aigate::library {

// Inserts `asset` (id and created_at are filled in when empty). When an asset
// with the same content hash exists, nothing is written and that asset is
// returned with `inserted` false.
struct Inserted {
  std::string id;
  bool inserted = false;
  Asset asset;  // the row: the new one, or the one that has the same file
};
Inserted insertAsset(store::Conn& c, Asset asset);

// Bulk loading, for large imports: between begin and end, inserted assets are
// not indexed one by one; end rebuilds the full-text index once (seconds for
// a million assets, instead of minutes of per-row maintenance). Assets
// inserted meanwhile by anyone become searchable at the end (in-memory
// search indexes too: they catch up then).
void beginBulkLoad(store::Conn& c);
void endBulkLoad(store::Conn& c);
// Finishes a bulk load that was cut short (a crash): returns true when it had
// to rebuild the index. Cheap when there is nothing to do.
bool repairIndex(store::Conn& c);

std::optional<Asset> findAsset(store::Conn& c, const std::string& id);
// Deletes the asset `id` (and its index entry); returns it, or nullopt when
// there is none.
std::optional<Asset> deleteAsset(store::Conn& c, const std::string& id);
std::optional<Asset> findAssetBySha(store::Conn& c, const std::string& sha256_hex);

struct SearchQuery {
  std::string text;                // free text; may be empty
  std::optional<std::string> type;  // "image" | "video"
  std::optional<std::string> topic;
  std::optional<std::string> aspect_ratio;
  std::optional<std::string> viewer;  // a user whose own assets are visible too
  int limit = 20;
  int offset = 0;
};

struct SearchResult {
  std::vector<Asset> items;
  int64_t total = 0;
};

// Assets ranked by relevance (BM25 over title, tags, topic, description, in
// that order of weight; ties by age, oldest first). All query terms must
// match; when that finds nothing, any term may. Large libraries are searched
// in memory (search_index.h), with the same results.
SearchResult search(store::Conn& c, const SearchQuery& query);

// Up to `limit` candidates for a prompt: any term matches, same filters.
// Shared: rows the in-memory index's cache keeps are not copied, and keep
// their stems.
std::vector<std::shared_ptr<const AssetRow>> candidates(store::Conn& c,
                                                        const std::vector<std::string>& terms,
                                                        const SearchQuery& filters, int limit);

}  // namespace aigate::library
