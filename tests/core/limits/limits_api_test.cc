// Rate and concurrency limits over real HTTP: 200 parallel generate requests
// against a small per-minute limit and concurrency cap, the 429 every client
// sees, nothing charged for refusals, limits per key and per user, and what
// GET /api/v1/me says.
#include "core/accounts/accounts.h"
#include "core/credits/ledger.h"
#include "tests/fakes/hello_api.h"
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

using aigate::testing::FakeHelloApi;
using aigate::testing::HttpClient;
using aigate::testing::HttpResponse;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

// A gateway whose provider ("hello" on a fake) keeps every job running until
// it is canceled, and whose "scale" tier has the given limits.
struct SlowGateway {
  FakeHelloApi api;
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  SlowGateway(int per_minute, int concurrent) {
    ::setenv("AIGATE_TEST_HELLO_KEY", "hk_limits_test_0123456789", 1);
    api.setPollsBeforeDone(1'000'000);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_HELLO_PLUGIN};
      aigate::config::ProviderConfig hello;
      hello.name = "hello";
      hello.plugin = "hello";
      hello.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 200}}.dump();
      hello.api_key_env = "AIGATE_TEST_HELLO_KEY";
      c.providers = {hello};
      c.generation.image = {"hello"};
      c.generation.video = {"hello"};
      for (auto& tier : c.tiers) {
        if (tier.name != "scale") continue;
        tier.requests_per_minute = per_minute;
        tier.concurrent_generations = concurrent;
      }
      c.log.requests = false;
    });
    user = gw->createUser("limits@example.com", "scale");
  }

  aigate::credits::Balance books() {
    auto b = aigate::credits::balanceOf(gw->store().reader(), user.user_id);
    REQUIRE(b.ok());
    return b.value();
  }

  int64_t countRows(const char* sql) {
    auto& q = gw->store().reader().statement(sql);
    q.bind(1, user.user_id);
    REQUIRE(q.executeStep());
    const int64_t n = q.getColumn(0).getInt64();
    q.reset();
    return n;
  }

  std::string newKey() {
    std::string secret;
    auto status = gw->store().writeSync([&](aigate::store::Conn& c) -> aigate::Status {
      auto key = aigate::accounts::issueKey(c, user.user_id, "second");
      if (!key) return key.error();
      secret = key->secret;
      return aigate::Status::Ok();
    });
    REQUIRE(status.ok());
    return secret;
  }
};

constexpr const char* kAsyncImage = R"({"prompt":"a slow lighthouse","force_gen":true,"async":true})";

void checkRateLimitReply(const HttpResponse& r, const std::string& limit) {
  INFO(r.body);
  REQUIRE(r.status == 429);
  const json body = r.json();
  CHECK(body["error"] == "rate_limit");
  CHECK(body["limit"] == limit);
  CHECK(body["message"].is_string());
  CHECK(body["credits_balance"].is_number_integer());
  REQUIRE(body["retry_after"].is_number_integer());
  CHECK(body["retry_after"].get<int>() >= 1);
  CHECK(r.header("retry-after") == std::to_string(body["retry_after"].get<int>()));
}

}  // namespace

