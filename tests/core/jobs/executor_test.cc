// The job executor against a fake provider server speaking the "hello" API,
// through the example hello plugin: submit → poll → done, retries, deadlines,
// non-retryable failures, garbage, cancel, fallback, and money at every end.
#include "core/credits/ledger.h"
#include "core/jobs/job.h"
#include "tests/fakes/hello_api.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

using aigate::testing::FakeHelloApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "hk_test_secret_0123456789";

// A gateway whose only image and video provider is "hello" on `api`.
struct HelloFixture {
  FakeHelloApi api;
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  explicit HelloFixture(const std::function<void(aigate::config::Config&)>& tweak = {}) {
    ::setenv("AIGATE_TEST_HELLO_KEY", kKey, 1);
    api.setPollsBeforeDone(2);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_HELLO_PLUGIN};
      aigate::config::ProviderConfig hello;
      hello.name = "hello";
      hello.plugin = "hello";
      hello.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 20}}.dump();
      hello.api_key_env = "AIGATE_TEST_HELLO_KEY";
      c.providers = {hello};
      c.generation.image = {"hello"};
      c.generation.video = {"hello"};
      c.generation.retry_base_ms = 20;
      if (tweak) tweak(c);
    });
    user = gw->createUser("hello@example.com", "scale");
  }

  aigate::credits::Balance books() {
    auto b = aigate::credits::balanceOf(gw->store().reader(), user.user_id);
    REQUIRE(b.ok());
    return b.value();
  }

  aigate::testing::HttpResponse generate(const std::string& body) {
    return gw->post("/api/v1/generate/image", body, user.api_key);
  }

  json waitForJob(const std::string& id) {
    json job;
    for (int i = 0; i < 300; ++i) {
      job = gw->get("/api/v1/jobs/" + id, user.api_key).json()["job"];
      if (job["status"] != "queued" && job["status"] != "running") return job;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return job;
  }
};

constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant

}  // namespace

TEST_CASE("submit, poll, poll, done: the output is stored, served and charged once",
          "[jobs][executor]") {
  HelloFixture f;
  const std::string png = aigate::testing::samples::png(64, 36);
  f.api.setImage(png, "image/png", 64, 36);
  auto r = f.generate(R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"16:9"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "hello");
  CHECK(r.json()["credits_charged"] == 10);
  CHECK(f.api.submits() == 1);
  CHECK(f.api.polls() == 3);  // running, running, succeeded
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.lastAuthorization() == std::string("Bearer ") + kKey);

  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == png);
  CHECK(r.json()["asset"]["source"] == "generated");
  CHECK(r.json()["asset"]["width"] == 64);
  CHECK(r.json()["asset"]["aspect_ratio"] == "16:9");

  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
  // The provider's key never reaches the store.
  auto& q = f.gw->store().reader().statement(
      "SELECT COUNT(*) FROM jobs WHERE instr(COALESCE(state,'') || COALESCE(pending,'') ||"
      " request, ?) > 0");
  q.bind(1, kKey);
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getInt() == 0);
}

TEST_CASE("a 500 is retried and then succeeds", "[jobs][executor]") {
  HelloFixture f;
  f.api.failNext(1, 500);
  auto r = f.generate(R"({"prompt":"retry me","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.submits() == 2);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
}

