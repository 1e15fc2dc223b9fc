// The ideogram plugin: its recorded exchanges (plugins/ideogram/replay), the
// events the replay kit cannot script, its settings, and whole generations
// through a real gateway against a fake of the Ideogram API.
#include <aigate/replay.hpp>
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/credits/ledger.h"
#include "ideogram_plugin.hpp"
#include "tests/fakes/ideogram_api.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::ideogram::IdeogramPlugin;
using aigate::sdk::Event;
using aigate::testing::FakeIdeogramApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "ideogram-test-secret-0123456789";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant
constexpr int kImagePrice = 10;  // what the gateway charges for an image

json step(IdeogramPlugin& plugin, json event) {
  if (!event.contains("credential")) event["credential"] = {{"api_key", kKey}};
  return plugin.step(Event(std::move(event))).toJson();
}

json start(IdeogramPlugin& plugin, const std::string& prompt = "a quiet harbour",
           const std::string& model = "V_3") {
  return step(plugin, {{"event", "start"},
                       {"job_id", "job_1"},
                       {"request",
                        {{"kind", "image"},
                         {"prompt", prompt},
                         {"aspect_ratio", "1:1"},
                         {"model", model},
                         {"seed", 99}}},
                       {"state", nullptr}});
}

json respond(IdeogramPlugin& plugin, const json& action, int status, const std::string& body,
             json headers = json::object()) {
  return step(plugin, {{"event", "http_response"},
                       {"status", status},
                       {"headers", headers},
                       {"body", body},
                       {"state", action["state"]}});
}

}  // namespace

// --- replays ------------------------------------------------------------------

TEST_CASE("ideogram: every recorded exchange replays", "[ideogram][replay]") {
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(AIGATE_IDEOGRAM_REPLAY_DIR))
    if (entry.path().extension() == ".json") scripts.push_back(entry.path());
  std::sort(scripts.begin(), scripts.end());
  REQUIRE(scripts.size() >= 20);
  for (const auto& script : scripts) {
    const auto result = aigate::sdk::replayFile<IdeogramPlugin>(script.string());
    INFO(script.filename().string() << ": " << result.problem);
    CHECK(result.ok);
    for (const auto& action : result.actions)
      CHECK(action.value("state", json()).dump().find("ideogram-test-key") == std::string::npos);
  }
}

TEST_CASE("ideogram: a 429 waits as long as Retry-After says and resends", "[ideogram][replay]") {
  const auto result = aigate::sdk::replayFile<IdeogramPlugin>(
      std::string(AIGATE_IDEOGRAM_REPLAY_DIR) + "/rate_limited_then_succeeds.json");
  INFO(result.problem);
  REQUIRE(result.ok);
  std::vector<int> waits;
  for (const auto& action : result.actions)
    if (action["action"] == "wait") waits.push_back(action["ms"].get<int>());
  CHECK(waits == std::vector<int>{7000, 2000});
}

// --- the multipart body ----------------------------------------------------------------

TEST_CASE("ideogram: the v3 body is multipart the fake's parser reads back", "[ideogram]") {
  IdeogramPlugin plugin(json::object());
  const json submit = start(plugin, "line one\r\nline \"two\" --- ünïcode");
  REQUIRE(submit["action"] == "http");
  const json& request = submit["request"];
  CHECK(request["url"] == "https://api.ideogram.ai/v1/ideogram-v3/generate");
  CHECK(request["headers"]["api-key"] == kKey);
  std::map<std::string, std::string> fields;
  REQUIRE(aigate::testing::parseMultipart(request["headers"]["content-type"], request["body"],
                                          &fields));
  CHECK(fields == std::map<std::string, std::string>{
                      {"prompt", "line one\r\nline \"two\" --- ünïcode"},
                      {"aspect_ratio", "1x1"},
                      {"rendering_speed", "DEFAULT"},
                      {"num_images", "1"},
                      {"seed", "99"}});
  CHECK(submit["state"].dump().find(kKey) == std::string::npos);
}

TEST_CASE("ideogram: the boundary never occurs in the prompt", "[ideogram]") {
  const auto first = aigate::plugins::ideogram::multipart({{"prompt", "x"}});
  const std::string boundary = first.content_type.substr(first.content_type.find('=') + 1);
  const auto second = aigate::plugins::ideogram::multipart({{"prompt", "x" + boundary}});
  CHECK(second.content_type != first.content_type);
  std::map<std::string, std::string> fields;
  REQUIRE(aigate::testing::parseMultipart(second.content_type, second.body, &fields));
  CHECK(fields["prompt"] == "x" + boundary);
}

