// The kling plugin: its recorded exchanges (plugins/kling/replay), its JWT,
// the events the replay kit cannot script, its settings, and whole
// generations through a real gateway against a fake of Kling's API (which
// verifies every JWT with the secret key).
#include <aigate/replay.hpp>
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/credits/ledger.h"
#include "kling_plugin.hpp"
#include "tests/fakes/kling_api.h"
#include "tests/support/http_client.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::kling::KlingPlugin;
using aigate::sdk::Event;
using aigate::testing::FakeKlingApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kAccess = "ak_test_0123";
constexpr const char* kSecret = "sk_test_secret_4567";
const std::string kApiKey = std::string(kAccess) + ":" + kSecret;
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant
constexpr int64_t kNow = 1764144000;            // 2025-11-26T08:00:00Z

json step(KlingPlugin& plugin, json event) {
  if (!event.contains("credential")) event["credential"] = {{"api_key", kApiKey}};
  return plugin.step(Event(std::move(event))).toJson();
}

json startImage(KlingPlugin& plugin) {
  return step(plugin, {{"event", "start"},
                       {"job_id", "job_1"},
                       {"request",
                        {{"kind", "image"},
                         {"prompt", "a quiet harbour"},
                         {"aspect_ratio", "1:1"},
                         {"model", "kling-v2"}}},
                       {"state", nullptr}});
}

json respond(KlingPlugin& plugin, const json& action, int status, const std::string& body,
             json headers = json::object()) {
  return step(plugin, {{"event", "http_response"},
                       {"status", status},
                       {"headers", headers},
                       {"body", body},
                       {"state", action["state"]}});
}

std::string bearer(const json& action) {
  const std::string header = action["request"]["headers"].value("authorization", std::string());
  REQUIRE(header.rfind("Bearer ", 0) == 0);
  return header.substr(7);
}

}  // namespace

// --- replays ------------------------------------------------------------------

TEST_CASE("kling: every recorded exchange replays", "[kling][replay]") {
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(AIGATE_KLING_REPLAY_DIR))
    if (entry.path().extension() == ".json") scripts.push_back(entry.path());
  std::sort(scripts.begin(), scripts.end());
  REQUIRE(scripts.size() >= 20);
  for (const auto& script : scripts) {
    const auto result = aigate::sdk::replayFile<KlingPlugin>(script.string());
    INFO(script.filename().string() << ": " << result.problem);
    CHECK(result.ok);
    // Whatever happened, neither key nor token reached a state the host stores.
    for (const auto& action : result.actions) {
      const std::string state = action.value("state", json()).dump();
      CHECK(state.find(kSecret) == std::string::npos);
      CHECK(state.find(kAccess) == std::string::npos);
      CHECK(state.find("eyJ") == std::string::npos);
    }
  }
}

TEST_CASE("kling: throttling waits as Retry-After says or backs off", "[kling][replay]") {
  const auto result = aigate::sdk::replayFile<KlingPlugin>(std::string(AIGATE_KLING_REPLAY_DIR) +
                                                           "/rate_limited_then_succeeds.json");
  INFO(result.problem);
  REQUIRE(result.ok);
  std::vector<int> waits;
  for (const auto& action : result.actions)
    if (action["action"] == "wait") waits.push_back(action["ms"].get<int>());
  // 7 s from the header; the default 5 s poll; then 2 s and 4 s for two 1303s.
  CHECK(waits == std::vector<int>{7000, 5000, 2000, 4000});
}

TEST_CASE("kling: Retry-After is capped and backoff stops at 60 s", "[kling]") {
  using aigate::plugins::kling::throttleWaitMs;
  CHECK(throttleWaitMs(json{{"retry-after", "3600"}}, 1) == 60000);
  CHECK(throttleWaitMs(json{{"retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"}}, 1) == 2000);
  CHECK(throttleWaitMs(json::object(), 3) == 8000);
  CHECK(throttleWaitMs(json::object(), 9) == 60000);
}

// --- the JWT --------------------------------------------------------------------------

TEST_CASE("kling: the JWT matches an HS256 token signed independently", "[kling][jwt]") {
  // Made with Python's hmac/base64 over the same header and payload.
  CHECK(aigate::plugins::kling::signToken(kAccess, kSecret, kNow) ==
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJleHAiOjE3NjQxNDU4MDAsImlzcyI6ImFrX3Rlc3RfMDEyMyIsIm5iZiI6MTc2NDE0Mzk5NX0."
        "yfxPySZEEJbvSw-XCXlKphbez3I2e9yHzN0DmIGBGNc");
  CHECK(aigate::plugins::kling::base64Url("f") == "Zg");
  CHECK(aigate::plugins::kling::base64Url("fo") == "Zm8");
  CHECK(aigate::plugins::kling::base64Url("foo") == "Zm9v");
  CHECK(aigate::plugins::kling::base64Url("\xfb\xff") == "-_8");
}

