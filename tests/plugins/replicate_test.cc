// The replicate plugin: its recorded exchanges (plugins/replicate/replay), the
// choice of model and endpoint, the mapping of our aspect ratios onto each
// model's, cancel, settings, and whole jobs through a real gateway against a
// fake of Replicate's predictions API.
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
#include "replicate_plugin.hpp"
#include "tests/fakes/replicate_api.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::replicate::ReplicatePlugin;
using aigate::sdk::Event;
using aigate::testing::FakeReplicateApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

const std::string kReplayDir = AIGATE_REPLICATE_REPLAY_DIR;

json readScript(const std::string& name) {
  std::ifstream in(kReplayDir + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

aigate::sdk::ReplayResult replayScript(const std::string& name) {
  return aigate::sdk::replayFile<ReplicatePlugin>(kReplayDir + "/" + name);
}

json step(ReplicatePlugin& plugin, json event) {
  event["credential"] = {{"api_key", "r8_test"}};
  if (!event.contains("state")) event["state"] = nullptr;
  return plugin.step(Event(event)).toJson();
}

json startEvent(json request) {
  return {{"event", "start"}, {"job_id", "job_1"}, {"request", std::move(request)}};
}

// The submission the plugin makes for `request` (with `settings`).
json submission(json request, const json& settings = json::object()) {
  ReplicatePlugin plugin(settings);
  if (!request.contains("prompt")) request["prompt"] = "p";
  return step(plugin, startEvent(std::move(request)));
}

// The input the plugin sends for `model` and our `aspect` (null when it fails).
json inputFor(const std::string& model, const std::string& aspect, const std::string& kind) {
  const json action = submission({{"kind", kind}, {"model", model}, {"aspect_ratio", aspect}});
  if (action["action"] != "http") return nullptr;
  return json::parse(action["request"]["body"].get<std::string>())["input"];
}

}  // namespace

TEST_CASE("replicate: every replay script plays through", "[replicate][replay]") {
  int scripts = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kReplayDir)) {
    if (entry.path().extension() != ".json") continue;
    ++scripts;
    const auto result = aigate::sdk::replayFile<ReplicatePlugin>(entry.path().string());
    INFO(entry.path().filename().string() << ": " << result.problem);
    CHECK(result.ok);
  }
  CHECK(scripts >= 20);
}

TEST_CASE("replicate: a 429 is waited out for Retry-After then resent", "[replicate][replay]") {
  const auto r = replayScript("rate_limited_then_succeeds.json");
  REQUIRE(r.ok);
  REQUIRE(r.actions.size() == 8);
  CHECK(r.actions[1]["action"] == "wait");
  CHECK(r.actions[1]["ms"] == 3000);  // Retry-After: 3
  CHECK(r.actions[2]["request"]["body"] == r.actions[0]["request"]["body"]);
  CHECK(r.actions[5]["ms"] == aigate::plugins::replicate::kDefaultRetryAfterMs);
  CHECK(r.actions[6]["request"]["method"] == "GET");
}

TEST_CASE("replicate: polling waits poll_ms and reports progress from the logs",
          "[replicate][replay]") {
  const auto r = replayScript("image_succeeds_after_polling.json");
  REQUIRE(r.ok);
  CHECK(r.actions[1]["ms"] == 1000);
  CHECK(r.actions[1]["progress"] == 0.1);           // starting
  CHECK(r.actions[3]["progress"] == Approx(0.55));  // processing, 50% in the logs
  for (const auto& action : r.actions)
    if (action["action"] == "http") CHECK_FALSE(action["request"]["headers"].contains("prefer"));
}

TEST_CASE("replicate: a failed prediction restarts the job after a wait", "[replicate][replay]") {
  const auto r = replayScript("failed_prediction_is_retried_from_the_start.json");
  REQUIRE(r.ok);
  REQUIRE(r.actions.size() == 5);
  CHECK(r.actions[3]["action"] == "wait");
  CHECK(r.actions[3]["ms"] == 0);
}

