// The leonardo plugin: its recorded exchanges (plugins/leonardo/replay), the
// events the replay kit cannot script, its settings, and whole generations
// through a real gateway against a fake of the Leonardo.Ai REST API.
#include <aigate/replay.hpp>
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/credits/ledger.h"
#include "leonardo_plugin.hpp"
#include "tests/fakes/leonardo_api.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::leonardo::LeonardoPlugin;
using aigate::sdk::Event;
using aigate::testing::FakeLeonardoApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "leonardo-test-secret-0123456789";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant
constexpr int kImagePrice = 10;  // what the gateway charges for an image

json step(LeonardoPlugin& plugin, json event) {
  if (!event.contains("credential")) event["credential"] = {{"api_key", kKey}};
  return plugin.step(Event(std::move(event))).toJson();
}

json start(LeonardoPlugin& plugin, const std::string& ratio = "1:1") {
  return step(plugin, {{"event", "start"},
                       {"job_id", "job_1"},
                       {"request",
                        {{"kind", "image"},
                         {"prompt", "a quiet harbour"},
                         {"aspect_ratio", ratio},
                         {"model", "phoenix-1.0"},
                         {"seed", 5}}},
                       {"state", nullptr}});
}

json respond(LeonardoPlugin& plugin, const json& action, int status, const std::string& body,
             json headers = json::object()) {
  return step(plugin, {{"event", "http_response"},
                       {"status", status},
                       {"headers", headers},
                       {"body", body},
                       {"state", action["state"]}});
}

}  // namespace

// --- replays ------------------------------------------------------------------

TEST_CASE("leonardo: every recorded exchange replays", "[leonardo][replay]") {
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(AIGATE_LEONARDO_REPLAY_DIR))
    if (entry.path().extension() == ".json") scripts.push_back(entry.path());
  std::sort(scripts.begin(), scripts.end());
  REQUIRE(scripts.size() >= 20);
  for (const auto& script : scripts) {
    const auto result = aigate::sdk::replayFile<LeonardoPlugin>(script.string());
    INFO(script.filename().string() << ": " << result.problem);
    CHECK(result.ok);
    for (const auto& action : result.actions)
      CHECK(action.value("state", json()).dump().find("leonardo-test-key") == std::string::npos);
  }
}

TEST_CASE("leonardo: polls wait poll_ms and a 429 waits as Retry-After says",
          "[leonardo][replay]") {
  const auto result = aigate::sdk::replayFile<LeonardoPlugin>(
      std::string(AIGATE_LEONARDO_REPLAY_DIR) + "/rate_limited_then_succeeds.json");
  INFO(result.problem);
  REQUIRE(result.ok);
  std::vector<int> waits;
  for (const auto& action : result.actions)
    if (action["action"] == "wait") waits.push_back(action["ms"].get<int>());
  // 7 s from the header; the default 3 s poll; 2 s for a 429 without one.
  CHECK(waits == std::vector<int>{7000, 3000, 2000});
}

// --- sizes ----------------------------------------------------------------------------