TEST_CASE("kling: every request carries a token signed at its own time", "[kling][jwt]") {
  KlingPlugin plugin(json::object());
  int64_t now = kNow;
  plugin.setClock([&] { return now; });
  const json submit = startImage(plugin);
  REQUIRE(submit["action"] == "http");
  CHECK(bearer(submit) == aigate::plugins::kling::signToken(kAccess, kSecret, kNow));

  const json wait = respond(plugin, submit, 200,
                            R"({"code":0,"data":{"task_id":"t1","task_status":"submitted"}})");
  REQUIRE(wait["action"] == "wait");
  now += 3600;  // the first token has long expired
  const json poll = step(plugin, {{"event", "timer"}, {"state", wait["state"]}});
  REQUIRE(poll["action"] == "http");
  CHECK(poll["request"]["method"] == "GET");
  CHECK(poll["request"]["url"] == "https://api-singapore.klingai.com/v1/images/generations/t1");
  CHECK(bearer(poll) == aigate::plugins::kling::signToken(kAccess, kSecret, kNow + 3600));
  CHECK(poll["state"].dump().find("eyJ") == std::string::npos);
}

TEST_CASE("kling: a timer resends with the credential of the event", "[kling][jwt]") {
  KlingPlugin plugin(json::object());
  plugin.setClock([] { return kNow; });
  const json submit = startImage(plugin);
  const json wait = respond(plugin, submit, 429, R"({"code":1302,"message":"too frequent"})");
  REQUIRE(wait["action"] == "wait");
  const json again = step(plugin, {{"event", "timer"},
                                   {"state", wait["state"]},
                                   {"credential", {{"api_key", "ak_new:sk_new"}}}});
  CHECK(again["request"]["method"] == "POST");
  CHECK(again["request"]["body"] == submit["request"]["body"]);
  CHECK(bearer(again) == aigate::plugins::kling::signToken("ak_new", "sk_new", kNow));
  // A key that is not "ACCESS:SECRET" sends nothing.
  for (const char* key : {"", "no-colon", ":secret", "access:"}) {
    const json refused =
        step(plugin, {{"event", "timer"}, {"state", wait["state"]}, {"credential", {{"api_key", key}}}});
    CHECK(refused["action"] == "fail");
    CHECK(refused["code"] == "unauthorized");
  }
}

// --- events the replay kit cannot script -----------------------------------------

TEST_CASE("kling: cancel fails at once since Kling cannot cancel", "[kling][cancel]") {
  KlingPlugin plugin(json::object());
  const json submit = startImage(plugin);
  const json canceled = step(plugin, {{"event", "cancel"}, {"state", submit["state"]}});
  CHECK(canceled["action"] == "fail");
  CHECK(canceled["code"] == "canceled");
  CHECK(canceled["retryable"] == false);
}

TEST_CASE("kling: business codes map to the failure classes", "[kling]") {
  struct Case {
    int status;
    int code;
    const char* expect;
    bool retryable;
  };
  const std::vector<Case> cases = {
      {401, 1000, "unauthorized", false},   {401, 1004, "unauthorized", false},
      {429, 1100, "account_error", false},  {429, 1101, "account_error", false},
      {403, 1103, "unauthorized", false},   {400, 1200, "invalid_request", false},
      {400, 1201, "invalid_request", false}, {404, 1202, "invalid_request", false},
      {400, 1300, "content_policy", false}, {400, 1301, "content_policy", false},
      {429, 1304, "unauthorized", false},   {500, 5000, "upstream_error", true},
      {503, 5001, "upstream_error", true},  {504, 5002, "upstream_error", true},
      {200, 1201, "invalid_request", false}, {502, -1, "upstream_error", true},
      {400, -1, "invalid_request", false},  {403, -1, "unauthorized", false},
  };
  for (const auto& c : cases) {
    KlingPlugin plugin(json::object());
    const json submit = startImage(plugin);
    const std::string body =
        c.code < 0 ? std::string("{\"message\":\"no code\"}")
                   : json{{"code", c.code}, {"message", "m"}, {"request_id", "r"}}.dump();
    const json action = respond(plugin, submit, c.status, body);
    INFO(c.status << " " << c.code << " " << action.dump());
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == c.expect);
    CHECK(action["retryable"] == c.retryable);
  }
}

