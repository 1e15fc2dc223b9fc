// The in-memory search index against the FTS5 path it replaces: the same ids
// in the same order and the same totals for random libraries and queries,
// freshness after writes by any connection, hostile text, and the HTTP API.
#include "core/library/search_index.h"

#include "core/library/catalog.h"
#include "core/library/text.h"
#include "core/store/store.h"
#include "tests/support/sample_library.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <thread>
#include <utility>

using namespace aigate;

namespace {

// A few words with stems in common ("run"/"running"/"runs"), a diacritic
// ("café" is indexed as "cafe") and a word FTS5 splits ("e-mail"), so that
// matches, ties and both query modes are frequent.
const std::vector<std::string> kWords = {
    "sunset", "sunsets", "ocean", "golden", "city", "towers", "run", "running", "runs",
    "mountain", "mountains", "snowy", "pizza", "café", "cafe", "misty", "forest", "bird",
    "night", "neon", "street", "coffee", "dog", "cat", "river", "bridge", "e-mail", "lake"};
const std::vector<std::string> kTopics = {"nature", "city", "food", "animals"};
const std::vector<std::string> kRatios = {"1:1", "16:9", "9:16", "4:5"};
const std::vector<std::string> kOwners = {"", "", "", "usr_a", "usr_b"};  // "": shared

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

std::string words(std::mt19937& rng, int min, int max) {
  const int n = min + static_cast<int>(rng() % static_cast<unsigned>(max - min + 1));
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? " " : "") + pick(rng, kWords);
  return out;
}