TEST_CASE("leonardo: every ratio maps to about a megapixel in multiples of 8",
          "[leonardo]") {
  const json description = LeonardoPlugin::describe();
  for (const auto& ratio : description["aspect_ratios"]) {
    const std::string ours = ratio.get<std::string>();
    const auto [w, h] = aigate::plugins::leonardo::sizeFor(ours);
    INFO(ours << " → " << w << "x" << h);
    CHECK(w % 8 == 0);
    CHECK(h % 8 == 0);
    CHECK(w <= 1536);
    CHECK(h <= 1536);
    CHECK(w * h >= 900'000);
    CHECK(w * h <= 1'100'000);
    const double a = std::stod(ours.substr(0, ours.find(':')));
    const double b = std::stod(ours.substr(ours.find(':') + 1));
    CHECK(std::abs(static_cast<double>(w) / h - a / b) < 0.02);
  }
}

// --- events the replay kit cannot script -----------------------------------------

TEST_CASE("leonardo: cancel after submission deletes the generation", "[leonardo][cancel]") {
  LeonardoPlugin plugin(json{{"base_url", "https://leo.example/api/rest/v1"}});
  const json submit = start(plugin);
  const json wait =
      respond(plugin, submit, 200, R"({"sdGenerationJob":{"generationId":"g-1"}})");
  REQUIRE(wait["action"] == "wait");
  const json poll = step(plugin, {{"event", "timer"}, {"state", wait["state"]}});
  REQUIRE(poll["action"] == "http");
  CHECK(poll["request"]["method"] == "GET");

  const json del = step(plugin, {{"event", "cancel"}, {"state", poll["state"]}});
  REQUIRE(del["action"] == "http");
  CHECK(del["request"]["method"] == "DELETE");
  CHECK(del["request"]["url"] == "https://leo.example/api/rest/v1/generations/g-1");
  CHECK(del["request"]["headers"]["authorization"] == std::string("Bearer ") + kKey);
  CHECK(del["state"].dump().find(kKey) == std::string::npos);

  CHECK(respond(plugin, del, 200, "{}")["code"] == "canceled");
  const json unreachable =
      step(plugin, {{"event", "http_error"}, {"message", "timeout"}, {"state", del["state"]}});
  CHECK(unreachable["code"] == "canceled");
  CHECK(unreachable["retryable"] == false);
}

TEST_CASE("leonardo: a timer resends with the credential of the event", "[leonardo]") {
  LeonardoPlugin plugin(json::object());
  const json submit = start(plugin);
  const json wait = respond(plugin, submit, 429, "{}");
  REQUIRE(wait["action"] == "wait");
  const json again = step(
      plugin,
      {{"event", "timer"}, {"state", wait["state"]}, {"credential", {{"api_key", "rotated-key"}}}});
  CHECK(again["request"]["method"] == "POST");
  CHECK(again["request"]["body"] == submit["request"]["body"]);
  CHECK(again["request"]["headers"]["authorization"] == "Bearer rotated-key");
}

TEST_CASE("leonardo: a generation that stays missing fails", "[leonardo]") {
  LeonardoPlugin plugin(json{{"poll_ms", 10}});
  json action = respond(plugin, start(plugin), 200, R"({"sdGenerationJob":{"generationId":"g"}})");
  for (int i = 0; i < 6; ++i) {  // five null answers are waited out, the sixth fails
    REQUIRE(action["action"] == "wait");
    action = respond(plugin, action, 200, R"({"generations_by_pk":null})");
  }
  CHECK(action["action"] == "fail");
  CHECK(action["code"] == "upstream_error");
}

TEST_CASE("leonardo: a state that is not ours is refused without a crash", "[leonardo]") {
  LeonardoPlugin plugin(json::object());
  for (const json& state : {json(nullptr), json("text"), json{{"phase", "poll"}}}) {
    const json action = step(plugin, {{"event", "timer"}, {"state", state}});
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "plugin_error");
  }
}

// --- settings and description --------------------------------------------------------

TEST_CASE("leonardo: bad settings are refused with the setting's name", "[leonardo][settings]") {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"base_url", "cloud.leonardo.ai"}}, "base_url"},
      {{{"poll_ms", 0}}, "poll_ms"},
      {{{"timeout_ms", 10}}, "timeout_ms"},
      {{{"contrast", 5}}, "contrast"},
      {{{"alchemy", "yes"}}, "alchemy"},
      {{{"model", "x"}}, "model"},
      {json::array(), "object"},
  };
  for (const auto& [settings, name] : bad) {
    INFO(settings.dump());
    try {
      LeonardoPlugin plugin(settings);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  CHECK_NOTHROW(LeonardoPlugin(json{{"base_url", "http://127.0.0.1:1/api/rest/v1/"},
                                    {"poll_ms", 5},
                                    {"timeout_ms", 500},
                                    {"contrast", 3},
                                    {"alchemy", true}}));
}

TEST_CASE("leonardo: the description lists every ratio and can cancel", "[leonardo]") {
  const json d = LeonardoPlugin::describe();
  CHECK(d["name"] == "leonardo");
  CHECK(d["kinds"] == json{"image"});
  CHECK(d["aspect_ratios"].size() == 9);
  CHECK(d["can_cancel"] == true);
  CHECK(d["default_model"] == "phoenix-1.0");
}

// --- through the gateway ------------------------------------------------------------------

namespace {

// A gateway whose only image provider is "leonardo" on `api`.
struct LeonardoFixture {
  FakeLeonardoApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  explicit LeonardoFixture(const std::string& gateway_key = kKey) {
    ::setenv("AIGATE_TEST_LEONARDO_KEY", gateway_key.c_str(), 1);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_LEONARDO_PLUGIN};
      aigate::config::ProviderConfig p;
      p.name = "leonardo";
      p.plugin = "leonardo";
      p.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 20}}.dump();
      p.api_key_env = "AIGATE_TEST_LEONARDO_KEY";
      c.providers = {p};
      c.generation.image = {"leonardo"};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser("leonardo@example.com", "scale");
  }

  aigate::credits::Balance books() {
    auto b = aigate::credits::balanceOf(gw->store().reader(), user.user_id);
    REQUIRE(b.ok());
    return b.value();
  }

  aigate::testing::HttpResponse generate(const std::string& body) {
    return gw->post("/api/v1/generate/image", body, user.api_key);
  }

  bool keyStored() {
    auto& q = gw->store().reader().statement(
        "SELECT COUNT(*) FROM jobs WHERE instr(COALESCE(state,'') || COALESCE(pending,'') ||"
        " request, ?) > 0");
    q.bind(1, kKey);
    REQUIRE(q.executeStep());
    const bool stored = q.getColumn(0).getInt() != 0;
    q.reset();
    return stored;
  }
};

}  // namespace

