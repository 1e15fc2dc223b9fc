// The fal and pika plugins (both speak fal's queue API, plugins/fal/
// fal_queue.hpp): their recorded exchanges (plugins/{fal,pika}/replay), the
// events the replay kit cannot script, their settings, and whole generations
// through a real gateway against one fake of fal's queue API.
#include <aigate/replay.hpp>
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/credits/ledger.h"
#include "fal_plugin.hpp"
#include "pika_plugin.hpp"
#include "tests/fakes/fal_api.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::fal::FalPlugin;
using aigate::plugins::pika::PikaPlugin;
using aigate::sdk::Event;
using aigate::testing::FakeFalApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "fal-key-0123456789abcdef:fedcba9876543210";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant

template <typename Plugin>
json step(Plugin& plugin, json event) {
  if (!event.contains("credential")) event["credential"] = {{"api_key", kKey}};
  return plugin.step(Event(std::move(event))).toJson();
}

template <typename Plugin>
json start(Plugin& plugin, const std::string& kind, const std::string& ratio,
           const std::string& model) {
  return step(plugin, {{"event", "start"},
                       {"job_id", "job_1"},
                       {"request",
                        {{"kind", kind},
                         {"prompt", "a quiet harbour"},
                         {"aspect_ratio", ratio},
                         {"model", model},
                         {"seed", 3}}},
                       {"state", nullptr}});
}

template <typename Plugin>
json respond(Plugin& plugin, const json& action, int status, const std::string& body,
             json headers = json::object()) {
  return step(plugin, {{"event", "http_response"},
                       {"status", status},
                       {"headers", headers},
                       {"body", body},
                       {"state", action["state"]}});
}

template <typename Plugin>
void replayAll(const std::string& dir, size_t at_least, const std::string& key) {
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".json") scripts.push_back(entry.path());
  std::sort(scripts.begin(), scripts.end());
  REQUIRE(scripts.size() >= at_least);
  for (const auto& script : scripts) {
    const auto result = aigate::sdk::replayFile<Plugin>(script.string());
    INFO(script.filename().string() << ": " << result.problem);
    CHECK(result.ok);
    for (const auto& action : result.actions)
      CHECK(action.value("state", json()).dump().find(key) == std::string::npos);
  }
}

}  // namespace

// --- replays ------------------------------------------------------------------

TEST_CASE("fal: every recorded exchange replays", "[fal][replay]") {
  replayAll<FalPlugin>(AIGATE_FAL_REPLAY_DIR, 15, "fal-test-key");
}

TEST_CASE("pika: every recorded exchange replays", "[pika][replay]") {
  replayAll<PikaPlugin>(AIGATE_PIKA_REPLAY_DIR, 12, "pika-test-key");
}

TEST_CASE("fal: a 429 waits as long as Retry-After says and polls as asked", "[fal][replay]") {
  const auto result = aigate::sdk::replayFile<FalPlugin>(std::string(AIGATE_FAL_REPLAY_DIR) +
                                                         "/rate_limited_then_succeeds.json");
  INFO(result.problem);
  REQUIRE(result.ok);
  std::vector<int> waits;
  for (const auto& action : result.actions)
    if (action["action"] == "wait") waits.push_back(action["ms"].get<int>());
  // 7 s from the header; the default 1 s poll; 2 s for a 429 without one.
  CHECK(waits == std::vector<int>{7000, 1000, 2000});
}

// --- the protocol ------------------------------------------------------------------

TEST_CASE("fal: status and result use the app id and Retry-After is capped", "[fal]") {
  CHECK(aigate::plugins::fal::appIdOf("fal-ai/flux/dev") == "fal-ai/flux");
  CHECK(aigate::plugins::fal::appIdOf("fal-ai/flux") == "fal-ai/flux");
  CHECK(aigate::plugins::fal::appIdOf("workflows/me/flow/run") == "workflows/me/flow");
  CHECK(aigate::plugins::fal::appIdOf("flux").empty());
  CHECK(aigate::plugins::fal::appIdOf("fal-ai//dev").empty());
  CHECK(aigate::plugins::fal::appIdOf("fal-ai/../x").empty());
  CHECK(aigate::plugins::fal::appIdOf("fal-ai/flux?x=1").empty());

  FalPlugin plugin(json::object());
  const json submit = start(plugin, "image", "1:1", "fal-ai/flux/dev");
  CHECK(respond(plugin, submit, 429, "{}", {{"retry-after", "3600"}})["ms"] == 60000);
  CHECK(respond(plugin, submit, 429, "{}",
                {{"retry-after", "2"}, {"retry-after-ms", "250"}})["ms"] == 250);
  CHECK(respond(plugin, submit, 429, "{}",
                {{"retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"}})["ms"] == 2000);
}