TEST_CASE("kling: progress follows the task status", "[kling]") {
  KlingPlugin plugin(json{{"poll_ms", 10}});
  const json submit = startImage(plugin);
  const json submitted = respond(plugin, submit, 200,
                                 R"({"code":0,"data":{"task_id":"t","task_status":"submitted"}})");
  CHECK(submitted["ms"] == 10);
  CHECK(submitted["progress"] == 0.1);
  const json processing = respond(plugin, submitted, 200,
                                  R"({"code":0,"data":{"task_id":"t","task_status":"processing"}})");
  CHECK(processing["progress"] == 0.5);
  const json odd = respond(plugin, processing, 200,
                           R"({"code":0,"data":{"task_id":"t","task_status":"dancing"}})");
  CHECK(odd["code"] == "upstream_error");
}

TEST_CASE("kling: a state that is not ours is refused without a crash", "[kling]") {
  KlingPlugin plugin(json::object());
  for (const json& state : {json(nullptr), json("text"), json{{"phase", "poll"}},
                            json{{"phase", "poll"}, {"kind", "image"}}}) {
    const json action = step(plugin, {{"event", "timer"}, {"state", state}});
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "plugin_error");
  }
}

// --- settings and description --------------------------------------------------------

TEST_CASE("kling: bad settings are refused with the setting's name", "[kling][settings]") {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"base_url", "api.klingai.com"}}, "base_url"},
      {{{"base_url", 3}}, "base_url"},
      {{{"poll_ms", 0}}, "poll_ms"},
      {{{"poll_ms", "fast"}}, "poll_ms"},
      {{{"timeout_ms", 10}}, "timeout_ms"},
      {{{"video_mode", "ultra"}}, "video_mode"},
      {{{"video_duration", 5}}, "video_duration"},
      {{{"video_duration", "7"}}, "video_duration"},
      {{{"api_version", "v2"}}, "api_version"},
      {json::array(), "object"},
  };
  for (const auto& [settings, name] : bad) {
    INFO(settings.dump());
    try {
      KlingPlugin plugin(settings);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  CHECK_NOTHROW(KlingPlugin(json{{"base_url", "http://127.0.0.1:1/"},
                                 {"poll_ms", 5},
                                 {"timeout_ms", 500},
                                 {"video_mode", "pro"},
                                 {"video_duration", "10"}}));
}

TEST_CASE("kling: the description lists every ratio and both kinds", "[kling]") {
  const json d = KlingPlugin::describe();
  CHECK(d["name"] == "kling");
  CHECK(d["kinds"] == json{"image", "video"});
  CHECK(d["aspect_ratios"].size() == 9);
  CHECK(d["can_cancel"] == false);
  CHECK(d["local"] == false);
}

// --- the fake checks tokens as Kling does ----------------------------------------------

TEST_CASE("kling: the fake refuses tokens Kling would refuse", "[kling][fake]") {
  FakeKlingApi api(kAccess, kSecret);
  aigate::testing::HttpClient http;
  using aigate::plugins::kling::signToken;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string url = api.baseUrl() + "/v1/images/generations";
  const std::string body = R"({"model_name":"kling-v1","prompt":"a cat","n":1})";
  auto post = [&](const std::string& token) {
    std::vector<std::string> headers = {"Content-Type: application/json"};
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return http.request("POST", url, body, headers);
  };
  const std::vector<std::pair<std::string, int>> refused = {
      {"", 1001},
      {"not-a-jwt", 1002},
      {signToken(kAccess, "wrong-secret", now), 1000},
      {signToken("someone-else", kSecret, now), 1000},
      {signToken(kAccess, kSecret, now - 3600), 1004},  // expired 30 min ago
      {signToken(kAccess, kSecret, now + 600), 1003},   // nbf in the future
  };
  for (const auto& [token, code] : refused) {
    INFO(token);
    const auto r = post(token);
    CHECK(r.status == 401);
    CHECK(r.json()["code"] == code);
  }
  CHECK(api.unauthorized() == static_cast<int>(refused.size()));
  const auto accepted = post(signToken(kAccess, kSecret, now));
  INFO(accepted.body);
  CHECK(accepted.status == 200);
  CHECK(accepted.json()["code"] == 0);
  CHECK(accepted.json()["data"]["task_status"] == "submitted");
  // Kling's validation: a video ratio it does not have is code 1201.
  const auto bad = http.request("POST", api.baseUrl() + "/v1/videos/text2video",
                                R"({"prompt":"a cat","aspect_ratio":"4:3"})",
                                {"Authorization: Bearer " + signToken(kAccess, kSecret, now)});
  CHECK(bad.status == 400);
  CHECK(bad.json()["code"] == 1201);
}

// --- through the gateway ------------------------------------------------------------------

namespace {

// A gateway whose only image and video provider is "kling" on `api`.
struct KlingFixture {
  FakeKlingApi api{kAccess, kSecret};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  // `gateway_key` is the key the gateway is given; the fake accepts kApiKey only.
  explicit KlingFixture(const std::string& gateway_key = kApiKey) {
    ::setenv("AIGATE_TEST_KLING_KEY", gateway_key.c_str(), 1);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_KLING_PLUGIN};
      aigate::config::ProviderConfig kling;
      kling.name = "kling";
      kling.plugin = "kling";
      kling.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 20}}.dump();
      kling.api_key_env = "AIGATE_TEST_KLING_KEY";
      c.providers = {kling};
      c.generation.image = {"kling"};
      c.generation.video = {"kling"};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser("kling@example.com", "scale");
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

  // Whether the secret key (or a token) is anywhere in the jobs table.
  bool secretStored() {
    for (const char* needle : {kSecret, "eyJ"}) {
      auto& q = gw->store().reader().statement(
          "SELECT COUNT(*) FROM jobs WHERE instr(COALESCE(state,'') || COALESCE(pending,'') ||"
          " request, ?) > 0");
      q.bind(1, needle);
      REQUIRE(q.executeStep());
      const bool stored = q.getColumn(0).getInt() != 0;
      q.reset();
      if (stored) return true;
    }
    return false;
  }
};

}  // namespace

