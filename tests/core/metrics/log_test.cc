// The structured log: one line per request with its fields, one per job
// transition, and a canary API key used for every kind of request that
// never shows in a log line, an error body or the metrics.
#include "core/common/log.h"
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

#include <mutex>

using aigate::testing::HttpResponse;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

// Captures every log line while it lives.
class CapturedLog {
 public:
  CapturedLog() {
    previous_ = aigate::log::setSink([this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  ~CapturedLog() { aigate::log::setSink(previous_); }

  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  // The JSON lines whose "event" is `event` and whose `key` is `value`.
  std::vector<json> find(const std::string& event, const std::string& key,
                         const std::string& value) const {
    std::vector<json> out;
    for (const auto& line : lines()) {
      const json j = json::parse(line, nullptr, false);
      if (j.is_object() && j.value("event", "") == event && j.contains(key) && j[key] == value)
        out.push_back(j);
    }
    return out;
  }

 private:
  aigate::log::Sink previous_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;  // Guarded by mutex_
};

}  // namespace

TEST_CASE("one JSON line per request with its fields, and one per job transition",
          "[log][api]") {
  CapturedLog log;
  TestGateway gw;
  auto user = gw.createUser("log@example.com", "scale");

  auto me = gw.send("GET", "/api/v1/me", "", {"Authorization: Bearer " + user.api_key,
                                               "X-Request-Id: req_log_me"});
  REQUIRE(me.status == 200);
  auto lines = log.find("request", "request_id", "req_log_me");
  REQUIRE(lines.size() == 1);
  const json& line = lines[0];
  CHECK(line["ts"].is_string());
  CHECK(line["user_id"] == user.user_id);
  CHECK(line["method"] == "GET");
  CHECK(line["route"] == "/api/v1/me");
  CHECK(line["status"] == 200);
  CHECK(line["latency_ms"].is_number());
  CHECK(line["latency_ms"].get<double>() >= 0);
  CHECK(line["source"].is_null());
  CHECK(line["provider"].is_null());
  CHECK(line["credits"].is_null());

  auto made = gw.post("/api/v1/generate/image", R"({"prompt":"a red fox","force_gen":true})",
                      user.api_key, {"X-Request-Id: req_log_gen"});
  INFO(made.body);
  REQUIRE(made.status == 200);
  lines = log.find("request", "request_id", "req_log_gen");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["route"] == "/api/v1/generate/image");
  CHECK(lines[0]["method"] == "POST");
  CHECK(lines[0]["status"] == 200);
  CHECK(lines[0]["source"] == "generated");
  CHECK(lines[0]["provider"] == "local");
  CHECK(lines[0]["credits"] == 10);

  const std::string job_id = made.json()["job_id"];
  std::vector<std::string> transitions;
  for (const auto& j : log.find("job", "job_id", job_id)) {
    transitions.push_back(j["transition"]);
    CHECK(j["user_id"] == user.user_id);
    CHECK(j["kind"] == "image");
    CHECK(j["provider"] == "local");
    CHECK(j["request_id"] == "req_log_gen");
  }
  CHECK(transitions == std::vector<std::string>{"created", "running", "succeeded"});
  CHECK(log.find("job", "job_id", job_id).back()["credits"] == 10);

  auto missing = gw.send("GET", "/nowhere", "", {"X-Request-Id: req_log_404"});
  REQUIRE(missing.status == 404);
  lines = log.find("request", "request_id", "req_log_404");
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["route"] == "unmatched");
  CHECK(lines[0]["user_id"].is_null());
  CHECK(lines[0]["error"] == "not_found");
}

TEST_CASE("log.requests: false keeps requests out of the log; log.format: text is logfmt",
          "[log][api]") {
  {
    CapturedLog log;
    TestGateway gw([](aigate::config::Config& c) { c.log.requests = false; });
    REQUIRE(gw.get("/healthz").status == 200);
    for (const auto& line : log.lines()) CHECK(line.find("\"event\":\"request\"") == std::string::npos);
  }
  CapturedLog log;
  TestGateway gw([](aigate::config::Config& c) { c.log.format = "text"; });
  REQUIRE(gw.send("GET", "/healthz", "", {"X-Request-Id: req_text"}).status == 200);
  std::string found;
  for (const auto& line : log.lines())
    if (line.find("request_id=req_text") != std::string::npos) found = line;
  INFO(found);
  CHECK(found.find("event=request ") != std::string::npos);
  CHECK(found.find(" route=/healthz ") != std::string::npos);
  CHECK(found.find(" status=200 ") != std::string::npos);
  CHECK(found.back() == '\n');
  aigate::log::setFormat(aigate::log::Format::kJson);
}

TEST_CASE("a canary API key appears in no log line, error body or metric", "[log][api][secrets]") {
  CapturedLog log;
  TestGateway gw([](aigate::config::Config& c) { c.tiers[0].requests_per_minute = 12; });
  auto user = gw.createUser("canary@example.com");
  const std::string canary = user.api_key;
  const std::string secret = canary.substr(std::string("sk-aigate-").size());
  const std::vector<std::string> auth = {"Authorization: Bearer " + canary,
                                         "Content-Type: application/json"};

  std::vector<HttpResponse> replies;
  auto call = [&](const std::string& method, const std::string& path, const std::string& body,
                  std::vector<std::string> extra = {}) {
    auto headers = auth;
    headers.insert(headers.end(), extra.begin(), extra.end());
    replies.push_back(gw.send(method, path, body, headers));
  };
  call("GET", "/api/v1/me", "");
  call("GET", "/api/v1/search?q=" + secret, "");
  call("POST", "/api/v1/generate/image", "{not json");
  call("POST", "/api/v1/generate/video", R"({"prompt":"x"})");  // 403 below Starter
  call("GET", "/api/v1/jobs/job_missing", "");
  call("DELETE", "/api/v1/me", "");
  call("POST", "/api/v1/generate/image", R"({"prompt":"a"})", {"Idempotency-Key: k1"});
  call("POST", "/api/v1/generate/image", R"({"prompt":"b"})", {"Idempotency-Key: k1"});
  call("GET", "/api/v1/usage", "");
  for (int i = 0; i < 6; ++i) call("GET", "/api/v1/me", "");  // into the rate limit
  replies.push_back(gw.get("/api/v1/me", canary + "x"));  // an unknown key, close to the canary
  replies.push_back(gw.send("GET", "/api/v1/me", "", {"Authorization: Basic " + canary}));

  bool saw_error = false, saw_429 = false;
  for (const auto& r : replies) {
    INFO(r.status << " " << r.body);
    saw_error = saw_error || r.status >= 400;
    saw_429 = saw_429 || r.status == 429;
    CHECK(r.body.find(secret) == std::string::npos);
    for (const auto& [name, value] : r.headers) CHECK(value.find(secret) == std::string::npos);
  }
  CHECK(saw_error);
  CHECK(saw_429);
  const std::string metrics = gw.get("/metrics").body;
  CHECK(metrics.find(secret) == std::string::npos);
  const auto lines = log.lines();
  CHECK(lines.size() >= replies.size());
  for (const auto& line : lines) {
    INFO(line);
    CHECK(line.find(secret) == std::string::npos);
  }
}
