// The runwayml plugin: its recorded exchanges (plugins/runwayml/replay), the
// mapping of our aspect ratios onto Runway's sizes, cancel, settings, and
// whole video jobs through a real gateway against a fake of Runway's API.
#include <sys/wait.h>

#include <aigate/replay.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "core/credits/ledger.h"
#include "runwayml_plugin.hpp"
#include "tests/fakes/runway_api.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::runwayml::RunwayPlugin;
using aigate::sdk::Event;
using aigate::testing::FakeRunwayApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

const std::string kReplayDir = AIGATE_RUNWAYML_REPLAY_DIR;

json readScript(const std::string& name) {
  std::ifstream in(kReplayDir + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

aigate::sdk::ReplayResult replayScript(const std::string& name) {
  return aigate::sdk::replayFile<RunwayPlugin>(kReplayDir + "/" + name);
}

json step(RunwayPlugin& plugin, json event) {
  event["credential"] = {{"api_key", "key_test_0123"}};
  if (!event.contains("state")) event["state"] = nullptr;
  return plugin.step(Event(event)).toJson();
}

json startEvent(json request) {
  return {{"event", "start"}, {"job_id", "job_1"}, {"request", std::move(request)}};
}

// The ratio the plugin sends for `aspect` with `model` (and an image or not).
std::string ratioFor(const std::string& model, const std::string& aspect, bool image = false) {
  RunwayPlugin plugin(json::object());
  json request = {{"kind", "video"}, {"prompt", "p"}, {"aspect_ratio", aspect}, {"model", model}};
  if (image) request["image_url"] = "https://images.example/a.png";
  const json action = step(plugin, startEvent(request));
  if (action["action"] != "http") return "fail: " + action.value("message", std::string());
  return json::parse(action["request"]["body"].get<std::string>())["ratio"];
}

}  // namespace

TEST_CASE("runwayml: every replay script plays through", "[runwayml][replay]") {
  int scripts = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kReplayDir)) {
    if (entry.path().extension() != ".json") continue;
    ++scripts;
    const auto result = aigate::sdk::replayFile<RunwayPlugin>(entry.path().string());
    INFO(entry.path().filename().string() << ": " << result.problem);
    CHECK(result.ok);
  }
  CHECK(scripts >= 15);
}

TEST_CASE("runwayml: a 429 is waited out for Retry-After then resent", "[runwayml][replay]") {
  const auto r = replayScript("rate_limited_then_succeeds.json");
  REQUIRE(r.ok);
  REQUIRE(r.actions.size() == 8);
  CHECK(r.actions[1]["action"] == "wait");
  CHECK(r.actions[1]["ms"] == 3000);  // Retry-After: 3
  CHECK(r.actions[2]["request"]["body"] == r.actions[0]["request"]["body"]);
  CHECK(r.actions[5]["ms"] == RunwayPlugin::kDefaultRetryAfterMs);  // no Retry-After
  CHECK(r.actions[6]["request"]["method"] == "GET");
}

TEST_CASE("runwayml: RUNNING progress reaches the wait action", "[runwayml][replay]") {
  const auto r = replayScript("text_to_video_succeeds_after_polling.json");
  REQUIRE(r.ok);
  bool seen = false;
  for (const auto& action : r.actions)
    if (action["action"] == "wait" && action.contains("progress"))
      seen = seen || action["progress"] == 0.4;
  CHECK(seen);
  CHECK(r.actions[1]["ms"] == 5000);  // settings.poll_ms
}

TEST_CASE("runwayml: the API key never enters the state", "[runwayml][replay]") {
  const auto script = readScript("rate_limited_then_succeeds.json");
  const std::string key = script["start"]["credential"]["api_key"];
  const auto r = replayScript("rate_limited_then_succeeds.json");
  REQUIRE(r.ok);
  for (const auto& action : r.actions)
    CHECK(action.value("state", json()).dump().find(key) == std::string::npos);
}

