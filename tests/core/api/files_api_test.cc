// /files/<sha256>.<ext>: the bytes, with caching and ranges for players.
#include "tests/support/sample_library.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using aigate::testing::TestGateway;

namespace {

struct FilesFixture {
  TestGateway gw;
  aigate::testing::TempDir dir;
  std::string path;   // "/files/…mp4"
  std::string bytes;  // what the file holds

  FilesFixture() {
    aigate::testing::writeLibraryFolder(dir.path(), aigate::testing::standardLibrary());
    REQUIRE(aigate::testing::importInto(gw, dir.path()).imported == 8);
    auto key = gw.createUser("files@example.com").api_key;
    auto item = gw.get("/api/v1/search?q=traffic", key).json()["items"][0];
    const std::string url = item["url"];
    path = url.substr(url.find("/files/"));
    std::ifstream in(dir.file("traffic.mp4"), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    bytes = s.str();
  }
};

}  // namespace

TEST_CASE("a file is served whole with type, length, ETag and Last-Modified", "[api][files]") {
  FilesFixture f;
  auto r = f.gw.get(f.path);
  REQUIRE(r.status == 200);
  CHECK(r.body == f.bytes);
  CHECK(r.header("content-type") == "video/mp4");
  CHECK(r.header("content-length") == std::to_string(f.bytes.size()));
  CHECK(r.header("accept-ranges") == "bytes");
  CHECK(r.header("etag").size() == 66);
  CHECK_FALSE(r.header("last-modified").empty());
}

TEST_CASE("HEAD gives the headers and length without the body", "[api][files]") {
  FilesFixture f;
  auto head = f.gw.send("HEAD", f.path, "", {});
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.header("content-length") == std::to_string(f.bytes.size()));
  CHECK(head.header("content-type") == "video/mp4");
  // The connection is still good for the next request.
  CHECK(f.gw.get(f.path).body == f.bytes);
}

TEST_CASE("byte ranges let players seek", "[api][files]") {
  FilesFixture f;
  const std::string size = std::to_string(f.bytes.size());
  auto first = f.gw.send("GET", f.path, "", {"Range: bytes=0-9"});
  CHECK(first.status == 206);
  CHECK(first.body == f.bytes.substr(0, 10));
  CHECK(first.header("content-range") == "bytes 0-9/" + size);

  auto tail = f.gw.send("GET", f.path, "", {"Range: bytes=-5"});
  CHECK(tail.status == 206);
  CHECK(tail.body == f.bytes.substr(f.bytes.size() - 5));

  auto open_end = f.gw.send("GET", f.path, "", {"Range: bytes=20-"});
  CHECK(open_end.body == f.bytes.substr(20));

  auto past = f.gw.send("GET", f.path, "", {"Range: bytes=0-99999999"});
  CHECK(past.status == 206);
  CHECK(past.body == f.bytes);

  auto head = f.gw.send("HEAD", f.path, "", {"Range: bytes=10-19"});
  CHECK(head.status == 206);
  CHECK(head.header("content-length") == "10");

  auto outside = f.gw.send("GET", f.path, "", {"Range: bytes=99999-"});
  CHECK(outside.status == 416);
  CHECK(outside.header("content-range") == "bytes */" + size);
  CHECK(outside.json()["error"] == "range_not_satisfiable");

  auto garbage = f.gw.send("GET", f.path, "", {"Range: pages=1-2"});
  CHECK(garbage.status == 200);
  CHECK(garbage.body == f.bytes);
}

TEST_CASE("revalidation answers 304", "[api][files]") {
  FilesFixture f;
  auto r = f.gw.get(f.path);
  auto by_etag = f.gw.send("GET", f.path, "", {"If-None-Match: " + r.header("etag")});
  CHECK(by_etag.status == 304);
  CHECK(by_etag.body.empty());
  auto other_etag = f.gw.send("GET", f.path, "", {"If-None-Match: \"abc\""});
  CHECK(other_etag.status == 200);
  auto by_date = f.gw.send("GET", f.path, "", {"If-Modified-Since: " + r.header("last-modified")});
  CHECK(by_date.status == 304);
  auto old_date = f.gw.send("GET", f.path, "", {"If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT"});
  CHECK(old_date.status == 200);
}

TEST_CASE("unknown files and traversal attempts are JSON 404s", "[api][files]") {
  FilesFixture f;
  for (const std::string& path : std::vector<std::string>{
           "/files/" + std::string(64, 'a') + ".mp4", "/files/..%2F..%2Faigate.db",
        "/files/..%2Faigate.db", "/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/files/aigate.db",
        "/files/" + std::string(64, 'A') + ".png", "/files/" + f.path.substr(7, 64) + ".png%00.mp4"}) {
    auto r = f.gw.get(path);
    INFO(path);
    CHECK(r.status == 404);
    CHECK(r.json()["error"] == "not_found");
  }
  CHECK(f.gw.get("/files/../aigate.db").status == 404);
}
