// GET /metrics over real HTTP: the text format (checked by Prometheus' own
// promtool when it is installed), values that move with the requests that
// drive them, and the operator token when the config asks for it.
#include "tests/support/sample_library.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

using aigate::testing::TestGateway;

namespace {

// The value of the sample `series` (name and labels exactly as exposed), or 0
// when the exposition does not have it.
double sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  }
  return 0;
}

std::string scrape(TestGateway& gw) {
  auto r = gw.get("/metrics");
  REQUIRE(r.status == 200);
  return r.body;
}

void quietLog(aigate::config::Config& c) { c.log.requests = false; }

bool havePromtool() { return std::system("command -v promtool >/dev/null 2>&1") == 0; }

// Runs `promtool check metrics` on `text`; returns its exit code and output.
std::pair<int, std::string> promtoolCheck(const std::string& text) {
  aigate::testing::TempDir dir;
  const std::string in = dir.file("metrics.txt");
  const std::string out = dir.file("promtool.out");
  std::ofstream(in, std::ios::binary) << text;
  const int rc = std::system(("promtool check metrics < " + in + " > " + out + " 2>&1").c_str());
  std::ifstream result(out);
  std::stringstream said;
  said << result.rdbuf();
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, said.str()};
}

}  // namespace

TEST_CASE("GET /metrics answers the Prometheus text format, no token needed by default",
          "[metrics][api]") {
  TestGateway gw(quietLog);
  auto r = gw.get("/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "text/plain; version=0.0.4");
  CHECK(r.body.find("# TYPE aigate_jobs gauge\n") != std::string::npos);
  CHECK(r.body.find("aigate_jobs{state=\"queued\"} 0\n") != std::string::npos);
  CHECK(r.body.find("# TYPE aigate_credits_held gauge\n") != std::string::npos);
}

TEST_CASE("request counters and latency histograms move by route pattern and status",
          "[metrics][api]") {
  TestGateway gw(quietLog);
  auto user = gw.createUser("metrics@example.com");
  const std::string me_ok = R"(aigate_http_requests_total{method="GET",route="/api/v1/me",status="200"})";
  const std::string me_401 = R"(aigate_http_requests_total{method="GET",route="/api/v1/me",status="401"})";
  const std::string job_404 =
      R"(aigate_http_requests_total{method="GET",route="/api/v1/jobs/{id}",status="404"})";
  const std::string unmatched = R"(aigate_http_requests_total{method="GET",route="unmatched",status="404"})";
  const std::string me_latency = R"(aigate_http_request_duration_seconds_count{method="GET",route="/api/v1/me"})";
  const std::string before = scrape(gw);

  for (int i = 0; i < 3; ++i) REQUIRE(gw.get("/api/v1/me", user.api_key).status == 200);
  REQUIRE(gw.get("/api/v1/me").status == 401);
  REQUIRE(gw.get("/api/v1/jobs/job_nope", user.api_key).status == 404);
  REQUIRE(gw.get("/no/such/thing").status == 404);

  const std::string after = scrape(gw);
  CHECK(sample(after, me_ok) - sample(before, me_ok) == 3);
  CHECK(sample(after, me_401) - sample(before, me_401) == 1);
  CHECK(sample(after, job_404) - sample(before, job_404) == 1);  // the pattern, not the id
  CHECK(after.find("job_nope") == std::string::npos);
  CHECK(sample(after, unmatched) - sample(before, unmatched) == 1);
  CHECK(after.find("/no/such/thing") == std::string::npos);
  CHECK(sample(after, me_latency) - sample(before, me_latency) == 4);
  CHECK(sample(after, R"(aigate_http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",le="+Inf"})") ==
        sample(after, me_latency));
}