TEST_CASE("a 4xx is not retried: 502 upstream_error and nothing charged", "[jobs][executor]") {
  HelloFixture f;
  f.api.failNext(1, 400);
  auto r = f.generate(R"({"prompt":"refused","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider"] == "hello");
  CHECK(r.json()["provider_error"] == "invalid_request");
  CHECK(r.json()["credits_balance"] == kScaleCredits);
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("a content policy refusal is final: 502, no retry, no charge", "[jobs][executor]") {
  HelloFixture f;
  f.api.setFinalFailure("content_policy");
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  REQUIRE(r.status == 502);
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
}

TEST_CASE("garbage JSON is retried, then the job fails and nothing is charged",
          "[jobs][executor]") {
  HelloFixture f;
  f.api.setGarbage(true);
  auto r = f.generate(R"({"prompt":"garbage in","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["error"] == "generation_unavailable");
  CHECK(f.api.submits() == 3);  // generation.max_attempts
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("a hanging upstream fails at the job's deadline and the hold is released",
          "[jobs][executor]") {
  HelloFixture f([](auto& c) { c.generation.job_deadline_s = 1; });
  f.api.setHang(true);
  auto r = f.generate(R"({"prompt":"never answered","force_gen":true,"async":true})");
  REQUIRE(r.status == 202);
  CHECK(f.books().held == 10);
  const json job = f.waitForJob(r.json()["job"]["id"]);
  INFO(job.dump());
  CHECK(job["status"] == "failed");
  CHECK(job["error"]["error"] == "generation_unavailable");
  CHECK(job["error"]["provider_error"] == "timeout");
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
  f.api.setHang(false);
}

TEST_CASE("cancel mid-job cancels upstream and releases the hold", "[jobs][executor]") {
  HelloFixture f;
  f.api.setPollsBeforeDone(100000);
  auto r = f.generate(R"({"prompt":"slow one","force_gen":true,"async":true})");
  REQUIRE(r.status == 202);
  const std::string id = r.json()["job"]["id"];
  REQUIRE(f.api.waitFor([&] { return f.api.polls() >= 2; }, 10'000));
  auto running = f.gw->get("/api/v1/jobs/" + id, f.user.api_key).json()["job"];
  CHECK(running["status"] == "running");
  auto canceled = f.gw->del("/api/v1/jobs/" + id, f.user.api_key);
  INFO(canceled.body);
  REQUIRE(canceled.status == 200);
  CHECK(canceled.json()["job"]["status"] == "canceled");
  CHECK(canceled.json()["credits_balance"] == kScaleCredits);
  CHECK(f.api.waitFor([&] { return f.api.cancels() == 1; }, 5'000));
  const int polls = f.api.polls();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.api.polls() == polls);  // nothing more is sent
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("a provider that cannot be reached falls back to the next in the chain",
          "[jobs][executor]") {
  HelloFixture f([](auto& c) {
    aigate::config::ProviderConfig dead = c.providers[0];
    dead.name = "dead";
    dead.settings_json = json{{"base_url", "http://127.0.0.1:9"}, {"poll_ms", 20}}.dump();
    c.providers.push_back(dead);
    c.generation.image = {"dead", "hello"};
  });
  auto r = f.generate(R"({"prompt":"fall back","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "hello");
  CHECK(f.books().balance == kScaleCredits - 10);
}

TEST_CASE("a video job is polled to the end and its MP4 recorded", "[jobs][executor]") {
  HelloFixture f;
  f.api.setImage(aigate::testing::samples::mp4(), "video/mp4", 640, 360);
  auto r = f.gw->post("/api/v1/generate/video", R"({"prompt":"waves","force_gen":true})",
                      f.user.api_key);
  REQUIRE(r.status == 202);
  const json job = f.waitForJob(r.json()["job"]["id"]);
  INFO(job.dump());
  REQUIRE(job["status"] == "succeeded");
  CHECK(job["asset"]["type"] == "video");
  CHECK(f.books().balance == kScaleCredits - 100);
  CHECK(f.books().held == 0);
}

TEST_CASE("a user with too few credits gets 402 and the provider is never called",
          "[jobs][executor]") {
  HelloFixture f([](auto& c) { c.prices.generated_image = 100000; });
  auto r = f.generate(R"({"prompt":"too expensive","force_gen":true})");
  CHECK(r.status == 402);
  CHECK(r.json()["error"] == "insufficient_credits");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(f.api.requests() == 0);
  CHECK(f.books().held == 0);
}

TEST_CASE("an unknown provider hint is 400; a known one is used", "[jobs][executor]") {
  HelloFixture f;
  auto bad = f.generate(R"({"prompt":"x","force_gen":true,"provider":"nope"})");
  CHECK(bad.status == 400);
  CHECK(bad.json()["field"] == "provider");
  auto good = f.generate(R"({"prompt":"x","force_gen":true,"provider":"hello"})");
  CHECK(good.status == 200);
}