TEST_CASE("runwayml: our aspect ratios map to the nearest size the model takes", "[runwayml]") {
  // gen4.5 text-to-video has landscape and portrait only; 1:1 goes landscape.
  for (const char* aspect : {"16:9", "21:9", "4:3", "3:2", "1:1"})
    CHECK(ratioFor("gen4.5", aspect) == "1280:720");
  for (const char* aspect : {"9:16", "4:5", "3:4", "2:3"})
    CHECK(ratioFor("gen4.5", aspect) == "720:1280");
  // From an image, Gen-4 has six sizes.
  CHECK(ratioFor("gen4_turbo", "16:9", true) == "1280:720");
  CHECK(ratioFor("gen4_turbo", "9:16", true) == "720:1280");
  CHECK(ratioFor("gen4_turbo", "1:1", true) == "960:960");
  CHECK(ratioFor("gen4_turbo", "4:3", true) == "1104:832");
  CHECK(ratioFor("gen4_turbo", "3:2", true) == "1104:832");
  CHECK(ratioFor("gen4_turbo", "3:4", true) == "832:1104");
  CHECK(ratioFor("gen4_turbo", "4:5", true) == "832:1104");
  CHECK(ratioFor("gen4_turbo", "2:3", true) == "832:1104");
  CHECK(ratioFor("gen4_turbo", "21:9", true) == "1584:672");
  CHECK(ratioFor("gen4.5", "1:1", true) == "960:960");
  // Veo 3.1 stays at 720p.
  CHECK(ratioFor("veo3.1", "16:9") == "1280:720");
  CHECK(ratioFor("veo3.1", "2:3") == "720:1280");
  CHECK(ratioFor("veo3.1_fast", "1:1") == "1280:720");
}

TEST_CASE("runwayml: requests the model cannot take are refused before any call", "[runwayml]") {
  RunwayPlugin plugin(json::object());
  const json base = {{"kind", "video"}, {"prompt", "p"}, {"aspect_ratio", "16:9"}};
  auto refused = [&](json request) {
    const json action = step(plugin, startEvent(std::move(request)));
    INFO(action.dump());
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "invalid_request");
    CHECK(action["retryable"] == false);
    return action.value("message", std::string());
  };
  json text_only = base;
  text_only["model"] = "gen4_turbo";
  CHECK(refused(text_only).find("has no text-to-video") != std::string::npos);
  json image = base;
  image["kind"] = "image";
  refused(image);
  json long_prompt = base;
  long_prompt["prompt"] = std::string(1001, 'a');
  CHECK(refused(long_prompt).find("1001") != std::string::npos);
  json not_text = base;
  not_text["prompt"] = 42;
  refused(not_text);
  json bad_ratio = base;
  bad_ratio["aspect_ratio"] = "wide";
  refused(bad_ratio);
  // 1000 four-byte characters are 2000 UTF-16 units.
  json wide = base;
  std::string emoji;
  for (int i = 0; i < 600; ++i) emoji += "\xF0\x9F\x8C\x8A";
  wide["prompt"] = emoji;
  refused(wide);
}

TEST_CASE("runwayml: the seed is folded into Runway's 32 bits and the default model used",
          "[runwayml]") {
  RunwayPlugin plugin(json::object());
  const json action = step(plugin, startEvent({{"kind", "video"},
                                               {"prompt", "p"},
                                               {"aspect_ratio", "16:9"},
                                               {"seed", (int64_t{1} << 40) + 5}}));
  REQUIRE(action["action"] == "http");
  const json body = json::parse(action["request"]["body"].get<std::string>());
  CHECK(body["seed"] == 5);
  CHECK(body["model"] == "gen4.5");
  CHECK(body["duration"] == 5);
  CHECK(action["request"]["url"] == "https://api.dev.runwayml.com/v1/text_to_video");
  CHECK(action["request"]["headers"]["x-runway-version"] == "2024-11-06");
}

