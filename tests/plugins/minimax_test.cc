// The minimax plugin: its recorded exchanges (plugins/minimax/replay), the
// events the replay kit cannot script, its settings, and whole video jobs
// through a real gateway against a fake of MiniMax's API.
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
#include "minimax_plugin.hpp"
#include "tests/fakes/minimax_api.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::minimax::MinimaxPlugin;
using aigate::sdk::Event;
using aigate::testing::FakeMinimaxApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "minimax-test-secret-0123456789";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant

json step(MinimaxPlugin& plugin, json event) {
  if (!event.contains("credential")) event["credential"] = {{"api_key", kKey}};
  return plugin.step(Event(std::move(event))).toJson();
}

json startVideo(MinimaxPlugin& plugin) {
  return step(plugin, {{"event", "start"},
                       {"job_id", "job_1"},
                       {"request",
                        {{"kind", "video"},
                         {"prompt", "a quiet harbour"},
                         {"aspect_ratio", "16:9"},
                         {"model", "MiniMax-Hailuo-2.3"},
                         {"seed", 5}}},
                       {"state", nullptr}});
}

json respond(MinimaxPlugin& plugin, const json& action, int status, const std::string& body,
             json headers = json::object()) {
  return step(plugin, {{"event", "http_response"},
                       {"status", status},
                       {"headers", headers},
                       {"body", body},
                       {"state", action["state"]}});
}

}  // namespace

// --- replays ------------------------------------------------------------------

TEST_CASE("minimax: every recorded exchange replays", "[minimax][replay]") {
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(AIGATE_MINIMAX_REPLAY_DIR))
    if (entry.path().extension() == ".json") scripts.push_back(entry.path());
  std::sort(scripts.begin(), scripts.end());
  REQUIRE(scripts.size() >= 15);
  for (const auto& script : scripts) {
    const auto result = aigate::sdk::replayFile<MinimaxPlugin>(script.string());
    INFO(script.filename().string() << ": " << result.problem);
    CHECK(result.ok);
    for (const auto& action : result.actions)
      CHECK(action.value("state", json()).dump().find("minimax-test-key") == std::string::npos);
  }
}

TEST_CASE("minimax: a rate limit waits as long as Retry-After says", "[minimax][replay]") {
  const auto result = aigate::sdk::replayFile<MinimaxPlugin>(
      std::string(AIGATE_MINIMAX_REPLAY_DIR) + "/rate_limited_then_succeeds.json");
  INFO(result.problem);
  REQUIRE(result.ok);
  std::vector<int> waits;
  for (const auto& action : result.actions)
    if (action["action"] == "wait") waits.push_back(action["ms"].get<int>());
  // 2 s for status 1002 (no header); 7 s from the header; the default 10 s poll.
  CHECK(waits == std::vector<int>{2000, 7000, 10000});
}

// --- events the replay kit cannot script -----------------------------------------

TEST_CASE("minimax: cancel stops at once and sends nothing", "[minimax][cancel]") {
  MinimaxPlugin plugin(json::object());
  const json submit = startVideo(plugin);
  REQUIRE(submit["action"] == "http");
  const json wait = respond(plugin, submit, 200, R"({"task_id":"1","base_resp":{"status_code":0}})");
  REQUIRE(wait["action"] == "wait");
  const json canceled = step(plugin, {{"event", "cancel"}, {"state", wait["state"]}});
  CHECK(canceled["action"] == "fail");
  CHECK(canceled["code"] == "canceled");
  CHECK(canceled["retryable"] == false);
}

TEST_CASE("minimax: numeric ids are read and progress follows the status", "[minimax]") {
  MinimaxPlugin plugin(json{{"base_url", "https://mm.example/"}, {"poll_ms", 10}});
  const json submit = startVideo(plugin);
  CHECK(submit["request"]["url"] == "https://mm.example/v1/video_generation");
  CHECK(submit["request"]["headers"]["authorization"] == std::string("Bearer ") + kKey);
  const json wait = respond(plugin, submit, 200, R"({"task_id":123,"base_resp":{"status_code":0}})");
  CHECK(wait["ms"] == 10);
  const json poll = step(plugin, {{"event", "timer"}, {"state", wait["state"]}});
  CHECK(poll["request"]["url"] == "https://mm.example/v1/query/video_generation?task_id=123");
  const json processing = respond(plugin, poll, 200, R"({"task_id":"123","status":"Processing"})");
  CHECK(processing["progress"] == 0.5);
  const json file = respond(plugin, poll, 200,
                            R"({"task_id":"123","status":"Success","file_id":456,"base_resp":{"status_code":0}})");
  CHECK(file["request"]["url"] == "https://mm.example/v1/files/retrieve?file_id=456");
  CHECK(file["state"].dump().find(kKey) == std::string::npos);
}

TEST_CASE("minimax: a state that is not ours is refused without a crash", "[minimax]") {
  MinimaxPlugin plugin(json::object());
  for (const json& state : {json(nullptr), json("text"), json{{"phase", "poll"}}}) {
    const json action = step(plugin, {{"event", "timer"}, {"state", state}});
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "plugin_error");
  }
}

