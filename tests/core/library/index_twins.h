// The search index tests' fixture: random libraries of a few words with
// stems in common, random queries, and Twins, two stores holding the same
// assets, one searched in memory and one through FTS5, compared answer by
// answer. Shared by search_index_test.cc and search_index_pruned_test.cc.
#pragma once

#include "core/library/catalog.h"
#include "core/library/search_index.h"
#include "core/library/text.h"
#include "core/store/store.h"
#include "tests/support/sample_library.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace aigate::index_twins {

// A few words with stems in common ("run"/"running"/"runs"), a diacritic
// ("café" is indexed as "cafe") and a word FTS5 splits ("e-mail"), so that
// matches, ties and both query modes are frequent.
inline const std::vector<std::string> kWords = {
    "sunset", "sunsets", "ocean", "golden", "city", "towers", "run", "running", "runs",
    "mountain", "mountains", "snowy", "pizza", "café", "cafe", "misty", "forest", "bird",
    "night", "neon", "street", "coffee", "dog", "cat", "river", "bridge", "e-mail", "lake"};
inline const std::vector<std::string> kTopics = {"nature", "city", "food", "animals"};
inline const std::vector<std::string> kRatios = {"1:1", "16:9", "9:16", "4:5"};
inline const std::vector<std::string> kOwners = {"", "", "", "usr_a", "usr_b"};  // "": shared

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

inline std::string words(std::mt19937& rng, int min, int max) {
  const int n = min + static_cast<int>(rng() % static_cast<unsigned>(max - min + 1));
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? " " : "") + pick(rng, kWords);
  return out;
}

inline library::Asset randomAsset(std::mt19937& rng, int n) {
  const bool video = rng() % 4 == 0;
  library::Asset a = testing::assetRow(n, words(rng, 1, 4));
  a.id = "ast_test_" + std::to_string(n);
  if (video) a.type = "video";
  a.description = words(rng, 0, 8);
  a.topic = pick(rng, kTopics);
  for (int i = 0, tags = static_cast<int>(rng() % 4); i < tags; ++i) a.tags.push_back(pick(rng, kWords));
  a.aspect_ratio = pick(rng, kRatios);
  if (const auto& owner = pick(rng, kOwners); !owner.empty()) a.owner_id = owner;
  return a;
}

inline library::SearchQuery randomQuery(std::mt19937& rng) {
  library::SearchQuery q;
  q.text = words(rng, 1, 3);
  if (rng() % 8 == 0) q.text += " unicorn";  // matches nothing: OR fallback
  if (rng() % 3 == 0) q.type = rng() % 2 ? "image" : "video";
  if (rng() % 5 == 0) q.topic = pick(rng, kTopics);
  if (rng() % 5 == 0) q.aspect_ratio = pick(rng, kRatios);
  if (rng() % 10 == 0) q.topic = "no-such-topic";
  if (const auto& owner = pick(rng, kOwners); !owner.empty()) q.viewer = owner;
  if (rng() % 10 == 0) q.viewer = "usr_nobody";
  q.limit = 1 + static_cast<int>(rng() % 30);
  q.offset = rng() % 3 == 0 ? static_cast<int>(rng() % 20) : 0;
  return q;
}

inline void insertAll(store::Store& s, std::vector<library::Asset> assets) {
  REQUIRE(s.writeSync([&](store::Conn& c) {
               for (auto& a : assets) library::insertAsset(c, std::move(a));
               return Status::Ok();
             }).ok());
}

// Two stores holding the same assets under the same seqs: one searched in
// memory, the other (below the size threshold) through FTS5.
struct Twins {
  testing::TempDir dir;
  std::unique_ptr<store::Store> memory;
  std::unique_ptr<store::Store> fts;

  Twins() {
    memory = std::make_unique<store::Store>(store::StoreOptions{dir.path() + "/memory.db", false});
    fts = std::make_unique<store::Store>(store::StoreOptions{dir.path() + "/fts.db", false});
    library::setMemoryIndexMinAssets(memory->reader(), 0);
    library::setMemoryIndexMinAssets(fts->reader(), std::numeric_limits<int64_t>::max());
  }

