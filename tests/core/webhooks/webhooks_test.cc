// Webhooks through a real gateway: the endpoints API, signed deliveries of
// generation.succeeded and generation.failed (checked by a receiver with its
// own HMAC code), retries with the same webhook-id, 410 disabling an
// endpoint, a generation's own webhook_url, redirects not followed, the SSRF
// guard at the API, and the retry schedule.
#include "core/webhooks/dispatcher.h"
#include "tests/core/webhooks/receiver.h"
#include "tests/fakes/hello_api.h"
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

using aigate::testing::FakeHelloApi;
using aigate::testing::FakeRequest;
using aigate::testing::Receiver;
using aigate::testing::TestGateway;
using aigate::testing::verifyStandardWebhook;
using nlohmann::json;

namespace {

// A gateway whose provider is "hello" on a fake, which may reach loopback
// receivers, retrying after 1 s twice; and a Scale user.
struct WebhookFixture {
  FakeHelloApi api;
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  explicit WebhookFixture(const std::function<void(aigate::config::Config&)>& tweak = {}) {
    ::setenv("AIGATE_TEST_HELLO_KEY", "hk_webhooks", 1);
    api.setPollsBeforeDone(0);
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
      c.webhooks.allow_hosts = {"127.0.0.1"};
      c.webhooks.retry_schedule_s = {1, 1};
      if (tweak) tweak(c);
    });
    user = gw->createUser("hooks@example.com", "scale");
  }

  // Registers `url`; returns the API's answer (with the secret).
  json addEndpoint(const std::string& url, const json& events = nullptr) {
    json body = {{"url", url}};
    if (!events.is_null()) body["events"] = events;
    auto r = gw->post("/api/v1/webhooks", body.dump(), user.api_key);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return r.json();
  }

  // Generates an image at once; returns the job id.
  std::string generate(const json& extra = json::object(), int expect_status = 200) {
    json body = {{"prompt", "a lighthouse at dusk"}, {"force_gen", true}};
    body.update(extra);
    auto r = gw->post("/api/v1/generate/image", body.dump(), user.api_key);
    INFO(r.body);
    REQUIRE(r.status == expect_status);
    return r.json().value("job_id", std::string());
  }

  json deliveries(const std::string& endpoint_id) {
    auto r = gw->get("/api/v1/webhooks/" + endpoint_id + "/deliveries", user.api_key);
    INFO(r.body);
    REQUIRE(r.status == 200);
    return r.json();
  }

  // The newest delivery of `endpoint_id` once it is no longer pending.
  json settledDelivery(const std::string& endpoint_id) {
    json items;
    for (int i = 0; i < 600; ++i) {
      items = deliveries(endpoint_id)["items"];
      if (!items.empty() && items[0]["status"] != "pending") return items[0];
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return items.empty() ? json() : items[0];
  }
};

}  // namespace

