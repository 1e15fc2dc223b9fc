// The in-memory search index against the FTS5 path it replaces: the same ids
// in the same order and the same totals for random libraries and queries,
// freshness after writes by any connection, hostile text, and the HTTP API.
#include "core/library/search_index.h"

#include "core/library/catalog.h"
#include "core/library/text.h"
#include "core/store/store.h"
#include "tests/core/library/index_twins.h"
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
using namespace aigate::index_twins;

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
