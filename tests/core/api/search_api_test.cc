// GET /api/v1/search over HTTP: ranking, filters, pagination, hostile text.
#include "tests/support/sample_library.h"

#include <catch2/catch.hpp>

using aigate::testing::TestGateway;

namespace {

struct SearchFixture {
  TestGateway gw;
  aigate::testing::TempDir dir;
  std::string key;

  SearchFixture() {
    aigate::testing::writeLibraryFolder(dir.path(), aigate::testing::standardLibrary());
    REQUIRE(aigate::testing::importInto(gw, dir.path()).imported == 8);
    key = gw.createUser("search@example.com").api_key;
  }

  nlohmann::json search(const std::string& query) {
    auto r = gw.get("/api/v1/search" + query, key);
    INFO(query << " -> " << r.body);
    REQUIRE(r.status == 200);
    return r.json();
  }

  std::vector<std::string> titles(const std::string& query) {
    std::vector<std::string> out;
    const auto body = search(query);
    for (const auto& item : body["items"]) out.push_back(item["title"]);
    return out;
  }
};

}  // namespace

TEST_CASE("search ranks an exact title above a partial match", "[api][search]") {
  SearchFixture f;
  auto titles = f.titles("?q=sunset%20city%20towers");
  REQUIRE_FALSE(titles.empty());
  CHECK(titles.front() == "Sunset behind city towers");
  auto sunset = f.titles("?q=golden+sunset+ocean");
  CHECK(sunset.front() == "Golden sunset over the ocean");
}

TEST_CASE("search results are whole assets with a fetchable URL and free of charge", "[api][search]") {
  SearchFixture f;
  auto body = f.search("?q=pizza");
  REQUIRE(body["items"].size() == 1);
  const auto& a = body["items"][0];
  CHECK(a["id"].get<std::string>().rfind("ast_", 0) == 0);
  CHECK(a["type"] == "image");
  CHECK(a["mime"] == "image/png");
  CHECK(a["width"] == 512);
  CHECK(a["height"] == 640);
  CHECK(a["aspect_ratio"] == "4:5");
  CHECK(a["topic"] == "food");
  CHECK(a["tags"] == nlohmann::json{"pizza", "italian"});
  CHECK(a["source"] == "library");
  CHECK(a["duration_s"].is_null());
  CHECK(a["provider"].is_null());
  const std::string url = a["url"];
  CHECK(url.rfind(f.gw.url("/files/"), 0) == 0);
  aigate::testing::HttpClient client;
  auto file = client.request("GET", url);
  CHECK(file.status == 200);
  CHECK(file.header("content-type") == "image/png");
  CHECK(body["credits_balance"] == 100);
  CHECK(body["total"] == 1);
}

TEST_CASE("search filters by type, topic and aspect ratio", "[api][search]") {
  SearchFixture f;
  CHECK(f.search("?type=video")["total"] == 2);
  CHECK(f.search("?q=ocean&type=video")["items"][0]["title"] == "Ocean waves on the shore");
  CHECK(f.search("?q=ocean&type=image")["items"][0]["title"] == "Golden sunset over the ocean");
  CHECK(f.search("?topic=food")["total"] == 2);
  CHECK(f.search("?q=sunset&topic=city")["items"][0]["title"] == "Sunset behind city towers");
  CHECK(f.search("?aspect_ratio=9%3A16")["total"] == 2);
  CHECK(f.search("?aspect_ratio=9:16&type=video")["items"][0]["title"] == "Ocean waves on the shore");
  CHECK(f.search("?q=pizza&topic=city")["total"] == 0);
}

TEST_CASE("search paginates with limit and offset", "[api][search]") {
  SearchFixture f;
  auto first = f.search("?limit=3");
  CHECK(first["total"] == 8);
  CHECK(first["limit"] == 3);
  CHECK(first["items"].size() == 3);
  auto last = f.search("?limit=3&offset=6");
  CHECK(last["items"].size() == 2);
  CHECK(last["offset"] == 6);
  CHECK(last["items"][0]["id"] != first["items"][0]["id"]);
  CHECK(f.search("?offset=100")["items"].empty());
}