TEST_CASE("fal: a timer resends with the credential of the event and progress follows", "[fal]") {
  FalPlugin plugin(json{{"poll_ms", 10}});
  const json submit = start(plugin, "image", "3:2", "fal-ai/flux/dev");
  CHECK(json::parse(submit["request"]["body"].get<std::string>())["image_size"] == "landscape_4_3");
  const json wait = respond(plugin, submit, 429, "{}");
  const json again = step(
      plugin,
      {{"event", "timer"}, {"state", wait["state"]}, {"credential", {{"api_key", "rotated-key"}}}});
  CHECK(again["request"]["body"] == submit["request"]["body"]);
  CHECK(again["request"]["headers"]["authorization"] == "Key rotated-key");

  const json queued = respond(plugin, again, 200, R"({"request_id":"r"})");
  CHECK(queued["ms"] == 10);
  CHECK(queued["progress"] == 0.1);
  const json poll = step(plugin, {{"event", "timer"}, {"state", queued["state"]}});
  const json running = respond(plugin, poll, 202, R"({"status":"IN_PROGRESS"})");
  CHECK(running["progress"] == 0.5);
}

TEST_CASE("fal: cancel before and after fal accepted the request", "[fal][cancel]") {
  FalPlugin plugin(json{{"base_url", "https://proxy.example/fal"}});
  const json submit = start(plugin, "video", "16:9", "fal-ai/veo3");
  CHECK(submit["request"]["url"] == "https://proxy.example/fal/fal-ai/veo3");
  const json early = step(plugin, {{"event", "cancel"}, {"state", submit["state"]}});
  CHECK(early["code"] == "canceled");
  CHECK(early["retryable"] == false);

  const json wait = respond(plugin, submit, 200, R"({"request_id":"v-1"})");
  const json put = step(plugin, {{"event", "cancel"}, {"state", wait["state"]}});
  REQUIRE(put["action"] == "http");
  CHECK(put["request"]["method"] == "PUT");
  CHECK(put["request"]["url"] == "https://proxy.example/fal/fal-ai/veo3/requests/v-1/cancel");
  CHECK(put["state"].dump().find(kKey) == std::string::npos);
  CHECK(respond(plugin, put, 400, R"({"status":"ALREADY_COMPLETED"})")["code"] == "canceled");
  const json unreachable =
      step(plugin, {{"event", "http_error"}, {"message", "timeout"}, {"state", put["state"]}});
  CHECK(unreachable["code"] == "canceled");
}

TEST_CASE("fal: a state that is not ours is refused without a crash", "[fal]") {
  FalPlugin fal(json::object());
  PikaPlugin pika(json::object());
  for (const json& state : {json(nullptr), json("text"), json{{"phase", "status"}},
                            json{{"phase", "status"}, {"app", "fal-ai/flux"}}}) {
    INFO(state.dump());
    CHECK(step(fal, {{"event", "timer"}, {"state", state}})["code"] == "plugin_error");
    CHECK(step(pika, {{"event", "timer"}, {"state", state}})["code"] == "plugin_error");
  }
}

// --- settings and description --------------------------------------------------------