TEST_CASE("replicate: the API token never enters the state", "[replicate][replay]") {
  for (const char* name : {"rate_limited_then_succeeds.json", "image_succeeds_after_polling.json",
                           "cancel_cancels_the_prediction.json"}) {
    const auto script = readScript(name);
    const std::string key = script["start"]["credential"]["api_key"];
    const auto r = replayScript(name);
    REQUIRE(r.ok);
    for (const auto& action : r.actions)
      CHECK(action.value("state", json()).dump().find(key) == std::string::npos);
  }
}

TEST_CASE("replicate: our aspect ratios map onto each model's", "[replicate]") {
  for (const char* aspect : {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}) {
    CHECK(inputFor("black-forest-labs/flux-schnell", aspect, "image")["aspect_ratio"] == aspect);
    // A model we do not know gets our ratio as it is.
    CHECK(inputFor("someone/new-model", aspect, "image")["aspect_ratio"] == aspect);
  }
  const std::string seedance = "bytedance/seedance-1-lite";
  for (const char* same : {"1:1", "9:16", "16:9", "3:4", "4:3", "21:9"})
    CHECK(inputFor(seedance, same, "video")["aspect_ratio"] == same);
  CHECK(inputFor(seedance, "4:5", "video")["aspect_ratio"] == "3:4");
  CHECK(inputFor(seedance, "2:3", "video")["aspect_ratio"] == "3:4");
  CHECK(inputFor(seedance, "3:2", "video")["aspect_ratio"] == "4:3");
  CHECK(inputFor("google/veo-3", "4:5", "video")["aspect_ratio"] == "9:16");
  CHECK(inputFor("google/veo-3", "1:1", "video")["aspect_ratio"] == "16:9");
  // minimax/video-01 takes neither a ratio nor a seed.
  const json minimax = submission(
      {{"kind", "video"}, {"model", "minimax/video-01"}, {"aspect_ratio", "9:16"}, {"seed", 4}});
  REQUIRE(minimax["action"] == "http");
  CHECK(json::parse(minimax["request"]["body"].get<std::string>()) ==
        json{{"input", {{"prompt", "p"}}}});
  CHECK(submission({{"kind", "image"}, {"aspect_ratio", "wide"}})["code"] == "invalid_request");
}

TEST_CASE("replicate: the model picks the endpoint", "[replicate]") {
  const std::string version = FakeReplicateApi::kHelloVersion;
  SECTION("owner/name:version posts the version") {
    const json a = submission({{"kind", "image"}, {"model", "replicate/hello-world:" + version}});
    REQUIRE(a["action"] == "http");
    CHECK(a["request"]["url"] == "https://api.replicate.com/v1/predictions");
    CHECK(json::parse(a["request"]["body"].get<std::string>())["version"] == version);
  }
  SECTION("the operator's default models replace the host's default") {
    const json settings = {{"image_model", "black-forest-labs/flux-dev"},
                           {"video_model", "google/veo-3"}};
    const json image =
        submission({{"kind", "image"}, {"model", "black-forest-labs/flux-schnell"}}, settings);
    CHECK(image["request"]["url"] ==
          "https://api.replicate.com/v1/models/black-forest-labs/flux-dev/predictions");
    const json video = submission({{"kind", "video"}}, settings);
    CHECK(video["request"]["url"] ==
          "https://api.replicate.com/v1/models/google/veo-3/predictions");
  }
  SECTION("nonsense is refused before any call") {
    for (const char* bad : {"flux", "a/b/c", "owner/name:notaversion", "../../etc"}) {
      const json a = submission({{"kind", "image"}, {"model", bad}});
      INFO(bad);
      CHECK(a["action"] == "fail");
      CHECK(a["code"] == "invalid_request");
    }
    CHECK(submission({{"kind", "image"}, {"prompt", ""}})["code"] == "invalid_request");
    CHECK(submission({{"kind", "audio"}})["code"] == "invalid_request");
  }
}