library::Asset randomAsset(std::mt19937& rng, int n) {
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

library::SearchQuery randomQuery(std::mt19937& rng) {
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

void insertAll(store::Store& s, std::vector<library::Asset> assets) {
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

std::vector<library::Asset> randomAssets(std::mt19937& rng, int first, int count) {
  std::vector<library::Asset> out;
  for (int n = first; n < first + count; ++n) out.push_back(randomAsset(rng, n));
  return out;
}

// Words drawn as real captions have them, by a Zipf law: a few in many
// assets, most in a few. The most frequent stem alike ("run", "running",
// "runs" are one token), so that a query may hold a token twice.
class ZipfWords {
 public:
  ZipfWords() {
    words_ = {"run", "running", "runs", "sunset", "sunsets", "ocean", "city", "golden", "cafe"};
    for (int i = 0; words_.size() < 400; ++i) words_.push_back("wd" + std::to_string(i));
    double sum = 0;
    for (size_t rank = 0; rank < words_.size(); ++rank)
      cumulative_.push_back(sum += 1.0 / static_cast<double>(rank + 3));
  }
  const std::string& draw(std::mt19937& rng) const {
    const double x = std::uniform_real_distribution<double>(0, cumulative_.back())(rng);
    const auto at =
        std::lower_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin();
    return words_[std::min(static_cast<size_t>(at), words_.size() - 1)];
  }
  std::string text(std::mt19937& rng, int min, int max) const {
    const int n = min + static_cast<int>(rng() % static_cast<unsigned>(max - min + 1));
    std::string out;
    for (int i = 0; i < n; ++i) out += (i ? " " : "") + draw(rng);
    return out;
  }

 private:
  std::vector<std::string> words_;
  std::vector<double> cumulative_;
};

// An asset of Zipf words: one in ten is one word long (all such tie), one
// in a hundred holds a frequent word so often that its weight is heavy
// (above a byte).
library::Asset zipfAsset(std::mt19937& rng, const ZipfWords& words, int n) {
  library::Asset a = randomAsset(rng, n);
  a.tags.clear();
  const auto shape = rng() % 100;
  if (shape < 10) {
    a.title = words.draw(rng);
    a.description.clear();
  } else if (shape < 11) {
    const std::string& word = words.draw(rng);
    a.title.clear();
    for (int i = 0; i < 26 + static_cast<int>(rng() % 10); ++i) a.title += word + " ";
    a.description = words.text(rng, 0, 20);
  } else {
    a.title = words.text(rng, 1, 6);
    a.description = words.text(rng, 0, 20);
    for (int i = 0, tags = static_cast<int>(rng() % 5); i < tags; ++i)
      a.tags.push_back(words.draw(rng));
  }
  return a;
}

// A prompt of 1–10 Zipf words (now and then one no asset has), with random
// filters, a limit of 1, 25 or 100 and at times an offset.
library::SearchQuery zipfQuery(std::mt19937& rng, const ZipfWords& words) {
  library::SearchQuery q = randomQuery(rng);
  q.text = words.text(rng, 1, 10);
  if (rng() % 10 == 0) q.text += " unicorn";
  static const int kLimits[] = {1, 25, 100};
  static const int kOffsets[] = {0, 0, 0, 5, 30};
  q.limit = kLimits[rng() % 3];
  q.offset = kOffsets[rng() % 5];
  return q;
}

// The any-term page of `q` without the total (pruned) is the page with it,
// hit for hit and score for score, and FTS5's page; so is candidates()'s.
void comparePruned(Twins& twins, const library::SearchQuery& q) {
  INFO("q=" << q.text << " type=" << q.type.value_or("-") << " topic=" << q.topic.value_or("-")
            << " ratio=" << q.aspect_ratio.value_or("-") << " viewer=" << q.viewer.value_or("-")
            << " limit=" << q.limit << " offset=" << q.offset);
  auto index = library::searchIndexFor(twins.memory->reader());
  REQUIRE(index);
  const auto terms = library::queryTerms(q.text);
  for (const bool all_terms : {false, true}) {
    const auto pruned = index->search(terms, q, all_terms, q.limit, q.offset, false);
    const auto counted = index->search(terms, q, all_terms, q.limit, q.offset, true);
    REQUIRE(pruned.has_value() == counted.has_value());
    if (!pruned) return;  // a phrase: FTS5 answers
    CHECK(pruned->total == -1);
    REQUIRE(pruned->hits.size() == counted->hits.size());
    for (size_t i = 0; i < pruned->hits.size(); ++i) {
      INFO((all_terms ? "all terms" : "any term") << ", position " << i);
      REQUIRE(pruned->hits[i].seq == counted->hits[i].seq);
      REQUIRE(pruned->hits[i].score == counted->hits[i].score);  // the same double
    }
  }
  // FTS5's doubles may be a hair off ours: its page may order ties otherwise.
  const auto page = index->search(terms, q, false, q.limit, q.offset, false);
  const auto expected = twins.ftsAnyTermPage(terms, q);
  REQUIRE(page->hits.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("position " << i << ": " << page->hits[i].seq << " vs FTS5's " << expected[i].first);
    CHECK(std::abs(page->hits[i].score - expected[i].second) < 1e-9);
  }
  const auto got = library::candidates(twins.memory->reader(), terms, q, q.limit);
  const auto fts = library::candidates(twins.fts->reader(), terms, q, q.limit);
  REQUIRE(got.size() == fts.size());
  std::map<std::string, double> scores;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i]->asset().id == fts[i]->asset().id) continue;
    if (scores.empty()) scores = twins.ftsScores(q.text, false);
    CHECK(std::abs(scores.at(got[i]->asset().id) - scores.at(fts[i]->asset().id)) < 1e-9);
  }
}

}  // namespace

TEST_CASE("the in-memory index ranks, filters, counts and pages as FTS5 does", "[search_index]") {
  std::mt19937 rng(7);
  Twins twins;
  twins.insert(randomAssets(rng, 0, 400));
  REQUIRE(library::searchIndexFor(twins.memory->reader()) != nullptr);
  REQUIRE(library::searchIndexFor(twins.fts->reader()) == nullptr);  // below the threshold
  for (int i = 0; i < 600; ++i) twins.compare(randomQuery(rng));
}

