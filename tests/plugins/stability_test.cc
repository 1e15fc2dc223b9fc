// The stability plugin: its recorded exchanges (plugins/stability/replay),
// the events the replay kit cannot script (binary bodies, waits), its
// settings, and whole generations through a real gateway against a fake of
// Stability's API.
#include <aigate/replay.hpp>
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/credits/ledger.h"
#include "stability_plugin.hpp"
#include "tests/fakes/stability_api.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::stability::StabilityPlugin;
using aigate::sdk::Event;
using aigate::testing::FakeStabilityApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "sk-stability-test-secret-0123456789";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant

json step(StabilityPlugin& plugin, json event) {
  if (!event.contains("credential")) event["credential"] = {{"api_key", kKey}};
  return plugin.step(Event(std::move(event))).toJson();
}

json startImage(StabilityPlugin& plugin, const std::string& model = "stable-image-core") {
  return step(plugin, {{"event", "start"},
                       {"job_id", "job_1"},
                       {"request",
                        {{"kind", "image"},
                         {"prompt", "a quiet harbour"},
                         {"aspect_ratio", "1:1"},
                         {"model", model},
                         {"seed", 42}}},
                       {"state", nullptr}});
}

json respond(StabilityPlugin& plugin, const json& action, int status, const std::string& body,
             json headers = json::object(), bool base64 = false) {
  return step(plugin, {{"event", "http_response"},
                       {"status", status},
                       {"headers", headers},
                       {"body", body},
                       {"body_base64", base64},
                       {"state", action["state"]}});
}

}  // namespace

// --- replays ------------------------------------------------------------------

TEST_CASE("stability: every recorded exchange replays", "[stability][replay]") {
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(AIGATE_STABILITY_REPLAY_DIR))
    if (entry.path().extension() == ".json") scripts.push_back(entry.path());
  std::sort(scripts.begin(), scripts.end());
  REQUIRE(scripts.size() >= 20);
  for (const auto& script : scripts) {
    const auto result = aigate::sdk::replayFile<StabilityPlugin>(script.string());
    INFO(script.filename().string() << ": " << result.problem);
    CHECK(result.ok);
    for (const auto& action : result.actions)
      CHECK(action.value("state", json()).dump().find("stab-test-key") == std::string::npos);
  }
}

TEST_CASE("stability: a 429 waits as long as Retry-After says", "[stability][replay]") {
  const auto result = aigate::sdk::replayFile<StabilityPlugin>(
      std::string(AIGATE_STABILITY_REPLAY_DIR) + "/rate_limited_then_succeeds.json");
  INFO(result.problem);
  REQUIRE(result.ok);
  std::vector<int> waits;
  for (const auto& action : result.actions)
    if (action["action"] == "wait") waits.push_back(action["ms"].get<int>());
  CHECK(waits == std::vector<int>{3000});
}

// --- single steps ---------------------------------------------------------------

TEST_CASE("stability: the request is a multipart form Stability can read", "[stability]") {
  StabilityPlugin plugin(json::object());
  const json submit = startImage(plugin, "sd3.5-large");
  REQUIRE(submit["action"] == "http");
  const json& request = submit["request"];
  CHECK(request["method"] == "POST");
  CHECK(request["url"] == "https://api.stability.ai/v2beta/stable-image/generate/sd3");
  CHECK(request["headers"]["authorization"] == std::string("Bearer ") + kKey);
  CHECK(request["headers"]["accept"] == "image/*");
  std::map<std::string, std::string> fields;
  REQUIRE(FakeStabilityApi::parseMultipart(request["headers"]["content-type"], request["body"],
                                           &fields));
  CHECK(fields == std::map<std::string, std::string>{{"prompt", "a quiet harbour"},
                                                     {"aspect_ratio", "1:1"},
                                                     {"output_format", "png"},
                                                     {"seed", "42"},
                                                     {"model", "sd3.5-large"},
                                                     {"mode", "text-to-image"}});
  CHECK(submit["state"].dump().find(kKey) == std::string::npos);
}

TEST_CASE("stability: a prompt holding the boundary gets another one", "[stability]") {
  StabilityPlugin plugin(json::object());
  const json first = startImage(plugin);
  const std::string type = first["request"]["headers"]["content-type"];
  const std::string boundary = type.substr(type.find("boundary=") + 9);
  const json sneaky = step(plugin, {{"event", "start"},
                                    {"request", {{"kind", "image"}, {"prompt", "x " + boundary}}},
                                    {"state", nullptr}});
  std::map<std::string, std::string> fields;
  REQUIRE(FakeStabilityApi::parseMultipart(sneaky["request"]["headers"]["content-type"],
                                           sneaky["request"]["body"], &fields));
  CHECK(fields["prompt"] == "x " + boundary);
}

TEST_CASE("stability: a binary image comes back as data_base64", "[stability]") {
  StabilityPlugin plugin(json::object());
  const json submit = startImage(plugin);
  const json done = respond(plugin, submit, 200, "iVBORw0KGgoAAAANSUhEUg==",
                            {{"content-type", "image/png"}, {"finish-reason", "SUCCESS"},
                             {"seed", "42"}},
                            true);
  REQUIRE(done["action"] == "done");
  CHECK(done["outputs"][0]["data_base64"] == "iVBORw0KGgoAAAANSUhEUg==");
  CHECK(done["outputs"][0]["mime"] == "image/png");
  CHECK(done["usage"]["seed"] == "42");
}