TEST_CASE("an endpoint is created with its secret shown once, listed and deleted",
          "[webhooks][api]") {
  WebhookFixture f;
  Receiver receiver;
  const json created = f.addEndpoint(receiver.url(), {"generation.succeeded"});
  const std::string id = created["id"];
  CHECK(id.rfind("wh_", 0) == 0);
  CHECK(created["url"] == receiver.url());
  CHECK(created["events"] == json{"generation.succeeded"});
  const std::string secret = created["secret"];
  REQUIRE(secret.rfind("whsec_", 0) == 0);
  CHECK(secret.size() == 6 + 32);  // base64 of 24 bytes
  CHECK(created.contains("credits_balance"));

  auto list = f.gw->get("/api/v1/webhooks", f.user.api_key);
  REQUIRE(list.status == 200);
  REQUIRE(list.json()["items"].size() == 1);
  CHECK(list.json()["items"][0]["id"] == id);
  CHECK(list.json()["items"][0]["enabled"] == true);
  CHECK_FALSE(list.json()["items"][0].contains("secret"));
  CHECK(list.body.find(secret.substr(6)) == std::string::npos);

  // Events default to both; unknown ones and bad URLs are 400 naming the field.
  CHECK(f.addEndpoint(receiver.url("/all"))["events"] ==
        json{"generation.succeeded", "generation.failed"});
  auto bad = f.gw->post("/api/v1/webhooks",
                        R"({"url":"http://127.0.0.1:1/","events":["job.done"]})", f.user.api_key);
  CHECK(bad.status == 400);
  CHECK(bad.json()["field"] == "events");
  bad = f.gw->post("/api/v1/webhooks", R"({"url":"ftp://127.0.0.1/"})", f.user.api_key);
  CHECK(bad.status == 400);
  CHECK(bad.json()["field"] == "url");
  bad = f.gw->post("/api/v1/webhooks", R"({"events":["generation.failed"]})", f.user.api_key);
  CHECK(bad.status == 400);
  CHECK(bad.json()["field"] == "url");
  // Not on the allow list: loopback by name.
  bad = f.gw->post("/api/v1/webhooks", R"({"url":"http://localhost:9/"})", f.user.api_key);
  CHECK(bad.status == 400);
  CHECK(bad.json()["field"] == "url");

  // Another user sees nothing of it.
  const auto other = f.gw->createUser("other@example.com", "scale");
  CHECK(f.gw->get("/api/v1/webhooks", other.api_key).json()["items"].empty());
  CHECK(f.gw->del("/api/v1/webhooks/" + id, other.api_key).status == 404);
  CHECK(f.gw->get("/api/v1/webhooks/" + id + "/deliveries", other.api_key).status == 404);

  auto gone = f.gw->del("/api/v1/webhooks/" + id, f.user.api_key);
  CHECK(gone.status == 200);
  CHECK(gone.json()["deleted"] == true);
  CHECK(f.gw->del("/api/v1/webhooks/" + id, f.user.api_key).status == 404);
  CHECK(f.gw->get("/api/v1/webhooks", f.user.api_key).json()["items"].size() == 1);
}

TEST_CASE("webhooks need the Scale tier", "[webhooks][api]") {
  WebhookFixture f;
  const auto pro = f.gw->createUser("pro@example.com", "pro");
  for (const auto& r :
       {f.gw->post("/api/v1/webhooks", R"({"url":"http://127.0.0.1:1/"})", pro.api_key),
        f.gw->get("/api/v1/webhooks", pro.api_key),
        f.gw->get("/api/v1/webhooks/default/deliveries", pro.api_key),
        f.gw->post("/api/v1/generate/image",
                   R"({"prompt":"x","force_gen":true,"webhook_url":"http://127.0.0.1:1/"})",
                   pro.api_key)}) {
    INFO(r.body);
    CHECK(r.status == 403);
    CHECK(r.json()["error"] == "feature_not_included");
    CHECK(r.json()["feature"] == "webhooks");
    CHECK(r.json()["required_tier"] == "scale");
  }
}

TEST_CASE("without an allow list, loopback URLs are refused by the API", "[webhooks][ssrf]") {
  WebhookFixture f([](aigate::config::Config& c) { c.webhooks.allow_hosts.clear(); });
  Receiver receiver;
  for (const std::string& url :
       {receiver.url(), std::string("http://0x7f000001:9/"),
        std::string("http://[::ffff:127.0.0.1]/"), std::string("http://169.254.169.254/")}) {
    INFO(url);
    auto r = f.gw->post("/api/v1/webhooks", json{{"url", url}}.dump(), f.user.api_key);
    CHECK(r.status == 400);
    CHECK(r.json()["error"] == "invalid_request");
    CHECK(r.json()["field"] == "url");
  }
  auto r =
      f.gw->post("/api/v1/generate/image",
                 json{{"prompt", "x"}, {"force_gen", true}, {"webhook_url", receiver.url()}}.dump(),
                 f.user.api_key);
  CHECK(r.status == 400);
  CHECK(r.json()["field"] == "webhook_url");
  CHECK(f.api.submits() == 0);
  CHECK(receiver.deliveries().empty());
}

TEST_CASE("a succeeded generation is delivered, signed per Standard Webhooks",
          "[webhooks][delivery]") {
  WebhookFixture f;
  Receiver receiver;
  const json endpoint = f.addEndpoint(receiver.url());
  const std::string job_id = f.generate();
  REQUIRE(receiver.waitFor(1));
  const json delivery = f.settledDelivery(endpoint["id"]);
  INFO(delivery.dump());
  CHECK(delivery["status"] == "delivered");
  CHECK(delivery["attempts"] == 1);
  CHECK(delivery["last_status"] == 200);
  CHECK(delivery["event_type"] == "generation.succeeded");
  CHECK(delivery["job_id"] == job_id);

  const FakeRequest got = receiver.deliveries().at(0);
  CHECK(got.method == "POST");
  CHECK(got.path == "/hooks");
  CHECK(got.header("content-type") == "application/json");
  CHECK(got.header("webhook-id") == delivery["webhook_id"]);
  CHECK(got.header("webhook-id").rfind("msg_", 0) == 0);
  const long timestamp = std::stol(got.header("webhook-timestamp"));
  CHECK(std::abs(timestamp - static_cast<long>(std::time(nullptr))) < 300);
  CHECK(verifyStandardWebhook(endpoint["secret"], got));
  // A different secret or a changed body does not verify.
  CHECK_FALSE(verifyStandardWebhook("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", got));
  FakeRequest tampered = got;
  tampered.body += " ";
  CHECK_FALSE(verifyStandardWebhook(endpoint["secret"], tampered));

  const json payload = json::parse(got.body);
  CHECK(payload["type"] == "generation.succeeded");
  CHECK(payload["timestamp"].is_string());
  CHECK(payload["data"]["job"]["id"] == job_id);
  CHECK(payload["data"]["job"]["status"] == "succeeded");
  REQUIRE(payload["data"]["asset"].is_object());
  CHECK(payload["data"]["asset"]["id"] == payload["data"]["job"]["asset"]["id"]);
  const std::string url = payload["data"]["asset"]["url"];
  CHECK(url.rfind(f.gw->url("/files/"), 0) == 0);
  CHECK(f.gw->get(url.substr(url.find("/files/"))).status == 200);
}

TEST_CASE("500, 500, then 200: three attempts with the same webhook-id", "[webhooks][delivery]") {
  WebhookFixture f;
  Receiver receiver;
  receiver.server.failNext(2, 500, "oops");
  const json endpoint = f.addEndpoint(receiver.url(), {"generation.succeeded"});
  f.generate();
  REQUIRE(receiver.waitFor(3));
  const json delivery = f.settledDelivery(endpoint["id"]);
  INFO(delivery.dump());
  CHECK(delivery["status"] == "delivered");
  CHECK(delivery["attempts"] == 3);
  CHECK(delivery["last_status"] == 200);
  const auto got = receiver.deliveries();
  REQUIRE(got.size() == 3);
  for (const auto& r : got) {
    CHECK(r.header("webhook-id") == got[0].header("webhook-id"));
    CHECK(r.body == got[0].body);  // the same event, byte for byte
    CHECK(verifyStandardWebhook(endpoint["secret"], r));
  }
  CHECK(f.deliveries(endpoint["id"])["total"] == 1);
}

TEST_CASE("attempts run out: the delivery fails with the last answer", "[webhooks][delivery]") {
  WebhookFixture f([](aigate::config::Config& c) { c.webhooks.retry_schedule_s = {0}; });
  Receiver receiver;
  receiver.server.failNext(5, 503, "busy\xff");  // not UTF-8: shown with a '?'
  const json endpoint = f.addEndpoint(receiver.url());
  f.generate();
  const json delivery = f.settledDelivery(endpoint["id"]);
  INFO(delivery.dump());
  CHECK(delivery["status"] == "failed");
  CHECK(delivery["attempts"] == 2);
  CHECK(delivery["last_status"] == 503);
  CHECK(delivery["last_error"] == "HTTP 503: busy?");
  CHECK(delivery["next_at"].is_null());
  CHECK(receiver.deliveries().size() == 2);
}

TEST_CASE("410 Gone disables the endpoint: no more deliveries to it", "[webhooks][delivery]") {
  WebhookFixture f;
  Receiver receiver;
  receiver.server.failNext(1, 410, "gone");
  const json endpoint = f.addEndpoint(receiver.url());
  f.generate();
  const json delivery = f.settledDelivery(endpoint["id"]);
  INFO(delivery.dump());
  CHECK(delivery["status"] == "failed");
  CHECK(delivery["attempts"] == 1);
  CHECK(delivery["last_status"] == 410);
  const json listed = f.gw->get("/api/v1/webhooks", f.user.api_key).json()["items"][0];
  CHECK(listed["enabled"] == false);
  CHECK(listed["disabled_reason"].is_string());

  f.generate();  // finishes after the endpoint was disabled: no outbox row for it
  CHECK(f.deliveries(endpoint["id"])["total"] == 1);
  CHECK(receiver.deliveries().size() == 1);
}

TEST_CASE("a failed generation is delivered as generation.failed", "[webhooks][delivery]") {
  WebhookFixture f;
  Receiver receiver;
  const json endpoint = f.addEndpoint(receiver.url(), {"generation.failed"});
  const json ignored = f.addEndpoint(receiver.url("/succeeded-only"), {"generation.succeeded"});
  f.api.failNext(1, 400);  // the provider refuses: the job fails at once
  f.generate(json::object(), 502);
  REQUIRE(receiver.waitFor(1));
  const json delivery = f.settledDelivery(endpoint["id"]);
  CHECK(delivery["status"] == "delivered");
  const FakeRequest got = receiver.deliveries().at(0);
  CHECK(got.path == "/hooks");
  CHECK(verifyStandardWebhook(endpoint["secret"], got));
  const json payload = json::parse(got.body);
  CHECK(payload["type"] == "generation.failed");
  CHECK(payload["data"]["job"]["status"] == "failed");
  CHECK(payload["data"]["job"]["error"]["error"] == "upstream_error");
  CHECK(payload["data"]["asset"].is_null());
  CHECK(f.deliveries(ignored["id"])["total"] == 0);
}

TEST_CASE("a generation's own webhook_url is delivered, signed with the account's secret",
          "[webhooks][delivery]") {
  WebhookFixture f;
  Receiver receiver;
  const std::string job_id = f.generate({{"webhook_url", receiver.url("/job-hook")}});
  REQUIRE(receiver.waitFor(1));
  const json delivery = f.settledDelivery("default");
  INFO(delivery.dump());
  CHECK(delivery["status"] == "delivered");
  CHECK(delivery["job_id"] == job_id);
  CHECK(delivery["url"] == receiver.url("/job-hook"));

  auto secret = f.gw->get("/api/v1/webhooks/default/secret", f.user.api_key);
  REQUIRE(secret.status == 200);
  const FakeRequest got = receiver.deliveries().at(0);
  CHECK(got.path == "/job-hook");
  CHECK(verifyStandardWebhook(secret.json()["secret"], got));
  CHECK(json::parse(got.body)["data"]["job"]["id"] == job_id);
  // The secret is stable.
  CHECK(f.gw->get("/api/v1/webhooks/default/secret", f.user.api_key).json()["secret"] ==
        secret.json()["secret"]);
}

TEST_CASE("a redirect is not followed, even to an allowed address", "[webhooks][ssrf]") {
  WebhookFixture f([](aigate::config::Config& c) { c.webhooks.retry_schedule_s.clear(); });
  Receiver inside;
  aigate::testing::FakeServer redirector([&](const FakeRequest&) {
    aigate::testing::FakeResponse r;
    r.status = 307;
    r.headers = {{"Location", inside.url("/stolen")}};
    return r;
  });
  const json endpoint = f.addEndpoint(redirector.baseUrl() + "/hooks");
  f.generate();
  const json delivery = f.settledDelivery(endpoint["id"]);
  INFO(delivery.dump());
  CHECK(delivery["status"] == "failed");
  CHECK(delivery["last_status"] == 307);
  CHECK(redirector.requests() == 1);
  CHECK(inside.deliveries().empty());
}

TEST_CASE("the retry schedule grows with ±20% jitter, then gives up", "[webhooks]") {
  std::mt19937_64 rng(7);
  const std::vector<int> schedule = {5, 300, 1800};
  for (int i = 0; i < 100; ++i) {
    const auto first = aigate::webhooks::retryDelayMs(schedule, 1, rng);
    REQUIRE(first);
    CHECK(*first >= 4000);
    CHECK(*first <= 6000);
    const auto third = aigate::webhooks::retryDelayMs(schedule, 3, rng);
    REQUIRE(third);
    CHECK(*third >= 1'440'000);
    CHECK(*third <= 2'160'000);
  }
  CHECK_FALSE(aigate::webhooks::retryDelayMs(schedule, 4, rng));
  CHECK_FALSE(aigate::webhooks::retryDelayMs({}, 1, rng));
}