// --- events the replay kit cannot script -----------------------------------------

TEST_CASE("ideogram: a timer resends with the credential of the event", "[ideogram]") {
  IdeogramPlugin plugin(json::object());
  const json submit = start(plugin);
  const json wait = respond(plugin, submit, 429, "{}");
  REQUIRE(wait["action"] == "wait");
  CHECK(wait["ms"] == 2000);
  const json again = step(
      plugin,
      {{"event", "timer"}, {"state", wait["state"]}, {"credential", {{"api_key", "rotated-key"}}}});
  CHECK(again["request"]["body"] == submit["request"]["body"]);
  CHECK(again["request"]["headers"]["api-key"] == "rotated-key");
}

TEST_CASE("ideogram: Retry-After is capped", "[ideogram]") {
  IdeogramPlugin plugin(json::object());
  const json submit = start(plugin);
  CHECK(respond(plugin, submit, 429, "{}", {{"retry-after", "3600"}})["ms"] == 60000);
  CHECK(respond(plugin, submit, 429, "{}", {{"retry-after-ms", "250"}})["ms"] == 250);
}

TEST_CASE("ideogram: cancel fails at once as nothing runs upstream", "[ideogram][cancel]") {
  IdeogramPlugin plugin(json::object());
  const json submit = start(plugin);
  const json canceled = step(plugin, {{"event", "cancel"}, {"state", submit["state"]}});
  CHECK(canceled["action"] == "fail");
  CHECK(canceled["code"] == "canceled");
  CHECK(canceled["retryable"] == false);
}

TEST_CASE("ideogram: a state that is not ours is refused without a crash", "[ideogram]") {
  IdeogramPlugin plugin(json::object());
  for (const json& state : {json(nullptr), json("text"), json{{"phase", "poll"}}}) {
    const json action = step(plugin, {{"event", "timer"}, {"state", state}});
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "plugin_error");
  }
}

// --- settings and description --------------------------------------------------------