TEST_CASE("stability: an error body the host base64-encoded is still read", "[stability]") {
  StabilityPlugin plugin(json::object());
  const json submit = startImage(plugin);
  // {"name":"content_moderation","errors":["flagged"]}
  const json fail = respond(plugin, submit, 403,
                            "eyJuYW1lIjoiY29udGVudF9tb2RlcmF0aW9uIiwiZXJyb3JzIjpbImZsYWdnZWQiXX0=",
                            {{"content-type", "application/json"}}, true);
  CHECK(fail["code"] == "content_policy");
  CHECK(fail["message"] == "stability: flagged");
}

TEST_CASE("stability: a timer resends with the credential of the event", "[stability]") {
  StabilityPlugin plugin(json::object());
  const json submit = startImage(plugin);
  const json wait = respond(plugin, submit, 429, "{}");
  REQUIRE(wait["action"] == "wait");
  CHECK(wait["ms"] == 2000);
  const json again = step(
      plugin,
      {{"event", "timer"}, {"state", wait["state"]}, {"credential", {{"api_key", "rotated-key"}}}});
  CHECK(again["request"]["body"] == submit["request"]["body"]);
  CHECK(again["request"]["headers"]["authorization"] == "Bearer rotated-key");
  CHECK(respond(plugin, submit, 429, "{}", {{"retry-after", "3600"}})["ms"] == 60000);
}

TEST_CASE("stability: a state that is not ours is refused without a crash", "[stability]") {
  StabilityPlugin plugin(json::object());
  for (const json& state : {json(nullptr), json("text"), json{{"endpoint", "core"}}}) {
    const json action = step(plugin, {{"event", "timer"}, {"state", state}});
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "plugin_error");
  }
}

TEST_CASE("stability: bad settings are refused with the setting's name", "[stability][settings]") {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"base_url", "api.stability.ai"}}, "base_url"},
      {{{"endpoint", "sdxl"}}, "endpoint"},
      {{{"sd3_model", "sd3-large"}}, "sd3_model"},
      {{{"output_format", "gif"}}, "output_format"},
      {{{"timeout_ms", 5}}, "timeout_ms"},
      {{{"api_version", "v1"}}, "api_version"},
      {json::array(), "object"},
  };
  for (const auto& [settings, name] : bad) {
    INFO(settings.dump());
    try {
      StabilityPlugin plugin(settings);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  CHECK_NOTHROW(StabilityPlugin(json{{"base_url", "http://127.0.0.1:1/"},
                                     {"endpoint", "ultra"},
                                     {"output_format", "webp"},
                                     {"poll_ms", 20},
                                     {"timeout_ms", 5000}}));
  const json d = StabilityPlugin::describe();
  CHECK(d["name"] == "stability");
  CHECK(d["aspect_ratios"].size() == 9);
  CHECK(d["can_cancel"] == false);
}

// --- through the gateway ------------------------------------------------------------------

namespace {

struct StabilityFixture {
  FakeStabilityApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  StabilityFixture() {
    ::setenv("AIGATE_TEST_STABILITY_KEY", kKey, 1);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_STABILITY_PLUGIN};
      aigate::config::ProviderConfig p;
      p.name = "stability";
      p.plugin = "stability";
      p.settings_json = json{{"base_url", api.baseUrl()}, {"timeout_ms", 10000}}.dump();
      p.api_key_env = "AIGATE_TEST_STABILITY_KEY";
      c.providers = {p};
      c.generation.image = {"stability"};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser("stability@example.com", "scale");
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

TEST_CASE("stability: an image is generated through the gateway and charged once",
          "[stability][gateway]") {
  StabilityFixture f;
  const std::string png = aigate::testing::samples::png(96, 128);
  f.api.setImage(png, "image/png");
  auto r = f.generate(R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"3:4"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "stability");
  CHECK(r.json()["credits_charged"] == 10);
  CHECK(f.api.generations() == 1);
  CHECK(f.api.unauthorized() == 0);
  CHECK(f.api.lastAuthorization() == std::string("Bearer ") + kKey);
  CHECK(f.api.lastAccept() == "image/*");
  CHECK(f.api.lastPath() == "/v2beta/stable-image/generate/core");
  const auto fields = f.api.lastFields();
  CHECK(fields.at("prompt") == "a lighthouse in fog");
  CHECK(fields.at("aspect_ratio") == "4:5");
  CHECK(fields.at("output_format") == "png");
  CHECK(fields.count("seed") == 1);

  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == png);
  CHECK(r.json()["asset"]["width"] == 96);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("stability: moderation is final: 502 and nothing charged", "[stability][gateway]") {
  StabilityFixture f;
  f.api.setModeration(FakeStabilityApi::Moderation::kRejectPrompt);
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["provider_error"] == "content_policy");
  f.api.setModeration(FakeStabilityApi::Moderation::kFilterOutput);
  r = f.generate(R"({"prompt":"something else forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.generations() == 2);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("stability: a 500 is retried and then succeeds", "[stability][gateway]") {
  StabilityFixture f;
  f.api.failNext(1, 500);
  auto r = f.generate(R"({"prompt":"retry me","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.generations() == 2);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
}