TEST_CASE("200 parallel generate requests: at most N accepted, at most C in flight, "
          "every refusal a free 429 with Retry-After",
          "[limits][api]") {
  constexpr int kPerMinute = 20;
  constexpr int kConcurrent = 3;
  constexpr int kRequests = 200;
  SlowGateway s(kPerMinute, kConcurrent);
  const auto before = s.books();

  std::vector<HttpResponse> replies(kRequests);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  const std::string url = s.gw->url("/api/v1/generate/image");
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&, i] {
      HttpClient client;
      ++ready;
      while (!go) std::this_thread::yield();
      replies[i] = client.request("POST", url, kAsyncImage,
                                  {"Authorization: Bearer " + s.user.api_key,
                                   "Content-Type: application/json"});
    });
  }
  while (ready < kRequests) std::this_thread::yield();
  const auto started = std::chrono::steady_clock::now();
  go = true;
  for (auto& t : threads) t.join();
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  int accepted = 0, over_rate = 0, over_concurrency = 0;
  std::vector<std::string> job_ids;
  for (const auto& r : replies) {
    INFO(r.body);
    if (r.status == 202) {
      ++accepted;
      job_ids.push_back(r.json()["job"]["id"]);
      continue;
    }
    REQUIRE(r.status == 429);
    const std::string limit = r.json()["limit"];
    checkRateLimitReply(r, limit);
    if (limit == "requests_per_minute") {
      ++over_rate;
    } else {
      CHECK(limit == "concurrent_generations");
      CHECK(r.json()["message"].get<std::string>().find("concurrent generations") !=
            std::string::npos);
      ++over_concurrency;
    }
  }
  INFO("accepted " << accepted << ", over rate " << over_rate << ", over concurrency "
                   << over_concurrency << ", in " << elapsed_s << " s");
  // The limiter lets N through at once, then one more every 60/N seconds.
  const int rate_allowance = kPerMinute + static_cast<int>(elapsed_s / (60.0 / kPerMinute));
  CHECK(accepted + over_concurrency <= rate_allowance);
  CHECK(over_rate >= kRequests - rate_allowance);
  // No job ever ends, so every accepted one is still in flight: at most C.
  CHECK(accepted >= 1);
  CHECK(accepted <= kConcurrent);
  CHECK(s.countRows("SELECT COUNT(*) FROM jobs WHERE user_id = ?") == accepted);
  CHECK(s.api.waitFor([&] { return s.api.submits() == accepted; }, 10'000));

  // Refusals cost nothing: the only money moved is the accepted jobs' holds.
  const auto after = s.books();
  CHECK(after.balance == before.balance);
  CHECK(after.held == accepted * 10);
  CHECK(s.countRows("SELECT COUNT(*) FROM ledger WHERE user_id = ? AND kind = 'hold'") == accepted);
  CHECK(s.countRows("SELECT COUNT(*) FROM ledger WHERE user_id = ? AND kind = 'charge'") == 0);

  // Concurrency is per user: a fresh key passes the rate limit but not the cap
  // while C jobs run; canceling one frees a slot.
  if (accepted == kConcurrent) {
    const std::string second = s.newKey();
    checkRateLimitReply(s.gw->post("/api/v1/generate/image", kAsyncImage, second),
                        "concurrent_generations");
    REQUIRE(s.gw->del("/api/v1/jobs/" + job_ids[0], second).json()["job"]["status"] == "canceled");
    auto again = s.gw->post("/api/v1/generate/image", kAsyncImage, second);
    INFO(again.body);
    CHECK(again.status == 202);
    job_ids.push_back(again.json()["job"]["id"]);
    job_ids.erase(job_ids.begin());
    for (const auto& id : job_ids) s.gw->del("/api/v1/jobs/" + id, second);
    CHECK(s.books().held == 0);
    CHECK(s.books().balance == before.balance);
  }
}

TEST_CASE("the rate limit is per key and refuses every route of /api/v1, not /healthz or "
          "/metrics",
          "[limits][api]") {
  TestGateway gw([](aigate::config::Config& c) {
    c.tiers[0].requests_per_minute = 3;  // free
    c.log.requests = false;
  });
  auto a = gw.createUser("a@example.com");
  auto b = gw.createUser("b@example.com");
  for (int i = 0; i < 3; ++i) REQUIRE(gw.get("/api/v1/me", a.api_key).status == 200);
  auto refused = gw.get("/api/v1/usage", a.api_key);
  checkRateLimitReply(refused, "requests_per_minute");
  CHECK(refused.json()["requests_per_minute"] == 3);
  CHECK(refused.json()["credits_balance"] == 100);
  CHECK(refused.json()["retry_after"].get<int>() <= 20);
  checkRateLimitReply(gw.post("/api/v1/generate/image", R"({"prompt":"x"})", a.api_key),
                      "requests_per_minute");
  CHECK(gw.get("/api/v1/me", b.api_key).status == 200);  // another key, its own budget
  CHECK(gw.get("/healthz").status == 200);
  CHECK(gw.get("/metrics").status == 200);
  // Unauthenticated and bad keys are answered 401, not counted against anyone.
  CHECK(gw.get("/api/v1/me").status == 401);
  CHECK(gw.get("/api/v1/me", "sk-aigate-nope").status == 401);
}

TEST_CASE("a 429 is not kept for its Idempotency-Key: the retry runs", "[limits][api]") {
  SlowGateway s(600, 1);
  auto first = s.gw->post("/api/v1/generate/image", kAsyncImage, s.user.api_key);
  REQUIRE(first.status == 202);
  const std::vector<std::string> key = {"Idempotency-Key: retry-after-429"};
  checkRateLimitReply(s.gw->post("/api/v1/generate/image", kAsyncImage, s.user.api_key, key),
                      "concurrent_generations");
  REQUIRE(s.gw->del("/api/v1/jobs/" + first.json()["job"]["id"].get<std::string>(),
                    s.user.api_key).status == 200);
  auto retried = s.gw->post("/api/v1/generate/image", kAsyncImage, s.user.api_key, key);
  INFO(retried.body);
  CHECK(retried.status == 202);
  CHECK(retried.header("idempotent-replayed").empty());
  s.gw->del("/api/v1/jobs/" + retried.json()["job"]["id"].get<std::string>(), s.user.api_key);
}

TEST_CASE("GET /api/v1/me shows the tier's limits", "[limits][api]") {
  TestGateway gw([](aigate::config::Config& c) { c.log.requests = false; });
  auto free_user = gw.createUser("free@example.com");
  auto scale_user = gw.createUser("scale@example.com", "scale");
  auto free_me = gw.get("/api/v1/me", free_user.api_key).json();
  CHECK(free_me["limits"] == json{{"requests_per_minute", 60}, {"concurrent_generations", 2}});
  auto scale_me = gw.get("/api/v1/me", scale_user.api_key).json();
  CHECK(scale_me["limits"] == json{{"requests_per_minute", 600}, {"concurrent_generations", 16}});
}
