// The google plugin: its recorded exchanges (plugins/google/replay), the
// events the replay kit cannot script, its settings, and whole generations
// through a real gateway against a fake of the Gemini API.
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
#include "google_plugin.hpp"
#include "tests/fakes/google_api.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::google::GooglePlugin;
using aigate::sdk::Event;
using aigate::testing::FakeGoogleApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "google-test-secret-0123456789";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant

json step(GooglePlugin& plugin, json event) {
  if (!event.contains("credential")) event["credential"] = {{"api_key", kKey}};
  return plugin.step(Event(std::move(event))).toJson();
}

json startKind(GooglePlugin& plugin, const std::string& kind) {
  return step(plugin, {{"event", "start"},
                       {"job_id", "job_1"},
                       {"request",
                        {{"kind", kind},
                         {"prompt", "a quiet harbour"},
                         {"aspect_ratio", "16:9"},
                         {"model", "gemini-2.5-flash-image"},
                         {"seed", 5}}},
                       {"state", nullptr}});
}

json respond(GooglePlugin& plugin, const json& action, int status, const std::string& body,
             json headers = json::object(), bool body_base64 = false) {
  return step(plugin, {{"event", "http_response"},
                       {"status", status},
                       {"headers", headers},
                       {"body", body},
                       {"body_base64", body_base64},
                       {"state", action["state"]}});
}

}  // namespace

// --- replays ------------------------------------------------------------------

TEST_CASE("google: every recorded exchange replays", "[google][replay]") {
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(AIGATE_GOOGLE_REPLAY_DIR))
    if (entry.path().extension() == ".json") scripts.push_back(entry.path());
  std::sort(scripts.begin(), scripts.end());
  REQUIRE(scripts.size() >= 15);
  for (const auto& script : scripts) {
    const auto result = aigate::sdk::replayFile<GooglePlugin>(script.string());
    INFO(script.filename().string() << ": " << result.problem);
    CHECK(result.ok);
    for (const auto& action : result.actions)
      CHECK(action.value("state", json()).dump().find("google-test-key") == std::string::npos);
  }
}

TEST_CASE("google: a 429 waits as Retry-After or RetryInfo says", "[google][replay]") {
  const auto result = aigate::sdk::replayFile<GooglePlugin>(
      std::string(AIGATE_GOOGLE_REPLAY_DIR) + "/rate_limited_then_succeeds.json");
  INFO(result.problem);
  REQUIRE(result.ok);
  std::vector<int> waits;
  for (const auto& action : result.actions)
    if (action["action"] == "wait") waits.push_back(action["ms"].get<int>());
  CHECK(waits == std::vector<int>{7000, 13000});
}

// --- events the replay kit cannot script -----------------------------------------