TEST_CASE("runwayml: cancel deletes the Runway task", "[runwayml]") {
  RunwayPlugin plugin(json{{"base_url", "https://runway.proxy.example/"}});
  const json submit = step(plugin, startEvent({{"kind", "video"}, {"prompt", "p"}}));
  REQUIRE(submit["action"] == "http");
  CHECK(submit["request"]["url"] == "https://runway.proxy.example/v1/text_to_video");

  SECTION("before Runway answered the submission: at once") {
    const json action = step(plugin, {{"event", "cancel"}, {"state", submit["state"]}});
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "canceled");
    CHECK(action["retryable"] == false);
  }
  SECTION("once there is a task: DELETE, then canceled") {
    const json waiting = step(plugin, {{"event", "http_response"},
                                       {"status", 200},
                                       {"headers", json::object()},
                                       {"body", R"({"id":"task_x","estimatedCost":{"credits":5}})"},
                                       {"state", submit["state"]}});
    REQUIRE(waiting["action"] == "wait");
    const json del = step(plugin, {{"event", "cancel"}, {"state", waiting["state"]}});
    REQUIRE(del["action"] == "http");
    CHECK(del["request"]["method"] == "DELETE");
    CHECK(del["request"]["url"] == "https://runway.proxy.example/v1/tasks/task_x");
    const json done = step(plugin, {{"event", "http_response"},
                                    {"status", 204},
                                    {"headers", json::object()},
                                    {"body", ""},
                                    {"state", del["state"]}});
    CHECK(done["action"] == "fail");
    CHECK(done["code"] == "canceled");
    CHECK(done["retryable"] == false);
  }
}

TEST_CASE("runwayml: a missing key fails without a request", "[runwayml]") {
  RunwayPlugin plugin(json::object());
  json event = startEvent({{"kind", "video"}, {"prompt", "p"}});
  event["credential"] = nullptr;
  event["state"] = nullptr;
  const json action = plugin.step(Event(event)).toJson();
  CHECK(action["action"] == "fail");
  CHECK(action["code"] == "missing_credential");
}

TEST_CASE("runwayml: bad settings are refused with the setting's name", "[runwayml]") {
  auto refusal = [](const json& settings) {
    try {
      RunwayPlugin plugin(settings);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(refusal({{"base_url", "ftp://x"}}).find("base_url") != std::string::npos);
  CHECK(refusal({{"poll_ms", 0}}).find("poll_ms") != std::string::npos);
  CHECK(refusal({{"timeout_ms", "5"}}).find("timeout_ms") != std::string::npos);
  CHECK(refusal({{"api_version", "latest"}}).find("api_version") != std::string::npos);
  CHECK(refusal({{"duration_s", 0}}).find("duration_s") != std::string::npos);
  CHECK(refusal({{"pol_ms", 10}}).find("unknown setting \"pol_ms\"") != std::string::npos);
  CHECK(refusal(json::array()).find("JSON object") != std::string::npos);
  CHECK(refusal({{"base_url", "http://127.0.0.1:1"}, {"poll_ms", 20}}).empty());
}

TEST_CASE("runwayml: describe offers video models and cancel", "[runwayml]") {
  const json d = RunwayPlugin::describe();
  CHECK(d["name"] == "runwayml");
  CHECK(d["kinds"] == json::array({"video"}));
  CHECK(d["default_model"] == "gen4.5");
  CHECK(d["can_cancel"] == true);
  CHECK(d["local"] == false);
  CHECK(d["aspect_ratios"].size() == 9);
}

// --- through a real gateway ------------------------------------------------

namespace {

constexpr const char* kKey = "key_0123456789abcdef0123456789abcdef";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant

// A gateway whose only video provider is "runwayml" on a fake Runway.
struct RunwayFixture {
  FakeRunwayApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  explicit RunwayFixture(const std::function<void(aigate::config::Config&)>& tweak = {}) {
    ::setenv("AIGATE_TEST_RUNWAY_KEY", kKey, 1);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_RUNWAYML_PLUGIN};
      aigate::config::ProviderConfig runway;
      runway.name = "runwayml";
      runway.plugin = "runwayml";
      runway.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 20}}.dump();
      runway.api_key_env = "AIGATE_TEST_RUNWAY_KEY";
      c.providers = {runway};
      c.generation.video = {"runwayml"};
      c.generation.retry_base_ms = 20;
      if (tweak) tweak(c);
    });
    user = gw->createUser("runway@example.com", "scale");
  }

  aigate::credits::Balance books() {
    auto b = aigate::credits::balanceOf(gw->store().reader(), user.user_id);
    REQUIRE(b.ok());
    return b.value();
  }

  aigate::testing::HttpResponse generate(const std::string& body) {
    return gw->post("/api/v1/generate/video", body, user.api_key);
  }
};

}  // namespace

