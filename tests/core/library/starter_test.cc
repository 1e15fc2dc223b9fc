// The starter library keeps its promises: 1,000+ real, distinct assets with
// 100+ videos over 12+ topics and every aspect ratio, all importable.
#include "core/library/importer.h"
#include "core/library/media_probe.h"
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

#include <set>

using namespace aigate;

TEST_CASE("the starter library has 1,000+ assets over every topic and ratio", "[starter]") {
  testing::TempDir out;
  const std::string cmd = std::string(AIGATE_STARTER_GEN) + " " + out.path() + " >" + out.file("log") +
                          " 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);

  testing::TestGateway gw;
  const auto report = library::importLibrary(out.path(), gw.store(), gw.storage(), nullptr);
  INFO(report.problems.size() << " problems, first: "
                              << (report.problems.empty() ? "" : report.problems[0].problem));
  CHECK(report.problems.empty());
  CHECK(report.imported >= 1000);
  CHECK(report.duplicates == 0);  // every file is distinct

  auto& db = gw.store().reader().db();
  CHECK(db.execAndGet("SELECT COUNT(*) FROM assets WHERE type = 'video'").getInt() >= 100);
  CHECK(db.execAndGet("SELECT COUNT(DISTINCT topic) FROM assets").getInt() >= 12);
  for (const char* type : {"image", "video"}) {
    SQLite::Statement q(db, "SELECT DISTINCT aspect_ratio FROM assets WHERE type = ?");
    q.bind(1, type);
    std::set<std::string> ratios;
    while (q.executeStep()) ratios.insert(q.getColumn(0).getString());
    INFO(type);
    CHECK(ratios.size() == library::aspectRatios().size());
  }
  // Every title is described: no empty titles or descriptions.
  CHECK(db.execAndGet("SELECT COUNT(*) FROM assets WHERE title = '' OR description = ''").getInt() == 0);
}