TEST_CASE("replicate: cancel before Replicate answered sends nothing", "[replicate][cancel]") {
  ReplicatePlugin plugin(json::object());
  const json submit = step(plugin, startEvent({{"kind", "image"}, {"prompt", "p"}}));
  REQUIRE(submit["action"] == "http");
  const json action = step(plugin, {{"event", "cancel"}, {"state", submit["state"]}});
  CHECK(action["action"] == "fail");
  CHECK(action["code"] == "canceled");
  CHECK(action["retryable"] == false);
}

TEST_CASE("replicate: a state that is not ours is refused without a crash", "[replicate]") {
  ReplicatePlugin plugin(json::object());
  for (const json& state : {json(nullptr), json("x"), json{{"phase", "poll"}}}) {
    const json action = step(plugin, {{"event", "timer"}, {"state", state}});
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "plugin_error");
  }
}

TEST_CASE("replicate: bad settings are refused with the setting's name", "[replicate]") {
  auto refusal = [](const json& settings) {
    try {
      ReplicatePlugin plugin(settings);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(refusal({{"base_url", "ftp://x"}}).find("base_url") != std::string::npos);
  CHECK(refusal({{"poll_ms", 0}}).find("poll_ms") != std::string::npos);
  CHECK(refusal({{"timeout_ms", "5"}}).find("timeout_ms") != std::string::npos);
  CHECK(refusal({{"image_model", "flux"}}).find("image_model") != std::string::npos);
  CHECK(refusal({{"video_model", 3}}).find("video_model") != std::string::npos);
  CHECK(refusal({{"pol_ms", 10}}).find("unknown setting \"pol_ms\"") != std::string::npos);
  CHECK(refusal(json::array()).find("JSON object") != std::string::npos);
  CHECK(refusal({{"base_url", "http://127.0.0.1:1"}, {"poll_ms", 20}}).empty());
}

TEST_CASE("replicate: describe offers both kinds and cancel", "[replicate]") {
  const json d = ReplicatePlugin::describe();
  CHECK(d["name"] == "replicate");
  CHECK(d["kinds"] == json::array({"image", "video"}));
  CHECK(d["default_model"] == "black-forest-labs/flux-schnell");
  CHECK(d["can_cancel"] == true);
  CHECK(d["local"] == false);
  CHECK(d["aspect_ratios"].size() == 9);
}

// --- through a real gateway ------------------------------------------------

namespace {

constexpr const char* kKey = "r8_0123456789abcdef0123456789abcdef01234";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant

// A gateway whose only image and video provider is "replicate" on a fake Replicate.
struct ReplicateFixture {
  FakeReplicateApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  ReplicateFixture() {
    ::setenv("AIGATE_TEST_REPLICATE_KEY", kKey, 1);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_REPLICATE_PLUGIN};
      aigate::config::ProviderConfig replicate;
      replicate.name = "replicate";
      replicate.plugin = "replicate";
      replicate.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 20}}.dump();
      replicate.api_key_env = "AIGATE_TEST_REPLICATE_KEY";
      c.providers = {replicate};
      c.generation.image = {"replicate"};
      c.generation.video = {"replicate"};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser("replicate@example.com", "scale");
  }

  aigate::credits::Balance books() {
    auto b = aigate::credits::balanceOf(gw->store().reader(), user.user_id);
    REQUIRE(b.ok());
    return b.value();
  }

  aigate::testing::HttpResponse generate(const std::string& kind, const std::string& body) {
    return gw->post("/api/v1/generate/" + kind, body, user.api_key);
  }

  // Whether the provider's key is anywhere in the jobs table.
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

TEST_CASE("replicate: an image through the gateway is stored served and charged once",
          "[replicate][gateway]") {
  ReplicateFixture f;
  const std::string png = aigate::testing::samples::png(832, 1248);
  f.api.setImage(png);
  auto r = f.generate("image",
                      R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"2:3"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "replicate");
  CHECK(r.json()["asset"]["type"] == "image");
  CHECK(r.json()["asset"]["width"] == 832);
  const int64_t price = r.json()["credits_charged"];
  CHECK(price > 0);
  CHECK(f.api.submits() == 1);
  CHECK(f.api.polls() == 3);  // starting, processing, succeeded
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.unauthorized() == 0);
  CHECK(f.api.lastAuthorization() == std::string("Bearer ") + kKey);
  CHECK(f.api.lastPrefer().empty());
  CHECK(f.api.lastSubmitPath() == "/v1/models/black-forest-labs/flux-schnell/predictions");
  const json input = f.api.lastSubmitBody()["input"];
  CHECK(input["prompt"] == "a lighthouse in fog");
  CHECK(input["aspect_ratio"] == "2:3");
  CHECK(input["seed"].is_number_integer());

  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == png);

  CHECK(f.books().balance == kScaleCredits - price);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("replicate: a video through the gateway uses the video model", "[replicate][gateway]") {
  ReplicateFixture f;
  auto r = f.generate(
      "video",
      R"({"prompt":"waves on a black sand beach","force_gen":true,"aspect_ratio":"4:5","wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["asset"]["type"] == "video");
  CHECK(f.api.lastSubmitPath() == "/v1/models/bytedance/seedance-1-lite/predictions");
  CHECK(f.api.lastSubmitBody()["input"]["aspect_ratio"] == "3:4");
  CHECK(f.api.downloads() == 1);
  CHECK(f.books().balance == kScaleCredits - r.json()["credits_charged"].get<int64_t>());
  CHECK(f.books().held == 0);
}