TEST_CASE("google: a binary video body is passed on as it came", "[google]") {
  GooglePlugin plugin(json{{"base_url", "https://g.example/v1beta"}, {"poll_ms", 10}});
  const json submit = startKind(plugin, "video");
  REQUIRE(submit["request"]["url"] ==
          "https://g.example/v1beta/models/veo-3.0-generate-001:predictLongRunning");
  const json wait = respond(plugin, submit, 200, R"({"name":"models/veo-3.0-generate-001/operations/o1"})");
  REQUIRE(wait["action"] == "wait");
  CHECK(wait["ms"] == 10);
  const json poll = step(plugin, {{"event", "timer"}, {"state", wait["state"]}});
  CHECK(poll["request"]["url"] == "https://g.example/v1beta/models/veo-3.0-generate-001/operations/o1");
  const json download = respond(
      plugin, poll, 200,
      R"({"name":"x","done":true,"response":{"generateVideoResponse":{"generatedSamples":[{"video":{"uri":"https://g.example/v1beta/files/o1:download?alt=media"}}]}}})");
  REQUIRE(download["action"] == "http");
  CHECK(download["request"]["headers"]["x-goog-api-key"] == kKey);
  CHECK(download["state"].dump().find(kKey) == std::string::npos);
  const json done = respond(plugin, download, 200, "AAAAIGZ0eXA=", json::object(), true);
  REQUIRE(done["action"] == "done");
  CHECK(done["outputs"][0]["data_base64"] == "AAAAIGZ0eXA=");
  CHECK(done["outputs"][0]["mime"] == "video/mp4");
}

TEST_CASE("google: the key is not sent to a video host that is not Google's", "[google]") {
  GooglePlugin plugin(json{{"base_url", "https://proxy.example/v1beta"}});
  const json submit = startKind(plugin, "video");
  const json wait = respond(plugin, submit, 200, R"({"name":"models/veo/operations/o1","done":false})");
  const json poll = step(plugin, {{"event", "timer"}, {"state", wait["state"]}});
  const json other = respond(
      plugin, poll, 200,
      R"({"done":true,"response":{"generateVideoResponse":{"generatedSamples":[{"video":{"uri":"https://elsewhere.example/v.mp4"}}]}}})");
  REQUIRE(other["action"] == "http");
  CHECK_FALSE(other["request"]["headers"].contains("x-goog-api-key"));
  const json google = respond(
      plugin, poll, 200,
      R"({"done":true,"response":{"generateVideoResponse":{"generatedSamples":[{"video":{"uri":"https://generativelanguage.googleapis.com/v1beta/files/a:download?alt=media"}}]}}})");
  CHECK(google["request"]["headers"]["x-goog-api-key"] == kKey);
}

TEST_CASE("google: cancel stops at once", "[google][cancel]") {
  GooglePlugin plugin(json::object());
  const json submit = startKind(plugin, "video");
  const json canceled = step(plugin, {{"event", "cancel"}, {"state", submit["state"]}});
  CHECK(canceled["action"] == "fail");
  CHECK(canceled["code"] == "canceled");
  CHECK(canceled["retryable"] == false);
}

TEST_CASE("google: a timer resends with the credential of the event", "[google]") {
  GooglePlugin plugin(json::object());
  const json submit = startKind(plugin, "image");
  const json wait = respond(plugin, submit, 429, "{}");
  REQUIRE(wait["action"] == "wait");
  CHECK(wait["ms"] == 2000);
  const json again = step(
      plugin,
      {{"event", "timer"}, {"state", wait["state"]}, {"credential", {{"api_key", "rotated-key"}}}});
  CHECK(again["request"]["body"] == submit["request"]["body"]);
  CHECK(again["request"]["headers"]["x-goog-api-key"] == "rotated-key");
}

TEST_CASE("google: a state that is not ours is refused without a crash", "[google]") {
  GooglePlugin plugin(json::object());
  for (const json& state : {json(nullptr), json("text"), json{{"phase", "poll"}}}) {
    const json action = step(plugin, {{"event", "timer"}, {"state", state}});
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "plugin_error");
  }
}

TEST_CASE("google: bad settings are refused with the setting's name", "[google][settings]") {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"base_url", "generativelanguage.googleapis.com"}}, "base_url"},
      {{{"poll_ms", 0}}, "poll_ms"},
      {{{"timeout_ms", "slow"}}, "timeout_ms"},
      {{{"video_duration_s", 12}}, "video_duration_s"},
      {{{"person_generation", "everyone"}}, "person_generation"},
      {{{"image_size", "8K"}}, "image_size"},
      {{{"api_version", "v1"}}, "api_version"},
      {json::array(), "object"},
  };
  for (const auto& [settings, name] : bad) {
    INFO(settings.dump());
    try {
      GooglePlugin plugin(settings);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  CHECK_NOTHROW(GooglePlugin(json{{"base_url", "http://127.0.0.1:1/v1beta/"},
                                  {"poll_ms", 5},
                                  {"video_duration_s", 6},
                                  {"person_generation", "allow_adult"},
                                  {"image_size", "2K"}}));
  const json d = GooglePlugin::describe();
  CHECK(d["name"] == "google");
  CHECK(d["kinds"] == json{"image", "video"});
  CHECK(d["can_cancel"] == false);
}

// --- through the gateway ------------------------------------------------------------------

namespace {

struct GoogleFixture {
  FakeGoogleApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  explicit GoogleFixture(const std::string& gateway_key = kKey) {
    ::setenv("AIGATE_TEST_GOOGLE_KEY", gateway_key.c_str(), 1);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_GOOGLE_PLUGIN};
      aigate::config::ProviderConfig google;
      google.name = "google";
      google.plugin = "google";
      google.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 20}}.dump();
      google.api_key_env = "AIGATE_TEST_GOOGLE_KEY";
      c.providers = {google};
      c.generation.image = {"google"};
      c.generation.video = {"google"};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser("google@example.com", "scale");
  }

  aigate::credits::Balance books() {
    auto b = aigate::credits::balanceOf(gw->store().reader(), user.user_id);
    REQUIRE(b.ok());
    return b.value();
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

TEST_CASE("google: an image is generated through the gateway and charged once",
          "[google][gateway]") {
  GoogleFixture f;
  const std::string jpeg = aigate::testing::samples::jpeg(96, 128);
  f.api.setImage(jpeg, "image/jpeg");
  auto r = f.gw->post("/api/v1/generate/image",
                      R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"2:3"})",
                      f.user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "google");
  CHECK(r.json()["credits_charged"] == 10);
  CHECK(f.api.generates() == 1);
  CHECK(f.api.refusedKeys() == 0);
  CHECK(f.api.lastApiKey() == kKey);
  const json body = f.api.lastPostBody();
  CHECK(body["generationConfig"]["imageConfig"]["aspectRatio"] == "2:3");
  CHECK(body["contents"][0]["parts"][0]["text"] == "a lighthouse in fog");
  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == jpeg);
  CHECK(r.json()["asset"]["width"] == 96);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("google: a Veo video is polled and fetched with the key", "[google][gateway]") {
  GoogleFixture f;
  auto r = f.gw->post("/api/v1/generate/video",
                      R"({"prompt":"waves on a black sand beach","force_gen":true,"aspect_ratio":"9:16"})",
                      f.user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 202);
  const json job = f.waitForJob(r.json()["job"]["id"]);
  INFO(job.dump());
  REQUIRE(job["status"] == "succeeded");
  CHECK(job["asset"]["type"] == "video");
  CHECK(f.api.submits() == 1);
  CHECK(f.api.polls() == 3);
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.refusedKeys() == 0);
  CHECK(f.api.lastPostBody()["parameters"]["aspectRatio"] == "9:16");
  CHECK(f.books().balance == kScaleCredits - 100);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("google: a blocked prompt is final: 502 and nothing charged", "[google][gateway]") {
  GoogleFixture f;
  f.api.setPromptBlocked("PROHIBITED_CONTENT");
  auto r = f.gw->post("/api/v1/generate/image", R"({"prompt":"something forbidden","force_gen":true})",
                      f.user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.generates() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("google: a 503 is retried and then succeeds", "[google][gateway]") {
  GoogleFixture f;
  f.api.failNext(1, 503,
                 R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})");
  auto r = f.gw->post("/api/v1/generate/image", R"({"prompt":"retry me","force_gen":true})",
                      f.user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.generates() == 2);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
}

TEST_CASE("google: a key Google refuses is not retried", "[google][gateway]") {
  GoogleFixture f("not-the-key");
  auto r = f.gw->post("/api/v1/generate/image", R"({"prompt":"who am i","force_gen":true})",
                      f.user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["provider_error"] == "unauthorized");
  CHECK(f.api.refusedKeys() == 1);
  CHECK(f.books().balance == kScaleCredits);
}

TEST_CASE("google: a filtered Veo video is final: 502 and nothing charged", "[google][gateway]") {
  GoogleFixture f;
  f.api.setVideoFiltered("The prompt could not be submitted because it violates our policies.");
  auto r = f.gw->post("/api/v1/generate/video",
                      R"({"prompt":"something forbidden","force_gen":true,"aspect_ratio":"16:9","wait_s":60})",
                      f.user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.api.downloads() == 0);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}