TEST_CASE("index scores are FTS5's bm25 scores", "[search_index]") {
  std::mt19937 rng(11);
  Twins twins;
  twins.insert(randomAssets(rng, 0, 300));
  auto index = library::searchIndexFor(twins.memory->reader());
  REQUIRE(index);
  CHECK(index->size() == 300);
  for (int i = 0; i < 200; ++i) {
    const auto q = randomQuery(rng);
    const bool all_terms = i % 2 == 0;
    const auto found = index->search(library::queryTerms(q.text), {}, all_terms, 1000, 0);
    if (!found) continue;  // a phrase ("e-mail"): FTS5 answers
    const auto expected = twins.ftsScores(q.text, all_terms, /*shared_only=*/true);
    INFO(q.text << (all_terms ? " (all)" : " (any)"));
    REQUIRE(found->total == static_cast<int64_t>(expected.size()));
    for (const auto& hit : found->hits) {
      const auto asset = twins.memory->reader().db().execAndGet(
          "SELECT id FROM assets WHERE seq = " + std::to_string(hit.seq));
      CHECK(std::abs(expected.at(asset.getString()) - hit.score) < 1e-9);
    }
  }
}

TEST_CASE("a term FTS5 splits into a phrase is left to FTS5", "[search_index]") {
  Twins twins;
  std::mt19937 rng(3);
  twins.insert(randomAssets(rng, 0, 50));
  auto index = library::searchIndexFor(twins.memory->reader());
  REQUIRE(index);
  CHECK_FALSE(index->search({"e-mail"}, {}, true, 10, 0));
  CHECK_FALSE(index->search({"\xF0\x9F\x8C\x85"}, {}, true, 10, 0));  // emoji: no token at all
  CHECK(index->search({"cafe"}, {}, true, 10, 0));
  library::SearchQuery q;
  q.text = "e-mail";
  twins.compare(q);
}

TEST_CASE("inserts and deletes by any connection show in the next search", "[search_index]") {
  std::mt19937 rng(5);
  Twins twins;
  twins.insert(randomAssets(rng, 0, 200));
  library::SearchQuery q;
  q.text = "sunset";
  q.limit = 100;
  twins.compare(q);
  const int64_t before = library::search(twins.memory->reader(), q).total;

  library::Asset extra = randomAsset(rng, 1000);
  extra.owner_id.reset();
  extra.title = "sunset sunset sunset";
  twins.insert({extra});
  auto found = library::search(twins.memory->reader(), q);
  CHECK(found.total == before + 1);
  CHECK(std::any_of(found.items.begin(), found.items.end(),
                    [&](const library::Asset& a) { return a.id == extra.id; }));
  twins.compare(q);

  twins.remove(extra.id);
  CHECK(library::search(twins.memory->reader(), q).total == before);
  twins.compare(q);

  // A second Store on the same file: another connection (or process) writes.
  {
    store::Store other({twins.dir.path() + "/memory.db", false});
    library::Asset theirs = randomAsset(rng, 2000);
    theirs.owner_id.reset();
  theirs.title = "sunset from elsewhere";
    insertAll(other, {theirs});
    insertAll(*twins.fts, {theirs});
  }
  CHECK(library::search(twins.memory->reader(), q).total == before + 1);
  twins.compare(q);

  // Deleting the newest asset and inserting again reuses its seq.
  library::Asset last = randomAsset(rng, 3000);
  last.owner_id.reset();
  last.title = "sunset reused";
  twins.insert({last});
  twins.compare(q);
  twins.remove(last.id);
  twins.compare(q);  // the index drops it: the next insert takes its seq again
  library::Asset reuse = randomAsset(rng, 3001);
  reuse.owner_id.reset();
  reuse.title = "sunset again";
  twins.insert({reuse});
  twins.compare(q);
  twins.remove(reuse.id);  // and now without a search in between
  library::Asset again = randomAsset(rng, 3002);
  again.owner_id.reset();
  again.title = "sunset once more";
  twins.insert({again});
  twins.compare(q);

  // Many deletes: the posting lists are compacted on the way.
  twins.insert(randomAssets(rng, 5000, 1200));
  twins.compare(q);
  for (int n = 5000; n < 6150; ++n) twins.remove("ast_test_" + std::to_string(n));
  for (int i = 0; i < 200; ++i) twins.compare(randomQuery(rng));
}

