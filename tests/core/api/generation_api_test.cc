// Generation over HTTP with the embedded default provider, the local
// renderer: a library miss (or force_gen) holds credits, runs a job, stores
// the output and charges once; video answers 202 and is polled.
#include "core/credits/ledger.h"
#include "core/library/media_probe.h"
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

std::string pathOf(const std::string& url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

aigate::credits::Balance ledger(TestGateway& gw, const std::string& user_id) {
  auto b = aigate::credits::balanceOf(gw.store().reader(), user_id);
  REQUIRE(b.ok());
  return b.value();
}

// Polls GET /api/v1/jobs/{id} until the job is final (or 90 s pass).
json waitForJob(TestGateway& gw, const std::string& id, const std::string& key) {
  json job;
  for (int i = 0; i < 900; ++i) {
    job = gw.get("/api/v1/jobs/" + id, key).json()["job"];
    const std::string status = job.value("status", "");
    if (status != "queued" && status != "running") return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return job;
}

}  // namespace

TEST_CASE("a forced image is generated, stored, served and charged once", "[api][generation]") {
  TestGateway gw;
  auto user = gw.createUser("gen@example.com");
  auto r = gw.post("/api/v1/generate/image",
                   R"({"prompt":"a red fox in the snow","aspect_ratio":"16:9","force_gen":true})",
                   user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 200);
  const json body = r.json();
  CHECK(body["source"] == "generated");
  CHECK(body["provider"] == "local");
  CHECK(body["byok"] == false);
  CHECK(body["match_score"].is_null());
  CHECK(body["credits_charged"] == 10);
  CHECK(body["credits_balance"] == 90);
  const json asset = body["asset"];
  CHECK(asset["type"] == "image");
  CHECK(asset["source"] == "generated");
  CHECK(asset["provider"] == "local");
  CHECK(asset["mime"] == "image/png");
  CHECK(asset["aspect_ratio"] == "16:9");
  CHECK(asset["width"] == 1024);
  CHECK(asset["height"] == 576);

  auto file = gw.get(pathOf(asset["url"]));
  REQUIRE(file.status == 200);
  CHECK(file.header("content-type") == "image/png");
  std::string problem;
  auto info = aigate::library::probeMedia(file.body, &problem);
  INFO(problem);
  REQUIRE(info);
  CHECK(info->mime == "image/png");
  CHECK(info->width == 1024);
  CHECK(info->height == 576);

  const auto books = ledger(gw, user.user_id);
  CHECK(books.balance == 90);
  CHECK(books.held == 0);
  auto& reader = gw.store().reader();
  auto& q = reader.statement(
      "SELECT kind, COUNT(*) FROM ledger WHERE user_id = ? GROUP BY kind ORDER BY kind");
  q.bind(1, user.user_id);
  std::map<std::string, int> kinds;
  while (q.executeStep()) kinds[q.getColumn(0).getString()] = q.getColumn(1).getInt();
  CHECK(kinds["hold"] == 1);
  CHECK(kinds["capture"] == 1);
  CHECK(kinds.count("release") == 0);
}

TEST_CASE("a video job answers 202 and is polled to a playable file", "[api][generation]") {
  TestGateway gw;
  auto user = gw.createUser("video@example.com", "starter");
  const int64_t before = ledger(gw, user.user_id).balance;
  auto r = gw.post("/api/v1/generate/video",
                   R"({"prompt":"ocean waves at sunset","aspect_ratio":"9:16","force_gen":true})",
                   user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 202);
  const json job = r.json()["job"];
  CHECK(job["kind"] == "video");
  CHECK(job["provider"] == "local");
  CHECK(r.json()["credits_reserved"] == 100);
  CHECK(r.json()["credits_balance"] == before - 100);
  CHECK(job["id"].get<std::string>().rfind("job_", 0) == 0);

  const json done = waitForJob(gw, job["id"], user.api_key);
  INFO(done.dump());
  REQUIRE(done["status"] == "succeeded");
  CHECK(done["progress"] == 1.0);
  CHECK(done["error"].is_null());
  const json asset = done["asset"];
  CHECK(asset["type"] == "video");
  CHECK(asset["mime"] == "video/mp4");
  CHECK(asset["aspect_ratio"] == "9:16");
  CHECK(asset["duration_s"].get<double>() > 1.0);

  auto file = gw.get(pathOf(asset["url"]));
  REQUIRE(file.status == 200);
  CHECK(file.header("content-type") == "video/mp4");
  std::string problem;
  auto info = aigate::library::probeMedia(file.body, &problem);
  INFO(problem);
  REQUIRE(info);
  CHECK(info->type == "video");
  CHECK(info->width * 16 == info->height * 9);
  // Browsers play it: H.264 in yuv420p, when ffprobe is here to say so.
  if (std::system("command -v ffprobe >/dev/null 2>&1") == 0) {
    const std::string path = gw.dataDir() + "/probe.mp4";
    std::ofstream(path, std::ios::binary) << file.body;
    FILE* p = popen(("ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,pix_fmt "
                     "-of csv=p=0 " + path).c_str(), "r");
    REQUIRE(p);
    char line[128] = {};
    const bool read = std::fgets(line, sizeof line, p) != nullptr;
    pclose(p);
    REQUIRE(read);
    CHECK(std::string(line).rfind("h264,yuv420p", 0) == 0);
  }

  const auto books = ledger(gw, user.user_id);
  CHECK(books.balance == before - 100);
  CHECK(books.held == 0);
}

TEST_CASE("a video request with wait_s waits for the result", "[api][generation]") {
  TestGateway gw;
  auto user = gw.createUser("wait@example.com", "starter");
  auto r = gw.post("/api/v1/generate/video",
                   R"({"prompt":"a spinning galaxy","force_gen":true,"wait_s":120})", user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["source"] == "generated");
  CHECK(r.json()["asset"]["type"] == "video");
  CHECK(r.json()["credits_charged"] == 100);
}

TEST_CASE("too few credits is 402 before any job or provider call", "[api][generation]") {
  TestGateway gw([](auto& c) { c.prices.generated_image = 500; });
  auto user = gw.createUser("poor@example.com");
  auto r = gw.post("/api/v1/generate/image", R"({"prompt":"a castle","force_gen":true})",
                   user.api_key);
  CHECK(r.status == 402);
  CHECK(r.json()["error"] == "insufficient_credits");
  CHECK(r.json()["credits_needed"] == 500);
  CHECK(r.json()["credits_balance"] == 100);
  auto& q = gw.store().reader().statement("SELECT COUNT(*) FROM jobs");
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getInt() == 0);
  CHECK(ledger(gw, user.user_id).held == 0);
}

