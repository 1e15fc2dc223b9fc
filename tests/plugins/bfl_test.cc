// The bfl plugin: its recorded exchanges (plugins/bfl/replay), the events the
// replay kit cannot script, its settings, and whole generations through a
// real gateway against a fake of BFL's FLUX API.
#include <aigate/replay.hpp>
#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bfl_plugin.hpp"
#include "core/credits/ledger.h"
#include "tests/fakes/bfl_api.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::bfl::BflPlugin;
using aigate::sdk::Event;
using aigate::testing::FakeBflApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "bfl-test-secret-0123456789";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant

json step(BflPlugin& plugin, json event) {
  if (!event.contains("credential")) event["credential"] = {{"api_key", kKey}};
  return plugin.step(Event(std::move(event))).toJson();
}

json startImage(BflPlugin& plugin, const std::string& ratio = "1:1",
                const std::string& model = "flux-pro-1.1") {
  return step(plugin, {{"event", "start"},
                       {"job_id", "job_1"},
                       {"request",
                        {{"kind", "image"},
                         {"prompt", "a quiet harbour"},
                         {"aspect_ratio", ratio},
                         {"model", model},
                         {"seed", 42}}},
                       {"state", nullptr}});
}

json respond(BflPlugin& plugin, const json& action, int status, const std::string& body,
             json headers = json::object()) {
  return step(plugin, {{"event", "http_response"},
                       {"status", status},
                       {"headers", headers},
                       {"body", body},
                       {"state", action["state"]}});
}

}  // namespace

// --- replays ------------------------------------------------------------------

TEST_CASE("bfl: every recorded exchange replays", "[bfl][replay]") {
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(AIGATE_BFL_REPLAY_DIR))
    if (entry.path().extension() == ".json") scripts.push_back(entry.path());
  std::sort(scripts.begin(), scripts.end());
  REQUIRE(scripts.size() >= 20);
  for (const auto& script : scripts) {
    const auto result = aigate::sdk::replayFile<BflPlugin>(script.string());
    INFO(script.filename().string() << ": " << result.problem);
    CHECK(result.ok);
    for (const auto& action : result.actions)
      CHECK(action.value("state", json()).dump().find("bfl-test-key") == std::string::npos);
  }
}

TEST_CASE("bfl: waits follow Retry-After and poll_ms", "[bfl][replay]") {
  const auto result = aigate::sdk::replayFile<BflPlugin>(std::string(AIGATE_BFL_REPLAY_DIR) +
                                                         "/rate_limited_then_succeeds.json");
  INFO(result.problem);
  REQUIRE(result.ok);
  std::vector<int> waits;
  for (const auto& action : result.actions)
    if (action["action"] == "wait") waits.push_back(action["ms"].get<int>());
  // 4 s from the header; the default 1.5 s poll; 2 s for a 429 without one.
  CHECK(waits == std::vector<int>{4000, 1500, 2000});
}

// --- single steps ---------------------------------------------------------------

