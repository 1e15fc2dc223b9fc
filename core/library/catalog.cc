#include "core/library/catalog.h"

#include "core/common/clock.h"
#include "core/common/crypto.h"
#include "core/library/search_index.h"
#include "core/library/text.h"
#include "core/store/migrations.h"

namespace aigate::library {
namespace {

// The columns readAsset() reads, in its order.
#define AIGATE_SELECT_ASSET                                                               \
  "SELECT a.id, a.type, a.file, a.mime, a.bytes, a.sha256, a.title, a.description, a.topic," \
  " a.tags, a.aspect_ratio, a.width, a.height, a.duration_s, a.source, a.provider,"        \
  " a.owner_id, a.prompt, a.created_at"
constexpr int kAssetColumns = 19;

std::optional<std::string> optionalText(const SQLite::Column& col) {
  if (col.isNull()) return std::nullopt;
  return col.getString();
}

Asset readAsset(SQLite::Statement& q) {
  Asset a;
  a.id = q.getColumn(0).getString();
  a.type = q.getColumn(1).getString();
  a.file = q.getColumn(2).getString();
  a.mime = q.getColumn(3).getString();
  a.bytes = static_cast<uint64_t>(q.getColumn(4).getInt64());
  a.sha256 = q.getColumn(5).getString();
  a.title = q.getColumn(6).getString();
  a.description = q.getColumn(7).getString();
  a.topic = q.getColumn(8).getString();
  auto tags = nlohmann::json::parse(q.getColumn(9).getString(), nullptr, false);
  if (tags.is_array())
    for (const auto& t : tags)
      if (t.is_string()) a.tags.push_back(t.get<std::string>());
  a.aspect_ratio = q.getColumn(10).getString();
  a.width = q.getColumn(11).getInt();
  a.height = q.getColumn(12).getInt();
  if (!q.getColumn(13).isNull()) a.duration_s = q.getColumn(13).getDouble();
  a.source = q.getColumn(14).getString();
  a.provider = optionalText(q.getColumn(15));
  a.owner_id = optionalText(q.getColumn(16));
  a.prompt = optionalText(q.getColumn(17));
  a.created_at = q.getColumn(18).getInt64();
  return a;
}

// Binds the shared filter parameters ?2..?5 of the search statements.
void bindFilters(SQLite::Statement& q, const SearchQuery& f) {
  if (f.type) q.bind(2, *f.type);
  if (f.topic) q.bind(3, *f.topic);
  if (f.aspect_ratio) q.bind(4, *f.aspect_ratio);
  if (f.viewer) q.bind(5, *f.viewer);
}

#define AIGATE_FILTERS                                                              \
  " AND (?2 IS NULL OR a.type = ?2) AND (?3 IS NULL OR a.topic = ?3)"              \
  " AND (?4 IS NULL OR a.aspect_ratio = ?4)"                                        \
  " AND (a.owner_id IS NULL OR a.owner_id = ?5)"

constexpr const char* kRankedSql =
    AIGATE_SELECT_ASSET
    " FROM assets_fts f JOIN assets a ON a.seq = f.rowid"
    " WHERE assets_fts MATCH ?1" AIGATE_FILTERS
    " ORDER BY bm25(assets_fts, 10.0, 6.0, 2.0, 3.0), a.seq LIMIT ?6 OFFSET ?7";
constexpr const char* kRankedCountSql =
    "SELECT COUNT(*) FROM assets_fts f JOIN assets a ON a.seq = f.rowid"
    " WHERE assets_fts MATCH ?1" AIGATE_FILTERS;
constexpr const char* kListSql =
    AIGATE_SELECT_ASSET
    " FROM assets a WHERE ?1 IS NULL" AIGATE_FILTERS " ORDER BY a.seq LIMIT ?6 OFFSET ?7";
constexpr const char* kListCountSql =
    "SELECT COUNT(*) FROM assets a WHERE ?1 IS NULL" AIGATE_FILTERS;
#undef AIGATE_FILTERS

SearchResult run(store::Conn& c, const char* sql, const char* count_sql, const std::string* match,
                 const SearchQuery& f) {
  SearchResult result;
  auto& q = c.statement(sql);
  if (match) q.bind(1, *match);
  bindFilters(q, f);
  q.bind(6, f.limit);
  q.bind(7, f.offset);
  while (q.executeStep()) result.items.push_back(readAsset(q));
  q.reset();
  auto& count = c.statement(count_sql);
  if (match) count.bind(1, *match);
  bindFilters(count, f);
  count.executeStep();
  result.total = count.getColumn(0).getInt64();
  count.reset();
  return result;
}

// The assets of `hits`, in their order; one deleted meanwhile is left out.
// Rows come from the index's asset cache when it has them; the others are
// read with the library version they were read at, and offered to it.
std::vector<std::shared_ptr<const AssetRow>> loadHits(store::Conn& c, SearchIndex& index,
                                                      const std::vector<IndexHit>& hits) {
  std::vector<std::shared_ptr<const AssetRow>> out;
  out.reserve(hits.size());
  SQLite::Statement* q = nullptr;
  for (const auto& hit : hits) {
    if (auto kept = index.assets().find(hit.seq)) {
      out.push_back(std::move(kept));
      continue;
    }
    if (!q)
      q = &c.statement(AIGATE_SELECT_ASSET
                       ", (SELECT version FROM library_version)"
                       " FROM assets a WHERE a.seq = ?");
    q->bind(1, hit.seq);
    if (q->executeStep()) {
      auto asset = std::make_shared<const AssetRow>(readAsset(*q));
      index.assets().offer(hit.seq, asset, q->getColumn(kAssetColumns).getInt64());
      out.push_back(std::move(asset));
    }
    q->reset();
  }
  return out;
}

// Bumps the change counter that in-memory search indexes follow.
void bumpLibraryVersion(store::Conn& c) {
  c.db().exec("UPDATE library_version SET version = version + 1");
}

// The trigger of migration 4 that bumps the counter for each new asset, as
// that migration creates it. A bulk load drops it: any trigger on insert
// slows loading by half (measured: 150,000 rows in 6–8 s without, 10–12 s with).
constexpr const char* kVersionInsertTrigger =
    "CREATE TRIGGER IF NOT EXISTS assets_version_insert AFTER INSERT ON assets BEGIN"
    " UPDATE library_version SET version = version + 1; END";

}  // namespace

Inserted insertAsset(store::Conn& c, Asset a) {
  if (a.id.empty()) a.id = newId("ast");
  if (a.created_at == 0) a.created_at = unixSeconds();
  auto& q = c.statement(
      "INSERT INTO assets (id, type, file, mime, bytes, sha256, title, description, topic, tags,"
      " aspect_ratio, width, height, duration_s, source, provider, owner_id, prompt, created_at)"
      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (sha256) DO NOTHING");
  int i = 1;
  q.bind(i++, a.id);
  q.bind(i++, a.type);
  q.bind(i++, a.file);
  q.bind(i++, a.mime);
  q.bind(i++, static_cast<int64_t>(a.bytes));
  q.bind(i++, a.sha256);
  q.bind(i++, a.title);
  q.bind(i++, a.description);
  q.bind(i++, a.topic);
  q.bind(i++, nlohmann::json(a.tags).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  q.bind(i++, a.aspect_ratio);
  q.bind(i++, a.width);
  q.bind(i++, a.height);
  if (a.duration_s) q.bind(i, *a.duration_s);
  ++i;
  q.bind(i++, a.source);
  if (a.provider) q.bind(i, *a.provider);
  ++i;
  if (a.owner_id) q.bind(i, *a.owner_id);
  ++i;
  if (a.prompt) q.bind(i, *a.prompt);
  ++i;
  q.bind(i++, a.created_at);
  if (q.exec() == 0) {  // the same file is in already
    Asset existing = *findAssetBySha(c, a.sha256);
    std::string id = existing.id;
    return {std::move(id), false, std::move(existing)};
  }
  std::string id = a.id;
  return {std::move(id), true, std::move(a)};
}

namespace {

// The asset that the one-parameter query `sql` finds for `key`.
std::optional<Asset> findOne(store::Conn& c, std::string_view sql, const std::string& key) {
  auto& q = c.statement(sql);
  q.bind(1, key);
  std::optional<Asset> out;
  if (q.executeStep()) out = readAsset(q);
  q.reset();
  return out;
}

}  // namespace

std::optional<Asset> findAsset(store::Conn& c, const std::string& id) {
  return findOne(c, AIGATE_SELECT_ASSET " FROM assets a WHERE a.id = ?", id);
}

// In-memory search indexes notice both ends of a bulk load by the counter
// (and answer through FTS5 in between, as it lags the table).
void beginBulkLoad(store::Conn& c) {
  // A million random-order index inserts want the indexes in memory: 256 MiB
  // of page cache while loading (measured below in README "Performance").
  c.db().exec("PRAGMA cache_size = -262144");
  // …and checkpoints 10x rarer: a page rewritten by many batches is copied
  // into the database file once per checkpoint, not once per 4 MiB of WAL.
  c.db().exec("PRAGMA wal_autocheckpoint = 10000");
  c.db().exec("DROP TRIGGER IF EXISTS assets_fts_insert");
  c.db().exec("DROP TRIGGER IF EXISTS assets_version_insert");
  bumpLibraryVersion(c);
}

void endBulkLoad(store::Conn& c) {
  c.db().exec("INSERT INTO assets_fts (assets_fts) VALUES ('rebuild')");
  c.db().exec(std::string(store::kAssetsFtsInsertTrigger));
  c.db().exec(kVersionInsertTrigger);
  bumpLibraryVersion(c);
  c.db().exec(store::kWriterCacheSize);
  c.db().exec("PRAGMA wal_autocheckpoint = 1000");
}

bool repairIndex(store::Conn& c) {
  const bool present =
      c.db().execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'"
                        " AND name = 'assets_fts_insert'")
          .getInt() == 1;
  if (present) return false;
  endBulkLoad(c);
  return true;
}

std::optional<Asset> deleteAsset(store::Conn& c, const std::string& id) {
  auto asset = findAsset(c, id);
  if (!asset) return std::nullopt;
  auto& q = c.statement("DELETE FROM assets WHERE id = ?");
  q.bind(1, id);
  q.exec();
  return asset;
}

std::optional<Asset> findAssetBySha(store::Conn& c, const std::string& sha256_hex) {
  return findOne(c, AIGATE_SELECT_ASSET " FROM assets a WHERE a.sha256 = ?", sha256_hex);
}

SearchResult search(store::Conn& c, const SearchQuery& query) {
  const auto terms = queryTerms(query.text);
  if (terms.empty()) return run(c, kListSql, kListCountSql, nullptr, query);
  if (auto index = searchIndexFor(c)) {
    auto found = index->search(terms, query, /*all_terms=*/true, query.limit, query.offset);
    if (found && found->total == 0 && terms.size() > 1)
      found = index->search(terms, query, /*all_terms=*/false, query.limit, query.offset);
    if (found) {
      SearchResult result{{}, found->total};
      for (auto& row : loadHits(c, *index, found->hits)) result.items.push_back(row->asset());
      return result;
    }
  }
  const std::string all = ftsQuery(terms, /*all_terms=*/true);
  SearchResult result = run(c, kRankedSql, kRankedCountSql, &all, query);
  if (result.total == 0 && terms.size() > 1) {
    const std::string any = ftsQuery(terms, /*all_terms=*/false);
    result = run(c, kRankedSql, kRankedCountSql, &any, query);
  }
  return result;
}

std::vector<std::shared_ptr<const AssetRow>> candidates(store::Conn& c,
                                                        const std::vector<std::string>& terms,
                                                        const SearchQuery& filters, int limit) {
  std::vector<std::shared_ptr<const AssetRow>> out;
  if (terms.empty()) return out;
  if (auto index = searchIndexFor(c)) {
    if (auto found =
            index->search(terms, filters, /*all_terms=*/false, limit, 0, /*count_total=*/false))
      return loadHits(c, *index, found->hits);
  }
  const std::string any = ftsQuery(terms, /*all_terms=*/false);
  auto& q = c.statement(kRankedSql);
  q.bind(1, any);
  bindFilters(q, filters);
  q.bind(6, limit);
  q.bind(7, 0);
  while (q.executeStep()) out.push_back(std::make_shared<const AssetRow>(readAsset(q)));
  q.reset();
  return out;
}

}  // namespace aigate::library