TEST_CASE("kling: an image is generated through the gateway and charged once",
          "[kling][gateway]") {
  KlingFixture f;
  const std::string png = aigate::testing::samples::png(96, 128);
  f.api.setImage(png);
  auto r = f.generate(R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"4:5"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "kling");
  CHECK(r.json()["credits_charged"] == 10);
  CHECK(f.api.submits() == 1);
  CHECK(f.api.polls() == 3);  // submitted, processing, succeed
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.unauthorized() == 0);  // every JWT verified with the secret
  CHECK(f.api.lastAuthorization().rfind("Bearer eyJ", 0) == 0);
  const json body = f.api.lastSubmitBody();
  CHECK(body["model_name"] == "kling-v2");
  CHECK(body["aspect_ratio"] == "3:4");
  CHECK(body["prompt"] == "a lighthouse in fog");
  CHECK(body["n"] == 1);

  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == png);
  CHECK(r.json()["asset"]["width"] == 96);

  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.secretStored());
}

TEST_CASE("kling: a video is polled to the end through the gateway", "[kling][gateway]") {
  KlingFixture f;
  auto r = f.gw->post(
      "/api/v1/generate/video",
      R"({"prompt":"waves on a black sand beach","force_gen":true,"aspect_ratio":"2:3"})",
      f.user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 202);
  const json job = f.waitForJob(r.json()["job"]["id"]);
  INFO(job.dump());
  REQUIRE(job["status"] == "succeeded");
  CHECK(job["asset"]["type"] == "video");
  const json body = f.api.lastSubmitBody();
  CHECK(body["model_name"] == "kling-v2-1-master");
  CHECK(body["aspect_ratio"] == "9:16");
  CHECK(body["mode"] == "std");
  CHECK(body["duration"] == "5");
  CHECK(f.api.log().front() == "POST /v1/videos/text2video");
  CHECK(f.api.unauthorized() == 0);
  CHECK(f.books().balance == kScaleCredits - 100);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.secretStored());
}

TEST_CASE("kling: a content security refusal is final: 502 and nothing charged",
          "[kling][gateway]") {
  KlingFixture f;
  f.api.setRiskyWord("forbidden");
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("kling: a 5000 server error is retried and then succeeds", "[kling][gateway]") {
  KlingFixture f;
  f.api.failNext(1, 500);
  auto r = f.generate(R"({"prompt":"retry me","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.submits() == 2);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
}

TEST_CASE("kling: a wrong secret key is refused by signature and not retried",
          "[kling][gateway]") {
  KlingFixture f(std::string(kAccess) + ":not-the-secret");
  auto r = f.generate(R"({"prompt":"who am i","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["provider_error"] == "unauthorized");
  CHECK(f.api.unauthorized() == 1);
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
}

TEST_CASE("kling: cancel mid-job stops polling and releases the hold", "[kling][gateway][cancel]") {
  KlingFixture f;
  f.api.setPollsBeforeDone(100000);
  auto r = f.generate(R"({"prompt":"slow one","force_gen":true,"async":true})");
  REQUIRE(r.status == 202);
  const std::string id = r.json()["job"]["id"];
  REQUIRE(f.api.waitFor([&] { return f.api.polls() >= 2; }, 10'000));
  auto canceled = f.gw->del("/api/v1/jobs/" + id, f.user.api_key);
  INFO(canceled.body);
  REQUIRE(canceled.status == 200);
  CHECK(canceled.json()["job"]["status"] == "canceled");
  CHECK(canceled.json()["credits_balance"] == kScaleCredits);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int polls = f.api.polls();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.api.polls() == polls);  // Kling has no cancel: we only stop asking
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}