// Terms in exactly as many docs as a packed block holds, one less and one
// more (and twice that), then deletions at the block edges, then new rows
// appended to the built index.
TEST_CASE("terms around the posting block size rank and count as FTS5's", "[search_index]") {
  std::mt19937 rng(21);
  Twins twins;
  const std::vector<int> counts = {127, 128, 129, 255, 256, 257};
  std::vector<library::Asset> assets;
  for (int n = 0; n < 300; ++n) {
    library::Asset a = randomAsset(rng, n);
    for (int count : counts) {
      if (n >= count) continue;
      a.title += " block" + std::to_string(count);
      if (n % 3 == 0) a.tags.push_back("block" + std::to_string(count));  // other weights
    }
    assets.push_back(std::move(a));
  }
  twins.insert(assets);
  REQUIRE(library::searchIndexFor(twins.memory->reader()) != nullptr);
  auto compareAll = [&] {
    for (int count : counts) {
      library::SearchQuery q;
      q.limit = 500;
      for (const std::string& text :
           {"block" + std::to_string(count), "block" + std::to_string(count) + " sunset",
            "block" + std::to_string(count) + " unicorn", "block127 block" + std::to_string(count)}) {
        q.text = text;
        twins.compare(q);
      }
    }
  };
  compareAll();
  for (int n : {0, 126, 127, 128, 129, 254, 255, 256})
    twins.remove("ast_test_" + std::to_string(n));
  compareAll();
  std::vector<library::Asset> more;
  for (int n = 1000; n < 1200; ++n) {
    library::Asset a = randomAsset(rng, n);
    a.title += " block128 block" + std::to_string(counts[static_cast<size_t>(n) % counts.size()]);
    more.push_back(std::move(a));
  }
  twins.insert(more);
  compareAll();
  for (int i = 0; i < 100; ++i) twins.compare(randomQuery(rng));
}

// Values too large for their packed fields: a weight above a byte, a length
// above 16 bits, more aspect ratios and topics than the key's fields number.
// (Types are image and video only; owners would take 2^18 accounts.)
TEST_CASE("values beyond the packed fields rank and filter as FTS5's", "[search_index]") {
  std::mt19937 rng(23);
  Twins twins;
  std::vector<library::Asset> assets;
  for (int n = 0; n < 8300; ++n) {
    library::Asset a = randomAsset(rng, n);
    a.topic = "topic" + std::to_string(n);
    a.aspect_ratio = std::to_string(n % 1100 + 1) + ":1";
    a.title += " common";
    assets.push_back(std::move(a));
  }
  library::Asset heavy = randomAsset(rng, 9000);
  heavy.owner_id.reset();
  for (int i = 0; i < 30; ++i) heavy.title += " ocean";  // 30 * 10: above a byte
  assets.push_back(heavy);
  library::Asset wordy = randomAsset(rng, 9001);
  wordy.owner_id.reset();
  for (int i = 0; i < 70000; ++i) wordy.description += i % 100 == 0 ? " ocean" : " filler";
  assets.push_back(wordy);
  twins.insert(assets);
  REQUIRE(library::searchIndexFor(twins.memory->reader()) != nullptr);
  library::SearchQuery q;
  q.text = "ocean";
  q.limit = 50;
  twins.compare(q);
  q.text = "common";  // in each of the 8,300: a filter leaves one or a few
  for (const char* topic : {"topic5", "topic8190", "topic8191", "topic8192", "topic8299"}) {
    q.topic = topic;
    twins.compare(q);
  }
  q.topic.reset();
  for (const char* aspect : {"1:1", "1022:1", "1023:1", "1024:1", "1100:1"}) {
    q.aspect_ratio = aspect;
    twins.compare(q);
  }
  q.aspect_ratio.reset();
  q.text = "ocean filler";
  twins.compare(q);
  twins.remove(wordy.id);
  twins.remove(heavy.id);
  q.text = "ocean";
  twins.compare(q);
}

