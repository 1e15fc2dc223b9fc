#include "core/library/importer.h"

#include "core/cli/commands.h"
#include "core/library/catalog.h"
#include "tests/support/media_samples.h"
#include "tests/support/sample_library.h"

#include <catch2/catch.hpp>

#include <fstream>

using namespace aigate;
using testing::SampleAsset;

namespace {
library::Asset only(store::Conn& c, const std::string& text) {
  library::SearchQuery q;
  q.text = text;
  auto found = library::search(c, q);
  REQUIRE(found.items.size() == 1);
  return found.items[0];
}
}  // namespace

TEST_CASE("import reads real sizes from file headers and buckets the ratio", "[import]") {
  testing::TestGateway gw;
  testing::TempDir dir;
  testing::writeLibraryFolder(dir.path(), {{"wide.png", 2560, 1080, "Wide banner", "", "abstract", {}},
                                           {"tall.jpg", 1080, 1920, "Tall poster", "", "city", {}},
                                           {"clip.mp4", 640, 360, "Short movie", "", "city", {}},
                                           {"anim.gif", 300, 400, "Animated loop", "", "fun", {}}});
  const auto report = testing::importInto(gw, dir.path());
  CHECK(report.imported == 4);
  CHECK(report.problems.empty());

  auto& c = gw.store().reader();
  auto wide = only(c, "banner");
  CHECK(wide.width == 2560);
  CHECK(wide.aspect_ratio == "21:9");
  CHECK(wide.mime == "image/png");
  CHECK(wide.source == "library");
  auto tall = only(c, "poster");
  CHECK(tall.aspect_ratio == "9:16");
  CHECK(tall.mime == "image/jpeg");
  auto clip = only(c, "movie");
  CHECK(clip.type == "video");
  CHECK(clip.aspect_ratio == "16:9");
  REQUIRE(clip.duration_s);
  CHECK(*clip.duration_s == Approx(3.0));
  auto gif = only(c, "animated");
  CHECK(gif.aspect_ratio == "3:4");
  // The stored file is the one imported.
  auto stored = gw.storage().read(gif.file, 0, 6);
  REQUIRE(stored.ok());
  CHECK(stored.value() == "GIF89a");
}

TEST_CASE("import keeps good rows and reports each bad one with its line", "[import]") {
  testing::TestGateway gw;
  testing::TempDir dir;
  testing::writeLibraryFolder(dir.path(), {{"ok.png", 100, 100, "Fine", "", "", {}}});
  std::ofstream(dir.file("not_media.png")) << "this is text, not a picture";
  std::ofstream(dir.file("manifest.jsonl"), std::ios::app)
      << R"({"file":"missing.png","title":"Gone"})" "\n"
      << R"({"file":"not_media.png","title":"Text"})" "\n"
      << "{broken\n";
  const auto report = testing::importInto(gw, dir.path());
  CHECK(report.rows == 4);
  CHECK(report.imported == 1);
  REQUIRE(report.problems.size() == 3);
  CHECK(report.problems[0].line == 2);
  CHECK(report.problems[0].file == "missing.png");
  CHECK(report.problems[1].line == 3);
  CHECK(report.problems[2].line == 4);
}

TEST_CASE("re-running an import adds nothing; equal files are one asset", "[import]") {
  testing::TestGateway gw;
  testing::TempDir dir;
  testing::writeLibraryFolder(dir.path(), testing::standardLibrary());
  CHECK(testing::importInto(gw, dir.path()).imported == 8);
  const auto again = testing::importInto(gw, dir.path());
  CHECK(again.imported == 0);
  CHECK(again.duplicates == 8);

  testing::TempDir copy;
  std::ofstream(copy.file("same.png"), std::ios::binary)
      << testing::samples::png(768, 432) + "Golden sunset over the ocean";
  std::ofstream(copy.file("manifest.csv")) << "file,title\nsame.png,A copy\n";
  const auto dup = testing::importInto(gw, copy.path());
  CHECK(dup.duplicates == 1);
  CHECK(gw.store().reader().db().execAndGet("SELECT COUNT(*) FROM assets").getInt() == 8);
}

TEST_CASE("import without a manifest fails clearly", "[import]") {
  testing::TestGateway gw;
  testing::TempDir dir;
  CHECK_THROWS_WITH(testing::importInto(gw, dir.path()), Catch::Contains("no manifest.jsonl or manifest.csv"));
  CHECK_THROWS_WITH(testing::importInto(gw, dir.file("nope")), Catch::Contains("no such file"));
}

TEST_CASE("a large import loads in bulk and every asset is searchable", "[import]") {
  testing::TestGateway gw;
  testing::TempDir dir;
  testing::writeLibraryFolder(dir.path(), testing::standardLibrary());
  library::ImportOptions bulk;
  bulk.bulk_rows = 1;  // treat this import as large
  const auto report = library::importLibrary(dir.path(), gw.store(), gw.storage(), nullptr, bulk);
  CHECK(report.imported == 8);
  auto& c = gw.store().reader();
  CHECK(only(c, "pizza").title == "Margherita pizza");
  CHECK(library::search(c, {}).total == 8);
  // The per-row trigger is back: a later ordinary insert is indexed at once.
  testing::TempDir more;
  testing::writeLibraryFolder(more.path(), {{"kite.png", 64, 64, "Red kite", "", "", {}}});
  CHECK(testing::importInto(gw, more.path()).imported == 1);
  CHECK(only(c, "kite").title == "Red kite");
}

TEST_CASE("an interrupted bulk load is finished when the store opens", "[import]") {
  testing::TempDir data;
  config::Config cfg;
  cfg.data_dir = data.path();
  cfg.store.synchronous = "normal";
  {
    auto store = cli::openStore(cfg);
    REQUIRE(store->writeSync([](store::Conn& c) {
                   library::beginBulkLoad(c);
                   library::Asset a;
                   a.type = "image";
                   a.file = "ab/x.png";
                   a.mime = "image/png";
                   a.sha256 = std::string(64, 'a');
                   a.title = "Lonely lighthouse";
                   a.aspect_ratio = "1:1";
                   library::insertAsset(c, a);
                   return Status::Ok();
                 }).ok());
    library::SearchQuery q;
    q.text = "lighthouse";
    CHECK(library::search(store->reader(), q).total == 0);  // not indexed yet: the "crash"
  }
  auto reopened = cli::openStore(cfg);
  library::SearchQuery q;
  q.text = "lighthouse";
  CHECK(library::search(reopened->reader(), q).total == 1);
  CHECK(reopened->reader().db().execAndGet(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'assets_fts_insert'").getInt() == 1);
}