TEST_CASE("replicate: an NSFW refusal is a 502 and nothing is charged", "[replicate][gateway]") {
  ReplicateFixture f;
  f.api.setFailure("NSFW content detected. Try running it again, or try a different prompt.");
  auto r = f.generate("image", R"({"prompt":"something forbidden","force_gen":true,"wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("replicate: a 500 is retried and then succeeds", "[replicate][gateway]") {
  ReplicateFixture f;
  f.api.failNext(1, 500);
  auto r = f.generate("image", R"({"prompt":"retry me","force_gen":true,"wait_s":60})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.submits() == 2);
  CHECK(f.books().balance == kScaleCredits - r.json()["credits_charged"].get<int64_t>());
  CHECK(f.books().held == 0);
}

TEST_CASE("replicate: cancel through the gateway cancels the prediction", "[replicate][gateway]") {
  ReplicateFixture f;
  f.api.setPollsBeforeDone(100000);
  auto r = f.generate("video", R"({"prompt":"a slow one","force_gen":true,"async":true})");
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

TEST_CASE("replicate: the official replicate client accepts the fake's answers",
          "[replicate][conformance]") {
  // Needs node and replicate (npm install --prefix tests/conformance, or
  // $AIGATE_CONFORMANCE_DIR/node_modules): skipped with a warning otherwise.
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    WARN("skipped: node is not installed");
    return;
  }
  FakeReplicateApi api(kKey);
  const auto [code, output] = runConformance(
      "replicate.mjs",
      api.baseUrl() + " " + kKey + " " + aigate::testing::FakeReplicateApi::kHelloVersion);
  if (code == 77) {
    WARN(output);
    return;
  }
  INFO(output);
  CHECK(code == 0);
  CHECK(api.lastAuthorization() == std::string("Bearer ") + kKey);
  CHECK(api.submits() == 6);  // flux, seedance, hello, 404, 422 input, 422 version
  CHECK(api.polls() == 7);    // 3 to succeeded each for flux and seedance, the 401
  CHECK(api.unauthorized() == 1);
  CHECK(api.cancels() == 1);
  CHECK(api.downloads() == 2);
  CHECK(api.lastSubmitPath() == "/v1/predictions");
}