TEST_CASE("async answers 202 at once; a job is its owner's alone", "[api][generation]") {
  TestGateway gw;
  auto owner = gw.createUser("owner@example.com");
  auto other = gw.createUser("other@example.com");
  auto r = gw.post("/api/v1/generate/image",
                   R"({"prompt":"violet geometric crystals","force_gen":true,"async":true})",
                   owner.api_key);
  REQUIRE(r.status == 202);
  const std::string id = r.json()["job"]["id"];
  CHECK(gw.get("/api/v1/jobs/" + id, other.api_key).status == 404);
  CHECK(gw.del("/api/v1/jobs/" + id, other.api_key).status == 404);
  CHECK(gw.get("/api/v1/jobs/job_nope", owner.api_key).status == 404);
  const json done = waitForJob(gw, id, owner.api_key);
  REQUIRE(done["status"] == "succeeded");
  // Canceling a finished job changes nothing.
  auto cancel = gw.del("/api/v1/jobs/" + id, owner.api_key);
  CHECK(cancel.status == 200);
  CHECK(cancel.json()["job"]["status"] == "succeeded");
  CHECK(ledger(gw, owner.user_id).balance == 90);

  // The generated asset is the owner's: found by the owner's search only.
  auto mine = gw.get("/api/v1/search?q=violet+crystals", owner.api_key).json();
  auto theirs = gw.get("/api/v1/search?q=violet+crystals", other.api_key).json();
  CHECK(mine["total"] == 1);
  CHECK(theirs["total"] == 0);
}

TEST_CASE("different prompts give different pictures", "[api][generation]") {
  TestGateway gw;
  auto user = gw.createUser("diff@example.com");
  auto a = gw.post("/api/v1/generate/image", R"({"prompt":"blue ocean","force_gen":true})", user.api_key);
  auto b = gw.post("/api/v1/generate/image", R"({"prompt":"red desert","force_gen":true})", user.api_key);
  REQUIRE(a.status == 200);
  REQUIRE(b.status == 200);
  CHECK(a.json()["asset"]["id"] != b.json()["asset"]["id"]);
  CHECK(gw.get(pathOf(a.json()["asset"]["url"])).body != gw.get(pathOf(b.json()["asset"]["url"])).body);
}

TEST_CASE("a seed reproduces a picture; without one each request draws its own",
          "[api][generation]") {
  TestGateway gw;
  auto user = gw.createUser("seed@example.com");
  const std::string seeded = R"({"prompt":"golden wheat field","force_gen":true,"seed":42})";
  auto a = gw.post("/api/v1/generate/image", seeded, user.api_key);
  auto b = gw.post("/api/v1/generate/image", seeded, user.api_key);
  REQUIRE(a.status == 200);
  REQUIRE(b.status == 200);
  CHECK(a.json()["asset"]["url"] == b.json()["asset"]["url"]);  // the same bytes
  const json job = gw.get("/api/v1/jobs/" + a.json()["job_id"].get<std::string>(), user.api_key)
                       .json()["job"];
  CHECK(job["seed"] == 42);

  const std::string unseeded = R"({"prompt":"golden wheat field","force_gen":true})";
  auto c = gw.post("/api/v1/generate/image", unseeded, user.api_key);
  auto d = gw.post("/api/v1/generate/image", unseeded, user.api_key);
  REQUIRE(c.status == 200);
  REQUIRE(d.status == 200);
  CHECK(c.json()["asset"]["url"] != d.json()["asset"]["url"]);
  CHECK(c.json()["credits_balance"] == 70);
  CHECK(d.json()["credits_balance"] == 60);
}