TEST_CASE("minimax: bad settings are refused with the setting's name", "[minimax][settings]") {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"base_url", "api.minimax.io"}}, "base_url"},
      {{{"poll_ms", 0}}, "poll_ms"},
      {{{"resolution", "720P"}}, "resolution"},
      {{{"duration_s", 5}}, "duration_s"},
      {{{"resolution", "1080P"}, {"duration_s", 10}}, "1080P"},
      {{{"prompt_optimizer", "yes"}}, "prompt_optimizer"},
      {{{"group_id", "1"}}, "group_id"},
      {json::array(), "object"},
  };
  for (const auto& [settings, name] : bad) {
    INFO(settings.dump());
    try {
      MinimaxPlugin plugin(settings);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  CHECK_NOTHROW(MinimaxPlugin(json{{"base_url", "http://127.0.0.1:1"},
                                   {"resolution", "768P"},
                                   {"duration_s", 10},
                                   {"prompt_optimizer", false}}));
  const json d = MinimaxPlugin::describe();
  CHECK(d["kinds"] == json{"video"});
  CHECK(d["aspect_ratios"] == json{"16:9"});
  CHECK(d["can_cancel"] == false);
}

// --- through the gateway ------------------------------------------------------------------

namespace {

struct MinimaxFixture {
  FakeMinimaxApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  MinimaxFixture() {
    ::setenv("AIGATE_TEST_MINIMAX_KEY", kKey, 1);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_MINIMAX_PLUGIN};
      aigate::config::ProviderConfig minimax;
      minimax.name = "minimax";
      minimax.plugin = "minimax";
      minimax.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 20}}.dump();
      minimax.api_key_env = "AIGATE_TEST_MINIMAX_KEY";
      c.providers = {minimax};
      c.generation.video = {"minimax"};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser("minimax@example.com", "scale");
  }

  aigate::credits::Balance books() {
    auto b = aigate::credits::balanceOf(gw->store().reader(), user.user_id);
    REQUIRE(b.ok());
    return b.value();
  }

  aigate::testing::HttpResponse generate(const std::string& body) {
    return gw->post("/api/v1/generate/video", body, user.api_key);
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

TEST_CASE("minimax: a video is polled retrieved and charged once", "[minimax][gateway]") {
  MinimaxFixture f;
  auto r = f.generate(R"({"prompt":"waves on a black sand beach","force_gen":true,"aspect_ratio":"16:9"})");
  INFO(r.body);
  REQUIRE(r.status == 202);
  const json job = f.waitForJob(r.json()["job"]["id"]);
  INFO(job.dump());
  REQUIRE(job["status"] == "succeeded");
  CHECK(job["asset"]["type"] == "video");
  CHECK(f.api.submits() == 1);
  CHECK(f.api.polls() == 3);  // Queueing, Processing, Success
  CHECK(f.api.retrieves() == 1);
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.refusedKeys() == 0);
  CHECK(f.api.lastAuthorization() == std::string("Bearer ") + kKey);
  const json body = f.api.lastSubmitBody();
  CHECK(body["model"] == "MiniMax-Hailuo-2.3");
  CHECK(body["resolution"] == "768P");
  CHECK(body["duration"] == 6);
  CHECK(f.books().balance == kScaleCredits - 100);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("minimax: a sensitive prompt is final: 502 and nothing charged", "[minimax][gateway]") {
  MinimaxFixture f;
  f.api.setSensitivePrompt(true);
  auto r = f.generate(
      R"({"prompt":"something forbidden","force_gen":true,"aspect_ratio":"16:9","wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("minimax: a 500 and a rate limit are retried and then succeed", "[minimax][gateway]") {
  MinimaxFixture f;
  f.api.failNext(1, 500, R"({"base_resp":{"status_code":1000,"status_msg":"unknown error"}})");
  f.api.rateLimitNext(1);
  auto r = f.generate(R"({"prompt":"retry me","force_gen":true,"aspect_ratio":"16:9"})");
  INFO(r.body);
  REQUIRE(r.status == 202);
  const json job = f.waitForJob(r.json()["job"]["id"]);
  INFO(job.dump());
  REQUIRE(job["status"] == "succeeded");
  CHECK(f.api.submits() == 3);
  CHECK(f.books().balance == kScaleCredits - 100);
  CHECK(f.books().held == 0);
}

TEST_CASE("minimax: cancel mid-job stops polling and releases the hold",
          "[minimax][gateway][cancel]") {
  MinimaxFixture f;
  f.api.setPollsBeforeDone(100000);
  auto r = f.generate(R"({"prompt":"slow one","force_gen":true,"aspect_ratio":"16:9"})");
  REQUIRE(r.status == 202);
  const std::string id = r.json()["job"]["id"];
  REQUIRE(f.api.waitFor([&] { return f.api.polls() >= 2; }, 10'000));
  auto canceled = f.gw->del("/api/v1/jobs/" + id, f.user.api_key);
  INFO(canceled.body);
  REQUIRE(canceled.status == 200);
  CHECK(canceled.json()["job"]["status"] == "canceled");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int polls = f.api.polls();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.api.polls() == polls);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}