TEST_CASE("bfl: every ratio maps to a size FLUX accepts", "[bfl]") {
  BflPlugin plugin(json::object());
  const json description = BflPlugin::describe();
  for (const auto& ratio : description["aspect_ratios"]) {
    const json submit = startImage(plugin, ratio.get<std::string>());
    REQUIRE(submit["action"] == "http");
    const json body = json::parse(submit["request"]["body"].get<std::string>());
    const int w = body["width"], h = body["height"];
    INFO(ratio << " " << w << "x" << h);
    CHECK(w % 32 == 0);
    CHECK(h % 32 == 0);
    CHECK(std::min(w, h) >= 256);
    CHECK(std::max(w, h) <= 1440);
    CHECK(w * h >= 850'000);
    CHECK(w * h <= 1'100'000);
    const auto colon = ratio.get<std::string>().find(':');
    const double want = std::stod(ratio.get<std::string>().substr(0, colon)) /
                        std::stod(ratio.get<std::string>().substr(colon + 1));
    CHECK(std::abs(static_cast<double>(w) / h - want) / want < 0.03);
  }
}

TEST_CASE("bfl: the polling URL is followed with the key and progress shows", "[bfl]") {
  BflPlugin plugin(json{{"poll_ms", 10}});
  const json submit = startImage(plugin);
  CHECK(submit["request"]["headers"]["x-key"] == kKey);
  const json wait =
      respond(plugin, submit, 200,
              R"({"id":"t1","polling_url":"https://api.eu1.bfl.ai/v1/get_result?id=t1"})");
  REQUIRE(wait["action"] == "wait");
  CHECK(wait["ms"] == 10);
  CHECK(wait["state"].dump().find(kKey) == std::string::npos);
  CHECK_FALSE(wait["state"].contains("body"));
  const json poll = step(plugin, {{"event", "timer"}, {"state", wait["state"]}});
  CHECK(poll["request"]["url"] == "https://api.eu1.bfl.ai/v1/get_result?id=t1");
  CHECK(poll["request"]["headers"]["x-key"] == kKey);
  const json pending = respond(plugin, poll, 200, R"({"id":"t1","status":"Pending","progress":0.5})");
  CHECK(pending["progress"] == Approx(0.5));
}

TEST_CASE("bfl: cancel fails at once since BFL cannot cancel", "[bfl]") {
  BflPlugin plugin(json::object());
  const json submit = startImage(plugin);
  const json wait = respond(plugin, submit, 200, R"({"id":"t1"})");
  const json canceled = step(plugin, {{"event", "cancel"}, {"state", wait["state"]}});
  CHECK(canceled["action"] == "fail");
  CHECK(canceled["code"] == "canceled");
  CHECK(canceled["retryable"] == false);
}

TEST_CASE("bfl: a state that is not ours is refused without a crash", "[bfl]") {
  BflPlugin plugin(json::object());
  for (const json& state : {json(nullptr), json("text"), json{{"phase", "poll"}}}) {
    const json action = step(plugin, {{"event", "timer"}, {"state", state}});
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "plugin_error");
  }
}

TEST_CASE("bfl: bad settings are refused with the setting's name", "[bfl][settings]") {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"base_url", "api.bfl.ai"}}, "base_url"},
      {{{"poll_ms", 0}}, "poll_ms"},
      {{{"timeout_ms", "slow"}}, "timeout_ms"},
      {{{"output_format", "webp"}}, "output_format"},
      {{{"safety_tolerance", 7}}, "safety_tolerance"},
      {{{"use_polling_url", "yes"}}, "use_polling_url"},
      {{{"api_version", "v2"}}, "api_version"},
      {json::array(), "object"},
  };
  for (const auto& [settings, name] : bad) {
    INFO(settings.dump());
    try {
      BflPlugin plugin(settings);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  CHECK_NOTHROW(BflPlugin(json{{"base_url", "http://127.0.0.1:1/"},
                               {"poll_ms", 5},
                               {"output_format", "png"},
                               {"safety_tolerance", 6},
                               {"use_polling_url", false}}));
  const json d = BflPlugin::describe();
  CHECK(d["name"] == "bfl");
  CHECK(d["can_cancel"] == false);
  CHECK(d["aspect_ratios"].size() == 9);
}

// --- through the gateway ------------------------------------------------------------------

namespace {

struct BflFixture {
  FakeBflApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  BflFixture() {
    ::setenv("AIGATE_TEST_BFL_KEY", kKey, 1);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_BFL_PLUGIN};
      aigate::config::ProviderConfig p;
      p.name = "bfl";
      p.plugin = "bfl";
      p.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 20}}.dump();
      p.api_key_env = "AIGATE_TEST_BFL_KEY";
      c.providers = {p};
      c.generation.image = {"bfl"};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser("bfl@example.com", "scale");
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

TEST_CASE("bfl: an image is generated through the gateway and charged once", "[bfl][gateway]") {
  BflFixture f;
  const std::string png = aigate::testing::samples::png(96, 128);
  f.api.setImage(png);
  auto r = f.generate(R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"16:9"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "bfl");
  CHECK(r.json()["credits_charged"] == 10);
  CHECK(f.api.submits() == 1);
  CHECK(f.api.polls() == 3);  // Pending, Pending, Ready
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.unauthorized() == 0);
  CHECK(f.api.lastKey() == kKey);
  CHECK(f.api.lastSubmitPath() == "/v1/flux-pro-1.1");
  const json body = f.api.lastSubmitBody();
  CHECK(body["width"] == 1344);
  CHECK(body["height"] == 768);
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

TEST_CASE("bfl: moderation is final: 502 and nothing charged", "[bfl][gateway]") {
  BflFixture f;
  f.api.setFinalStatus("Content Moderated");
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.api.downloads() == 0);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("bfl: a 500 is retried and then succeeds", "[bfl][gateway]") {
  BflFixture f;
  f.api.failNext(1, 500, R"({"detail":"Internal Server Error"})");
  auto r = f.generate(R"({"prompt":"retry me","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.submits() == 2);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
}

TEST_CASE("bfl: cancel mid-job stops polling and releases the hold", "[bfl][gateway][cancel]") {
  BflFixture f;
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
  CHECK(f.api.polls() == polls);
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}