TEST_CASE("ideogram: bad settings are refused with the setting's name", "[ideogram][settings]") {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"base_url", "api.ideogram.ai"}}, "base_url"},
      {{{"base_url", 3}}, "base_url"},
      {{{"timeout_ms", 10}}, "timeout_ms"},
      {{{"poll_ms", "fast"}}, "poll_ms"},
      {{{"api", "v2"}}, "api"},
      {{{"rendering_speed", "SLOW"}}, "rendering_speed"},
      {{{"legacy_model", "V_3"}}, "legacy_model"},
      {{{"style", "x"}}, "style"},
      {json::array(), "object"},
  };
  for (const auto& [settings, name] : bad) {
    INFO(settings.dump());
    try {
      IdeogramPlugin plugin(settings);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  CHECK_NOTHROW(IdeogramPlugin(json{{"base_url", "http://127.0.0.1:1/"},
                                    {"poll_ms", 20},
                                    {"timeout_ms", 500},
                                    {"api", "legacy"},
                                    {"rendering_speed", "TURBO"},
                                    {"legacy_model", "V_2A_TURBO"}}));
}

TEST_CASE("ideogram: the description lists every ratio and images only", "[ideogram]") {
  const json d = IdeogramPlugin::describe();
  CHECK(d["name"] == "ideogram");
  CHECK(d["kinds"] == json{"image"});
  CHECK(d["aspect_ratios"].size() == 9);
  CHECK(d["can_cancel"] == false);
  CHECK(d["default_model"] == "V_3");
}

// --- through the gateway ------------------------------------------------------------------

namespace {

// A gateway whose only image provider is "ideogram" on `api`.
struct IdeogramFixture {
  FakeIdeogramApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  explicit IdeogramFixture(json settings = json::object()) {
    ::setenv("AIGATE_TEST_IDEOGRAM_KEY", kKey, 1);
    settings["base_url"] = api.baseUrl();
    settings["poll_ms"] = 20;
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_IDEOGRAM_PLUGIN};
      aigate::config::ProviderConfig p;
      p.name = "ideogram";
      p.plugin = "ideogram";
      p.settings_json = settings.dump();
      p.api_key_env = "AIGATE_TEST_IDEOGRAM_KEY";
      c.providers = {p};
      c.generation.image = {"ideogram"};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser("ideogram@example.com", "scale");
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

TEST_CASE("ideogram: an image is generated through the gateway and charged once",
          "[ideogram][gateway]") {
  IdeogramFixture f;
  const std::string png = aigate::testing::samples::png(96, 128);
  f.api.setImage(png);
  auto r = f.generate(
      R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"3:4","seed":4242})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "ideogram");
  CHECK(f.api.v3Generates() == 1);
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.unauthorized() == 0);
  CHECK(f.api.lastApiKey() == kKey);
  const auto fields = f.api.lastFields();
  CHECK(fields.at("prompt") == "a lighthouse in fog");
  CHECK(fields.at("aspect_ratio") == "3x4");
  CHECK(fields.at("rendering_speed") == "DEFAULT");
  CHECK(fields.at("seed") == "4242");

  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == png);
  CHECK(r.json()["asset"]["width"] == 96);

  const int64_t charged = r.json()["credits_charged"].get<int64_t>();
  CHECK(charged == kImagePrice);
  CHECK(f.books().balance == kScaleCredits - charged);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("ideogram: the legacy API is spoken when configured", "[ideogram][gateway]") {
  IdeogramFixture f(json{{"api", "legacy"}});
  auto r = f.generate(R"({"prompt":"an old map","force_gen":true,"aspect_ratio":"16:9"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.legacyGenerates() == 1);
  CHECK(f.api.v3Generates() == 0);
  const auto fields = f.api.lastFields();
  CHECK(fields.at("model") == "V_2");
  CHECK(fields.at("aspect_ratio") == "ASPECT_16_9");
}

TEST_CASE("ideogram: an unsafe image is final: 502 and nothing charged", "[ideogram][gateway]") {
  IdeogramFixture f;
  f.api.setUnsafeImage(true);
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.v3Generates() == 1);
  CHECK(f.api.downloads() == 0);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("ideogram: a prompt the safety check rejects is content policy", "[ideogram][gateway]") {
  IdeogramFixture f;
  f.api.setSafetyRejection(true);
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.v3Generates() == 1);
  CHECK(f.books().balance == kScaleCredits);
}

TEST_CASE("ideogram: a 500 is retried and then succeeds", "[ideogram][gateway]") {
  IdeogramFixture f;
  f.api.failNext(1, 500, R"({"error":"Internal Server Error"})");
  auto r = f.generate(R"({"prompt":"retry me","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.v3Generates() == 2);
  CHECK(f.books().held == 0);
  CHECK(f.books().balance == kScaleCredits - r.json()["credits_charged"].get<int64_t>());
}

TEST_CASE("ideogram: a 429 is waited out as Retry-After asks", "[ideogram][gateway]") {
  IdeogramFixture f;
  f.api.failNext(1, 429, R"({"error":"Too many requests"})", {{"Retry-After", "1"}});
  const auto started = std::chrono::steady_clock::now();
  auto r = f.generate(R"({"prompt":"patience","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(900));
  CHECK(f.api.v3Generates() == 2);
}

TEST_CASE("ideogram: garbage is retried then the job fails uncharged", "[ideogram][gateway]") {
  IdeogramFixture f;
  f.api.setGarbage(true);
  auto r = f.generate(R"({"prompt":"garbage in","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["error"] == "generation_unavailable");
  CHECK(f.api.v3Generates() == 3);  // generation.max_attempts
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("ideogram: cancel mid-request ends the job and releases the hold",
          "[ideogram][gateway][cancel]") {
  IdeogramFixture f;
  f.api.setHang(true);
  auto r = f.generate(R"({"prompt":"slow one","force_gen":true,"async":true})");
  REQUIRE(r.status == 202);
  const std::string id = r.json()["job"]["id"];
  REQUIRE(f.api.waitFor([&] { return f.api.v3Generates() >= 1; }, 10'000));
  auto canceled = f.gw->del("/api/v1/jobs/" + id, f.user.api_key);
  INFO(canceled.body);
  REQUIRE(canceled.status == 200);
  CHECK(canceled.json()["job"]["status"] == "canceled");
  CHECK(canceled.json()["credits_balance"] == kScaleCredits);
  f.api.setHang(false);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}