  void insert(const std::vector<library::Asset>& assets) {
    insertAll(*memory, assets);
    insertAll(*fts, assets);
  }
  void remove(const std::string& id) {
    for (auto* s : {memory.get(), fts.get()})
      REQUIRE(s->writeSync([&](store::Conn& c) {
                 library::deleteAsset(c, id);
                 return Status::Ok();
               }).ok());
  }

  // FTS5's score of every asset matching `text` (all terms, or any).
  // `shared_only`: the shared library's assets alone.
  std::map<std::string, double> ftsScores(const std::string& text, bool all_terms,
                                          bool shared_only = false) {
    std::map<std::string, double> out;
    auto& c = fts->reader();
    SQLite::Statement q(c.db(),
                        std::string("SELECT a.id, bm25(assets_fts, 10.0, 6.0, 2.0, 3.0)"
                                    " FROM assets_fts f JOIN assets a ON a.seq = f.rowid"
                                    " WHERE assets_fts MATCH ?") +
                            (shared_only ? " AND a.owner_id IS NULL" : ""));
    q.bind(1, library::ftsQuery(library::queryTerms(text), all_terms));
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getDouble();
    return out;
  }

  // FTS5's page of an any-term search for `terms` with the filters, limit and
  // offset of `q`, as (seq, bm25) pairs: both stores number assets alike.
  std::vector<std::pair<int64_t, double>> ftsAnyTermPage(const std::vector<std::string>& terms,
                                                         const library::SearchQuery& q) {
    SQLite::Statement s(
        fts->reader().db(),
        "SELECT a.seq, bm25(assets_fts, 10.0, 6.0, 2.0, 3.0) AS score"
        " FROM assets_fts f JOIN assets a ON a.seq = f.rowid WHERE assets_fts MATCH ?1"
        " AND (?2 IS NULL OR a.type = ?2) AND (?3 IS NULL OR a.topic = ?3)"
        " AND (?4 IS NULL OR a.aspect_ratio = ?4) AND (a.owner_id IS NULL OR a.owner_id = ?5)"
        " ORDER BY score, a.seq LIMIT ?6 OFFSET ?7");
    s.bind(1, library::ftsQuery(terms, /*all_terms=*/false));
    if (q.type) s.bind(2, *q.type);
    if (q.topic) s.bind(3, *q.topic);
    if (q.aspect_ratio) s.bind(4, *q.aspect_ratio);
    if (q.viewer) s.bind(5, *q.viewer);
    s.bind(6, q.limit);
    s.bind(7, q.offset);
    std::vector<std::pair<int64_t, double>> out;
    while (s.executeStep()) out.emplace_back(s.getColumn(0).getInt64(), s.getColumn(1).getDouble());
    return out;
  }

  // The same answer from both: same total, same ids in the same order, except
  // among assets whose scores are equal.
  void compare(const library::SearchQuery& q) {
    INFO("q=" << q.text << " type=" << q.type.value_or("-") << " topic=" << q.topic.value_or("-")
              << " ratio=" << q.aspect_ratio.value_or("-") << " viewer=" << q.viewer.value_or("-")
              << " limit=" << q.limit << " offset=" << q.offset);
    const auto expected = library::search(fts->reader(), q);
    const auto got = library::search(memory->reader(), q);
    REQUIRE(got.total == expected.total);
    REQUIRE(got.items.size() == expected.items.size());
    std::map<std::string, double> all;
    for (size_t i = 0; i < got.items.size(); ++i) {
      if (got.items[i].id == expected.items[i].id) continue;
      if (all.empty()) {
        all = ftsScores(q.text, true);
        for (const auto& [id, score] : ftsScores(q.text, false)) all.emplace(id, score);
      }
      INFO("position " << i << ": " << got.items[i].id << " vs " << expected.items[i].id);
      REQUIRE(all.count(got.items[i].id) == 1);
      CHECK(std::abs(all[got.items[i].id] - all[expected.items[i].id]) < 1e-9);
    }
  }
};

inline std::vector<library::Asset> randomAssets(std::mt19937& rng, int first, int count) {
  std::vector<library::Asset> out;
  for (int n = first; n < first + count; ++n) out.push_back(randomAsset(rng, n));
  return out;
}

}  // namespace aigate::index_twins