TEST_CASE("generations by source, provider and outcome; credits charged and held; jobs; hit ratio",
          "[metrics][api]") {
  TestGateway gw(quietLog);
  aigate::testing::TempDir dir;
  aigate::testing::writeLibraryFolder(dir.path(), aigate::testing::standardLibrary());
  REQUIRE(aigate::testing::importInto(gw, dir.path()).imported == 8);
  auto user = gw.createUser("gen-metrics@example.com", "scale");
  const std::string lib = R"(aigate_generations_total{kind="image",source="library",provider="none",outcome="succeeded"})";
  const std::string gen = R"(aigate_generations_total{kind="image",source="generated",provider="local",outcome="succeeded"})";
  const std::string canceled = R"(aigate_generations_total{kind="video",source="generated",provider="local",outcome="canceled"})";
  const std::string charge = R"(aigate_credits_charged_total{entry="charge"})";
  const std::string capture = R"(aigate_credits_charged_total{entry="capture"})";
  const std::string before = scrape(gw);

  auto hit = gw.post("/api/v1/generate/image", R"({"prompt":"a misty forest of pine trees"})",
                     user.api_key);
  REQUIRE(hit.status == 200);
  REQUIRE(hit.json()["source"] == "library");
  auto made = gw.post("/api/v1/generate/image", R"({"prompt":"a red fox","force_gen":true})",
                      user.api_key);
  INFO(made.body);
  REQUIRE(made.status == 200);
  REQUIRE(made.json()["source"] == "generated");

  std::string after = scrape(gw);
  CHECK(sample(after, lib) - sample(before, lib) == 1);
  CHECK(sample(after, gen) - sample(before, gen) == 1);
  CHECK(sample(after, charge) - sample(before, charge) == 10);
  CHECK(sample(after, capture) - sample(before, capture) == 10);
  const double ratio = sample(after, R"(aigate_library_hit_ratio{kind="image"})");
  CHECK(ratio > 0);
  CHECK(ratio < 1);
  CHECK(sample(after, "aigate_credits_held") == 0);

  // A video job held and then canceled: held while it runs, released after.
  auto video = gw.post("/api/v1/generate/video", R"({"prompt":"waves","force_gen":true})",
                       user.api_key);
  INFO(video.body);
  REQUIRE(video.status == 202);
  const std::string id = video.json()["job"]["id"];
  const std::string during = scrape(gw);
  const double held = sample(during, "aigate_credits_held");
  const double active = sample(during, R"(aigate_jobs{state="queued"})") +
                        sample(during, R"(aigate_jobs{state="running"})");
  auto cancel = gw.del("/api/v1/jobs/" + id, user.api_key);
  REQUIRE(cancel.status == 200);
  const std::string status = cancel.json()["job"]["status"];
  after = scrape(gw);
  if (status == "canceled") {  // the renderer may have finished first
    CHECK(held == 100);
    CHECK(active == 1);
    CHECK(sample(after, canceled) - sample(before, canceled) == 1);
  }
  CHECK(sample(after, "aigate_credits_held") == 0);
  CHECK(sample(after, R"(aigate_jobs{state="queued"})") + sample(after, R"(aigate_jobs{state="running"})") == 0);
}

TEST_CASE("promtool check metrics accepts the exposition", "[metrics][api][promtool]") {
  if (!havePromtool()) {
    WARN("promtool is not installed (Debian package prometheus; dev.sh installs it): skipped");
    return;
  }
  TestGateway gw([](aigate::config::Config& c) {
    c.log.requests = false;
    c.tiers[0].requests_per_minute = 2;
  });
  auto user = gw.createUser("promtool@example.com");
  for (int i = 0; i < 3; ++i) gw.get("/api/v1/me", user.api_key);  // the third is a 429
  gw.get("/nothing");
  gw.post("/api/v1/generate/image", "{", user.api_key);
  const std::string text = scrape(gw);
  REQUIRE(text.find("aigate_rate_limited_total{limit=\"requests_per_minute\"}") != std::string::npos);
  REQUIRE(text.find("aigate_http_request_duration_seconds_bucket") != std::string::npos);
  auto [rc, said] = promtoolCheck(text);
  INFO(said);
  INFO(text);
  CHECK(rc == 0);
  CHECK(said.empty());  // no lint findings either
}

TEST_CASE("metrics.require_token: GET /metrics wants the operator token", "[metrics][api]") {
  TestGateway gw([](aigate::config::Config& c) {
    c.log.requests = false;
    c.metrics.require_token = true;
  });
  CHECK(gw.get("/metrics").status == 401);
  auto user = gw.createUser("not-operator@example.com");
  CHECK(gw.get("/metrics", user.api_key).status == 401);
  auto r = gw.get("/metrics", aigate::testing::kAdminToken);
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == "text/plain; version=0.0.4");
}