TEST_CASE("fal: bad settings are refused with the setting's name", "[fal][settings]") {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"base_url", "queue.fal.run"}}, "base_url"},
      {{{"poll_ms", 0}}, "poll_ms"},
      {{{"timeout_ms", "long"}}, "timeout_ms"},
      {{{"image_model", "flux"}}, "image_model"},
      {{{"video_model", 3}}, "video_model"},
      {{{"api_version", "v2"}}, "api_version"},
      {json::array(), "object"},
  };
  for (const auto& [settings, name] : bad) {
    INFO(settings.dump());
    try {
      FalPlugin plugin(settings);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  CHECK_NOTHROW(FalPlugin(json{{"base_url", "http://127.0.0.1:1/"},
                               {"poll_ms", 5},
                               {"timeout_ms", 500},
                               {"image_model", "fal-ai/recraft/v3/text-to-image"},
                               {"video_model", "fal-ai/pika/v2.2/text-to-video"}}));
}

TEST_CASE("pika: bad settings are refused with the setting's name", "[pika][settings]") {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"base_url", 1}}, "base_url"},
      {{{"duration_s", 7}}, "duration_s"},
      {{{"resolution", "4k"}}, "resolution"},
      {{{"image_model", "fal-ai/flux/dev"}}, "image_model"},
  };
  for (const auto& [settings, name] : bad) {
    INFO(settings.dump());
    try {
      PikaPlugin plugin(settings);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
}

TEST_CASE("fal: descriptions name both plugins' kinds and cancel", "[fal][pika]") {
  const json fal = FalPlugin::describe();
  CHECK(fal["name"] == "fal");
  CHECK(fal["kinds"] == json{"image", "video"});
  CHECK(fal["aspect_ratios"].size() == 9);
  CHECK(fal["can_cancel"] == true);
  const json pika = PikaPlugin::describe();
  CHECK(pika["name"] == "pika");
  CHECK(pika["kinds"] == json{"video"});
  CHECK(pika["default_model"] == "fal-ai/pika/v2.2/text-to-video");
  CHECK(pika["can_cancel"] == true);
  CHECK(pika["local"] == false);
}

// --- through the gateway ------------------------------------------------------------------

namespace {

// A gateway whose only provider is `plugin` ("fal" or "pika") on one fake fal.
struct FalFixture {
  FakeFalApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  explicit FalFixture(const std::string& plugin) {
    ::setenv("AIGATE_TEST_FAL_KEY", kKey, 1);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {plugin == "fal" ? AIGATE_FAL_PLUGIN : AIGATE_PIKA_PLUGIN};
      aigate::config::ProviderConfig provider;
      provider.name = plugin;
      provider.plugin = plugin;
      provider.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 20}}.dump();
      provider.api_key_env = "AIGATE_TEST_FAL_KEY";
      c.providers = {provider};
      if (plugin == "fal") c.generation.image = {plugin};
      c.generation.video = {plugin};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser(plugin + "@example.com", "scale");
  }

  aigate::credits::Balance books() {
    auto b = aigate::credits::balanceOf(gw->store().reader(), user.user_id);
    REQUIRE(b.ok());
    return b.value();
  }

  aigate::testing::HttpResponse generate(const std::string& kind, const std::string& body) {
    return gw->post("/api/v1/generate/" + kind, body, user.api_key);
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

  // Cancels a job once the fake saw two status polls; checks the upstream
  // cancel and that nothing was charged.
  void cancelMidJob(const std::string& kind) {
    api.setPollsBeforeDone(100000);
    auto r = generate(kind, R"({"prompt":"a slow one","force_gen":true,"async":true})");
    INFO(r.body);
    REQUIRE(r.status == 202);
    const std::string id = r.json()["job"]["id"];
    REQUIRE(api.waitFor([&] { return api.statusPolls() >= 2; }, 10'000));
    auto canceled = gw->del("/api/v1/jobs/" + id, user.api_key);
    INFO(canceled.body);
    REQUIRE(canceled.status == 200);
    CHECK(canceled.json()["job"]["status"] == "canceled");
    CHECK(api.waitFor([&] { return api.cancels() == 1; }, 5'000));
    const int polls = api.statusPolls();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(api.statusPolls() == polls);
    CHECK(books().balance == kScaleCredits);
    CHECK(books().held == 0);
  }
};

}  // namespace

TEST_CASE("fal: an image through the gateway is served and charged once", "[fal][gateway]") {
  FalFixture f("fal");
  const std::string png = aigate::testing::samples::png(64, 64);
  f.api.setImage(png);
  auto r = f.generate("image",
                      R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"9:16"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "fal");
  CHECK(r.json()["credits_charged"] == 10);
  CHECK(f.api.submits() == 1);
  CHECK(f.api.statusPolls() == 3);  // IN_QUEUE, IN_PROGRESS, COMPLETED
  CHECK(f.api.results() == 1);
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.unauthorized() == 0);
  CHECK(f.api.lastAuthorization() == std::string("Key ") + kKey);
  CHECK(f.api.lastSubmitPath() == "/fal-ai/flux/dev");
  const json body = f.api.lastSubmitBody();
  CHECK(body["image_size"] == "portrait_16_9");
  CHECK(body["prompt"] == "a lighthouse in fog");
  CHECK(body["seed"].is_number_integer());

  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == png);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("fal: a content policy refusal is final: 502 and nothing charged", "[fal][gateway]") {
  FalFixture f("fal");
  f.api.setContentPolicy(true);
  auto r = f.generate("image", R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("fal: a 500 is retried and then succeeds", "[fal][gateway]") {
  FalFixture f("fal");
  f.api.failNext(1, 500, R"({"detail":"Internal Server Error"})");
  auto r = f.generate("image", R"({"prompt":"retry me","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.submits() == 2);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
}

TEST_CASE("fal: cancel mid-job cancels the fal request and releases the hold",
          "[fal][gateway][cancel]") {
  FalFixture f("fal");
  f.cancelMidJob("image");
}

TEST_CASE("pika: a video through the gateway is served and charged once", "[pika][gateway]") {
  FalFixture f("pika");
  const std::string mp4 = aigate::testing::samples::mp4();
  f.api.setVideo(mp4);
  auto r = f.generate(
      "video",
      R"({"prompt":"a paper boat on a stream","force_gen":true,"aspect_ratio":"9:16","wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "pika");
  CHECK(r.json()["asset"]["type"] == "video");
  const int64_t price = r.json()["credits_charged"];
  CHECK(price > 0);
  CHECK(f.api.lastSubmitPath() == "/fal-ai/pika/v2.2/text-to-video");
  const json body = f.api.lastSubmitBody();
  CHECK(body["aspect_ratio"] == "9:16");
  CHECK(body["duration"] == 5);
  CHECK(body["resolution"] == "720p");
  CHECK(f.api.lastAuthorization() == std::string("Key ") + kKey);
  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == mp4);
  CHECK(f.books().balance == kScaleCredits - price);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("pika: cancel mid-job cancels the fal request and releases the hold",
          "[pika][gateway][cancel]") {
  FalFixture f("pika");
  f.cancelMidJob("video");
}