TEST_CASE("during a bulk load search answers as FTS5 does, and sees it all at the end",
          "[search_index]") {
  std::mt19937 rng(9);
  Twins twins;
  twins.insert(randomAssets(rng, 0, 100));
  library::SearchQuery q;
  q.text = "ocean";
  q.limit = 100;
  const int64_t before = library::search(twins.memory->reader(), q).total;
  for (auto* s : {twins.memory.get(), twins.fts.get()})
    REQUIRE(s->writeSync([](store::Conn& c) {
                library::beginBulkLoad(c);
                return Status::Ok();
              }).ok());
  library::Asset bulk = randomAsset(rng, 500);
  bulk.owner_id.reset();
  bulk.title = "ocean ocean";
  twins.insert({bulk});
  CHECK(library::search(twins.memory->reader(), q).total == before);  // not indexed yet
  twins.compare(q);
  for (auto* s : {twins.memory.get(), twins.fts.get()})
    REQUIRE(s->writeSync([](store::Conn& c) {
                library::endBulkLoad(c);
                return Status::Ok();
              }).ok());
  CHECK(library::search(twins.memory->reader(), q).total == before + 1);
  REQUIRE(library::searchIndexFor(twins.memory->reader()) != nullptr);
  twins.compare(q);

  library::Asset after = randomAsset(rng, 501);  // one by one again
  after.owner_id.reset();
  after.title = "ocean after";
  twins.insert({after});
  CHECK(library::search(twins.memory->reader(), q).total == before + 2);
  twins.compare(q);
}

TEST_CASE("searches on many threads while assets come and go", "[search_index]") {
  std::mt19937 rng(19);
  Twins twins;
  twins.insert(randomAssets(rng, 0, 300));
  REQUIRE(library::searchIndexFor(twins.memory->reader()) != nullptr);
  std::atomic<bool> done{false};
  std::atomic<int> searches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&, t] {
      std::mt19937 local(static_cast<unsigned>(100 + t));
      while (!done) {
        const auto found = library::search(twins.memory->reader(), randomQuery(local));
        if (static_cast<int64_t>(found.items.size()) > found.total) break;
        ++searches;
      }
    });
  for (int round = 0; round < 20; ++round) {
    twins.insert(randomAssets(rng, 10000 + round * 10, 10));
    for (int n = round * 5; n < round * 5 + 5; ++n) twins.remove("ast_test_" + std::to_string(n));
  }
  done = true;
  for (auto& t : readers) t.join();
  CHECK(searches > 0);
  for (int i = 0; i < 100; ++i) twins.compare(randomQuery(rng));
}

TEST_CASE("hostile query text is safe on the index path", "[search_index]") {
  std::mt19937 rng(13);
  Twins twins;
  twins.insert(randomAssets(rng, 0, 100));
  std::vector<std::string> hostile = {
      "\"",      "\"sunset", "*",        "sun*",      "NEAR(sunset ocean)", "NEAR(",
      "sunset AND OR NOT", "AND", "((sunset", "sunset)))", "\xF0\x9F\x8C\x85 sunset",
      "\xF0\x9F\x8C\x85", "\xFF\xFE", "title:sunset", "-sunset", "^{}[]", std::string(1, '\0'),
      "caf\xC3\xA9 ocean"};
  std::string big;
  while (big.size() < 10 * 1024) big += "sunset ocean \"NEAR( * ";
  hostile.push_back(big);
  for (const auto& text : hostile) {
    library::SearchQuery q;
    q.text = text;
    twins.compare(q);
  }
  const auto big_terms = library::queryTerms(big);
  CHECK(library::candidates(twins.memory->reader(), big_terms, {}, 25).size() ==
        library::candidates(twins.fts->reader(), big_terms, {}, 25).size());
}

TEST_CASE("candidates() from the index are FTS5's", "[search_index]") {
  std::mt19937 rng(17);
  Twins twins;
  twins.insert(randomAssets(rng, 0, 300));
  for (int i = 0; i < 100; ++i) {
    const auto q = randomQuery(rng);
    const auto terms = library::queryTerms(q.text);
    const auto got = library::candidates(twins.memory->reader(), terms, q, 25);
    const auto expected = library::candidates(twins.fts->reader(), terms, q, 25);
    INFO(q.text);
    REQUIRE(got.size() == expected.size());
    const auto scores = twins.ftsScores(q.text, false);
    for (size_t j = 0; j < got.size(); ++j)
      if (got[j]->asset().id != expected[j]->asset().id)
        CHECK(std::abs(scores.at(got[j]->asset().id) - scores.at(expected[j]->asset().id)) < 1e-9);
  }
}

