// The asset cache behind library matches and search pages: what it keeps and
// forgets, the stems rows carry, and that a match never sees a row older than
// the library it searched (updates and deletes, by any thread).
#include "core/library/asset_cache.h"

#include "core/library/catalog.h"
#include "core/library/matcher.h"
#include "core/library/search_index.h"
#include "core/store/store.h"
#include "tests/support/sample_library.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace aigate;
using library::Asset;
using library::AssetCache;
using library::AssetRow;

namespace {

std::shared_ptr<const AssetRow> row(const std::string& title) {
  Asset a;
  a.title = title;
  return std::make_shared<const AssetRow>(a);
}

Asset sharedImage(int n, const std::string& title, const std::string& description = "") {
  Asset a = testing::assetRow(n, title);
  a.id = "ast_cache_" + std::to_string(n);
  a.description = description;
  a.topic = "nature";
  return a;
}

// The ids of `stems`, sorted; every one must be known.
std::vector<library::StemId> ids(std::initializer_list<const char*> stems) {
  std::vector<library::StemId> out;
  for (const char* s : stems) {
    auto id = library::findStem(s);
    REQUIRE(id);
    out.push_back(*id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A store whose searches and matches go through the in-memory index.
struct Library {
  testing::TempDir dir;
  store::Store store{store::StoreOptions{dir.path() + "/aigate.db", false}};

  Library() { library::setMemoryIndexMinAssets(store.reader(), 0); }

  void write(const std::function<void(store::Conn&)>& f) {
    REQUIRE(store
                .writeSync([&](store::Conn& c) {
                  f(c);
                  return Status::Ok();
                })
                .ok());
  }
  void setTitle(const std::string& id, const std::string& title) {
    write([&](store::Conn& c) {
      auto& q = c.statement("UPDATE assets SET title = ? WHERE id = ?");
      q.bind(1, title);
      q.bind(2, id);
      q.exec();
      q.reset();
    });
  }
  std::optional<library::Match> best(const std::string& prompt) {
    return library::bestMatch(store.reader(), {prompt, "image", "1:1", std::nullopt, std::nullopt});
  }
};

}  // namespace

TEST_CASE("the cache keeps rows by seq, one a slot, and forgets what changed", "[asset_cache]") {
  AssetCache cache(4);
  CHECK(cache.find(1) == nullptr);
  cache.offer(1, row("one"), 0);
  CHECK(cache.find(1) == nullptr);  // nothing is kept before the first catch-up
  cache.clear(10);
  cache.offer(1, row("one"), 9);  // read before the library version caught up with
  CHECK(cache.find(1) == nullptr);
  cache.offer(1, row("one"), 10);
  cache.offer(2, row("two"), 12);
  REQUIRE(cache.find(1) != nullptr);
  CHECK(cache.find(1)->asset().title == "one");
  CHECK(cache.find(2)->asset().title == "two");
  CHECK(cache.find(5) == nullptr);  // seq 1's slot, another seq
  cache.offer(5, row("five"), 12);
  CHECK(cache.find(1) == nullptr);  // replaced
  CHECK(cache.find(5)->asset().title == "five");
  CHECK(cache.size() == 2);

  cache.forget({2, 7}, 13);  // 7 was never kept
  CHECK(cache.find(2) == nullptr);
  CHECK(cache.find(5) != nullptr);
  cache.offer(2, row("two, older"), 12);  // read before the change forgotten at 13
  CHECK(cache.find(2) == nullptr);
  cache.clear(14);
  CHECK(cache.size() == 0);
}

TEST_CASE("a row's stems: title, topic and tags strong, description weak", "[asset_cache]") {
  Asset a;
  a.title = "Golden Sunsets over the Mountains";
  a.topic = "nature";
  a.tags = {"glowing sky", "sunset"};
  a.description = "A photo of misty valleys and the mountains.";
  const AssetRow r(a);
  const auto& stems = r.stems();
  CHECK(stems.strong == ids({"glow", "golden", "mountain", "nature", "sky", "sunset"}));
  CHECK(stems.weak == ids({"misty", "mountain", "valley"}));
  CHECK_FALSE(library::findStem("sunsets"));  // stems, not words
  CHECK_FALSE(library::findStem("over"));     // a stop word

  CHECK(library::matchScore({"golden", "sunset"}, a) == 1.0);
  CHECK(library::matchScore({"misty", "valleys"}, a) == Approx(0.6));
  CHECK(library::matchScore({"golden", "valley", "dragon", "castle"}, a) == Approx((1 + 0.6) / 4));
  CHECK(library::matchScore({}, a) == 0);
}

TEST_CASE("a match sees an asset's update and deletion at once", "[asset_cache]") {
  Library lib;
  lib.write([](store::Conn& c) {
    library::insertAsset(c, sharedImage(1, "red fox in the snow"));
    library::insertAsset(c, sharedImage(2, "blue whale", "a red fox far away"));
  });
  for (int round = 0; round < 2; ++round) {  // the second from the cache
    auto m = lib.best("red fox snow");
    REQUIRE(m);
    CHECK(m->asset->id == "ast_cache_1");
    CHECK(m->score == 1.0);
  }
  auto index = library::searchIndexFor(lib.store.reader());
  REQUIRE(index);
  CHECK(index->assets().size() == 2);

  lib.setTitle("ast_cache_1", "green frog in the snow");
  auto m = lib.best("red fox snow");
  REQUIRE(m);
  CHECK(m->asset->id == "ast_cache_2");  // the fox is only in its description now
  CHECK(m->score == Approx(0.6 * 2 / 3));
  m = lib.best("green frog");
  REQUIRE(m);
  CHECK(m->asset->title == "green frog in the snow");

  lib.write([](store::Conn& c) { library::deleteAsset(c, "ast_cache_2"); });
  m = lib.best("red fox");
  CHECK_FALSE(m);
  library::SearchQuery q;
  q.text = "whale";
  CHECK(library::search(lib.store.reader(), q).items.empty());
}

TEST_CASE("rows read while other threads update them are never kept stale", "[asset_cache]") {
  Library lib;
  constexpr int kAssets = 40;
  lib.write([](store::Conn& c) {
    for (int n = 0; n < kAssets; ++n) library::insertAsset(c, sharedImage(n, "lantern v0"));
  });
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t)
    readers.emplace_back([&] {
      // A connection of its own, as each server thread has.
      store::Store mine({lib.dir.path() + "/aigate.db", false});
      while (!stop) library::candidates(mine.reader(), {"lantern"}, {}, kAssets);
    });
  for (int v = 1; v <= 200; ++v)
    lib.setTitle("ast_cache_" + std::to_string(v % kAssets), "lantern v" + std::to_string(v));
  stop = true;
  for (auto& t : readers) t.join();

  // Every row a match or a search page reads now is the row in the table.
  const auto rows = library::candidates(lib.store.reader(), {"lantern"}, {}, kAssets);
  REQUIRE(rows.size() == kAssets);
  for (const auto& r : rows) {
    const auto stored = library::findAsset(lib.store.reader(), r->asset().id);
    REQUIRE(stored);
    CHECK(r->asset().title == stored->title);
  }
}