TEST_CASE("runwayml: a video through the gateway is stored served and charged once",
          "[runwayml][gateway]") {
  RunwayFixture f;
  const std::string mp4 = aigate::testing::samples::mp4();
  f.api.setVideo(mp4);
  auto r = f.generate(
      R"({"prompt":"waves on a black sand beach","force_gen":true,"aspect_ratio":"9:16","wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "runwayml");
  CHECK(r.json()["asset"]["type"] == "video");
  const int64_t price = r.json()["credits_charged"];
  CHECK(price > 0);
  CHECK(f.api.submits() == 1);
  CHECK(f.api.polls() == 3);  // PENDING, RUNNING, SUCCEEDED
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.unauthorized() == 0);
  CHECK(f.api.lastAuthorization() == std::string("Bearer ") + kKey);
  CHECK(f.api.lastVersion() == "2024-11-06");
  const json sent = f.api.lastSubmitBody();
  CHECK(sent["model"] == "gen4.5");
  CHECK(sent["ratio"] == "720:1280");
  CHECK(sent["promptText"] == "waves on a black sand beach");

  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == mp4);

  CHECK(f.books().balance == kScaleCredits - price);
  CHECK(f.books().held == 0);
  auto& q = f.gw->store().reader().statement(
      "SELECT COUNT(*) FROM jobs WHERE instr(COALESCE(state,'') || COALESCE(pending,'') ||"
      " request, ?) > 0");
  q.bind(1, kKey);
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getInt() == 0);
}

TEST_CASE("runwayml: a content policy refusal is a 502 and nothing is charged",
          "[runwayml][gateway]") {
  RunwayFixture f;
  f.api.setFailure("SAFETY.INPUT.TEXT", "The prompt was flagged by content moderation.");
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true,"wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("runwayml: a 500 is retried and then succeeds", "[runwayml][gateway]") {
  RunwayFixture f;
  f.api.failNext(1, 500);
  auto r = f.generate(R"({"prompt":"retry me","force_gen":true,"wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.submits() == 2);
  CHECK(f.books().balance == kScaleCredits - r.json()["credits_charged"].get<int64_t>());
  CHECK(f.books().held == 0);
}

TEST_CASE("runwayml: a 429 with Retry-After is waited out", "[runwayml][gateway]") {
  RunwayFixture f;
  f.api.failNext(1, 429, R"({"error":"Too many requests."})", {{"Retry-After", "1"}});
  const auto started = std::chrono::steady_clock::now();
  auto r = f.generate(R"({"prompt":"patience","force_gen":true,"wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(1000));
  CHECK(f.api.submits() == 2);
}