// GET /api/v1/search with the index forced on answers what FTS5 answers (the
// queries of search_api_test.cc).
TEST_CASE("the search API answers the same from memory", "[search_index][api]") {
  testing::TestGateway memory;
  testing::TestGateway fts;
  library::setMemoryIndexMinAssets(memory.store().reader(), 0);
  library::setMemoryIndexMinAssets(fts.store().reader(), std::numeric_limits<int64_t>::max());
  testing::TempDir dir;
  testing::writeLibraryFolder(dir.path(), testing::standardLibrary());
  REQUIRE(testing::importInto(memory, dir.path()).imported == 8);
  REQUIRE(testing::importInto(fts, dir.path()).imported == 8);
  const std::string memory_key = memory.createUser("search@example.com").api_key;
  const std::string fts_key = fts.createUser("search@example.com").api_key;
  auto answer = [](testing::TestGateway& gw, const std::string& key, const std::string& query) {
    auto r = gw.get("/api/v1/search" + query, key);
    INFO(query << " -> " << r.body);
    REQUIRE(r.status == 200);
    auto body = r.json();
    nlohmann::json titles = nlohmann::json::array();
    for (const auto& item : body["items"]) titles.push_back(item["title"]);
    return nlohmann::json{{"titles", titles}, {"total", body["total"]}};
  };
  std::string big = "?q=";
  for (int i = 0; i < 1500; ++i) big += "sunset+";
  const std::vector<std::string> queries = {
      "?q=sunset%20city%20towers", "?q=golden+sunset+ocean", "?q=pizza", "?q=ocean&type=video",
      "?q=ocean&type=image", "?q=sunset&topic=city", "?q=pizza&topic=city", "?q=ocean+waves",
      "?q=pizza+unicorn", "?q=unicorn+dragon", "?q=MOUNTAINS", "?q=%22", "?q=%22sunset", "?q=*",
      "?q=sun*", "?q=NEAR(sunset%20ocean)", "?q=NEAR(", "?q=sunset%20AND%20OR%20NOT", "?q=AND",
      "?q=((sunset", "?q=sunset)))", "?q=%F0%9F%8C%85%20sunset", "?q=%F0%9F%8C%85", "?q=%FF%FE",
      "?q=title:sunset", "?q=-sunset", "?q=%5E%7B%7D%5B%5D", "?q=%00", "?q=sunset&limit=1",
      "?q=sunset&limit=1&offset=1", "?q=ocean&aspect_ratio=9:16", big};
  for (const auto& q : queries) {
    INFO(q);
    CHECK(answer(memory, memory_key, q) == answer(fts, fts_key, q));
  }
  REQUIRE(library::searchIndexFor(memory.store().reader()) != nullptr);

  auto pizza = memory.get("/api/v1/search?q=pizza", memory_key).json()["items"][0];
  REQUIRE(memory.del("/admin/v1/assets/" + pizza["id"].get<std::string>(), testing::kAdminToken)
              .status == 200);
  CHECK(answer(memory, memory_key, "?q=pizza")["total"] == 0);
}

// Pruning (MaxScore) against counting every match, on words as skewed as
// real ones: long lists whose docs add little, short ones that add much,
// heavy weights, one-word assets that tie, tokens twice in a query, filters,
// deleted assets flagged in the lists and then compacted away, and assets
// added to the built index.
TEST_CASE("any-term pages without the total are those with it, on Zipf words",
          "[search_index]") {
  std::mt19937 rng(43);
  const ZipfWords words;
  Twins twins;
  std::vector<library::Asset> assets;
  for (int n = 0; n < 3000; ++n) assets.push_back(zipfAsset(rng, words, n));
  twins.insert(assets);
  auto compareMany = [&](int queries) {
    for (int i = 0; i < queries; ++i) comparePruned(twins, zipfQuery(rng, words));
  };
  compareMany(300);
  for (int n = 0; n < 3000; n += 10) twins.remove("ast_test_" + std::to_string(n));
  compareMany(150);
  for (int n = 1; n < 3000; n += 3) twins.remove("ast_test_" + std::to_string(n));
  compareMany(150);
  assets.clear();
  for (int n = 5000; n < 5300; ++n) assets.push_back(zipfAsset(rng, words, n));
  twins.insert(assets);
  compareMany(150);
}