TEST_CASE("leonardo: an image is generated through the gateway and charged once",
          "[leonardo][gateway]") {
  LeonardoFixture f;
  const std::string jpeg = aigate::testing::samples::jpeg(96, 128);
  f.api.setImage(jpeg, "image/jpeg");
  auto r = f.generate(
      R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"2:3","seed":4242})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "leonardo");
  CHECK(r.json()["credits_charged"] == kImagePrice);
  CHECK(f.api.submits() == 1);
  CHECK(f.api.polls() == 2);  // PENDING, COMPLETE
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.unauthorized() == 0);
  CHECK(f.api.lastAuthorization() == std::string("Bearer ") + kKey);
  const json body = f.api.lastSubmitBody();
  CHECK(body["modelId"] == "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3");
  CHECK(body["width"] == 832);
  CHECK(body["height"] == 1248);
  CHECK(body["num_images"] == 1);
  CHECK(body["seed"] == 4242);
  CHECK(body["contrast"] == 3.5);
  CHECK(body["prompt"] == "a lighthouse in fog");

  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == jpeg);
  CHECK(r.json()["asset"]["width"] == 96);

  CHECK(f.books().balance == kScaleCredits - kImagePrice);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("leonardo: an NSFW image is final: 502 and nothing charged", "[leonardo][gateway]") {
  LeonardoFixture f;
  f.api.setNsfw(true);
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.api.downloads() == 0);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("leonardo: a moderated prompt is content policy", "[leonardo][gateway]") {
  LeonardoFixture f;
  f.api.setModerationRejection(true);
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
}

TEST_CASE("leonardo: a 500 is retried and then succeeds", "[leonardo][gateway]") {
  LeonardoFixture f;
  f.api.failNext(1, 500);
  auto r = f.generate(R"({"prompt":"retry me","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.submits() == 2);
  CHECK(f.books().balance == kScaleCredits - kImagePrice);
  CHECK(f.books().held == 0);
}

TEST_CASE("leonardo: garbage is retried then the job fails uncharged", "[leonardo][gateway]") {
  LeonardoFixture f;
  f.api.setGarbage(true);
  auto r = f.generate(R"({"prompt":"garbage in","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["error"] == "generation_unavailable");
  CHECK(f.api.submits() == 3);  // generation.max_attempts
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("leonardo: a key Leonardo refuses is not retried", "[leonardo][gateway]") {
  LeonardoFixture f("not-the-key");
  auto r = f.generate(R"({"prompt":"who am i","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["provider_error"] == "unauthorized");
  CHECK(f.api.unauthorized() == 1);
  CHECK(f.books().balance == kScaleCredits);
}

TEST_CASE("leonardo: cancel mid-job deletes the generation upstream and releases the hold",
          "[leonardo][gateway][cancel]") {
  LeonardoFixture f;
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
  CHECK(f.api.waitFor([&] { return f.api.deletes() == 1; }, 5'000));
  const int polls = f.api.polls();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.api.polls() == polls);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}