TEST_CASE("all query terms must match, else any may", "[api][search]") {
  SearchFixture f;
  CHECK(f.search("?q=ocean+waves")["total"] == 1);
  auto fallback = f.search("?q=pizza+unicorn");
  CHECK(fallback["total"] == 1);
  CHECK(fallback["items"][0]["title"] == "Margherita pizza");
  CHECK(f.search("?q=unicorn+dragon")["total"] == 0);
  CHECK(f.search("?q=MOUNTAINS")["items"][0]["title"] == "Snowy mountain peak");  // stemmed
}

TEST_CASE("hostile query text is searched safely, never a 500", "[api][search]") {
  SearchFixture f;
  const std::vector<std::string> hostile = {
      "%22",                        // "
      "%22sunset",                  // "sunset
      "*",
      "sun*",
      "NEAR(sunset%20ocean)",
      "NEAR(",
      "sunset%20AND%20OR%20NOT",
      "AND",
      "((sunset",
      "sunset)))",
      "%F0%9F%8C%85%20sunset",      // emoji
      "%F0%9F%8C%85",
      "%FF%FE",                     // invalid UTF-8
      "title:sunset",
      "-sunset",
      "%5E%7B%7D%5B%5D",            // ^{}[]
      "%00",
  };
  for (const auto& q : hostile) {
    auto r = f.gw.get("/api/v1/search?q=" + q, f.key);
    INFO(q << " -> " << r.body);
    CHECK(r.status == 200);
    CHECK(r.json()["items"].is_array());
  }
  CHECK(f.search("?q=%22sunset")["total"] == 2);
  std::string big;
  for (int i = 0; i < 1500; ++i) big += "sunset+";
  CHECK(f.gw.get("/api/v1/search?q=" + big, f.key).status == 200);
}

TEST_CASE("bad search parameters are 400 naming the field", "[api][search]") {
  SearchFixture f;
  CHECK(f.gw.get("/api/v1/search?type=gif", f.key).json()["field"] == "type");
  CHECK(f.gw.get("/api/v1/search?aspect_ratio=5:7", f.key).json()["field"] == "aspect_ratio");
  CHECK(f.gw.get("/api/v1/search?limit=0", f.key).json()["field"] == "limit");
  CHECK(f.gw.get("/api/v1/search?limit=101", f.key).json()["field"] == "limit");
  CHECK(f.gw.get("/api/v1/search?offset=-1", f.key).json()["field"] == "offset");
  CHECK(f.gw.get("/api/v1/search").status == 401);
}

TEST_CASE("the operator reads and deletes library assets", "[api][search][admin]") {
  SearchFixture f;
  auto item = f.search("?q=pizza")["items"][0];
  const std::string id = item["id"];
  const std::string url = item["url"];
  auto read = f.gw.get("/admin/v1/assets/" + id, aigate::testing::kAdminToken);
  REQUIRE(read.status == 200);
  CHECK(read.json()["sha256"].get<std::string>().size() == 64);
  CHECK(read.json()["owner_id"].is_null());

  CHECK(f.gw.del("/admin/v1/assets/" + id, f.key).status == 401);
  auto deleted = f.gw.del("/admin/v1/assets/" + id, aigate::testing::kAdminToken);
  REQUIRE(deleted.status == 200);
  CHECK(deleted.json()["deleted"] == true);
  CHECK(f.search("?q=pizza")["total"] == 0);
  CHECK(f.search("")["total"] == 7);
  CHECK(f.gw.get(url.substr(url.find("/files/"))).status == 404);
  CHECK(f.gw.del("/admin/v1/assets/" + id, aigate::testing::kAdminToken).status == 404);
  CHECK(f.gw.get("/admin/v1/assets/ast_nope", aigate::testing::kAdminToken).status == 404);
}