TEST_CASE("runwayml: an internal task failure submits a new task each attempt",
          "[runwayml][gateway]") {
  RunwayFixture f;
  f.api.setFailure("INTERNAL.BAD_OUTPUT.CODE01");
  auto r = f.generate(R"({"prompt":"unlucky","force_gen":true,"wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["error"] == "generation_unavailable");
  CHECK(f.api.submits() == 3);  // generation.max_attempts
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("runwayml: a validation refusal is final", "[runwayml][gateway]") {
  RunwayFixture f;
  auto r = f.generate(R"({"prompt":"a cat","force_gen":true,"wait_s":60,"model":"gen4_turbo"})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["provider_error"] == "invalid_request");
  CHECK(f.api.submits() == 0);

  f.api.failNext(1, 400, R"({"error":"Invalid asset URL.","issues":[]})");
  r = f.generate(R"({"prompt":"a dog","force_gen":true,"wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["provider_error"] == "invalid_request");
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
}

TEST_CASE("runwayml: cancel through the gateway deletes the Runway task", "[runwayml][gateway]") {
  RunwayFixture f;
  f.api.setPollsBeforeDone(100000);
  auto r = f.generate(R"({"prompt":"a slow one","force_gen":true,"async":true})");
  REQUIRE(r.status == 202);
  const std::string id = r.json()["job"]["id"];
  REQUIRE(f.api.waitFor([&] { return f.api.polls() >= 2; }, 10'000));
  auto canceled = f.gw->del("/api/v1/jobs/" + id, f.user.api_key);
  INFO(canceled.body);
  REQUIRE(canceled.status == 200);
  CHECK(canceled.json()["job"]["status"] == "canceled");
  CHECK(f.api.waitFor([&] { return f.api.cancels() == 1; }, 5'000));
  const int polls = f.api.polls();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.api.polls() == polls);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("runwayml: a throttled task is waited for", "[runwayml][gateway]") {
  RunwayFixture f;
  f.api.setThrottledPolls(2);
  auto r = f.generate(R"({"prompt":"in the queue","force_gen":true,"wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.submits() == 1);
  CHECK(f.api.polls() == 5);  // THROTTLED, THROTTLED, PENDING, RUNNING, SUCCEEDED
}

TEST_CASE("runwayml: a task throttled too long is cancelled and submitted again",
          "[runwayml][gateway]") {
  RunwayFixture f([&](aigate::config::Config& c) {
    json settings = json::parse(c.providers[0].settings_json);
    settings["throttle_timeout_ms"] = 40;
    c.providers[0].settings_json = settings.dump();
  });
  f.api.setThrottledPolls(1'000'000);
  auto r = f.generate(R"({"prompt":"never scheduled","force_gen":true,"wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["error"] == "generation_unavailable");
  CHECK(f.api.submits() == 3);  // generation.max_attempts
  CHECK(f.api.cancels() == 3);  // each throttled task given up upstream
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

// --- conformance with the official SDK ---------------------------------------------------

namespace {

// Runs `node tests/conformance/<script> <args>`: its exit status (-1 if it did
// not exit) and everything it printed.
std::pair<int, std::string> runConformance(const std::string& script, const std::string& args) {
  const std::string command =
      std::string("node ") + AIGATE_SOURCE_DIR + "/tests/conformance/" + script + " " + args + " 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace

TEST_CASE("runwayml: the official @runwayml/sdk client accepts the fake's answers",
          "[runwayml][conformance]") {
  // Needs node and @runwayml/sdk (npm install --prefix tests/conformance, or
  // $AIGATE_CONFORMANCE_DIR/node_modules): skipped with a warning otherwise.
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    WARN("skipped: node is not installed");
    return;
  }
  FakeRunwayApi api(kKey);
  api.setThrottledPolls(1);
  const auto [code, output] = runConformance("runwayml.mjs", api.baseUrl() + " " + kKey);
  if (code == 77) {
    WARN(output);
    return;
  }
  INFO(output);
  CHECK(code == 0);
  CHECK(api.lastVersion() == "2024-11-06");  // the SDK's default X-Runway-Version
  CHECK(api.submits() == 4);                 // gen4.5, the 400, the 401, veo3.1
  CHECK(api.unauthorized() == 1);
  CHECK(api.polls() == 10);  // 4 to SUCCEEDED, the waiter's 2, THROTTLED, CANCELLED, the waiter's 2
  CHECK(api.cancels() == 2);  // the running task and the unknown one
  CHECK(api.downloads() == 1);
}
