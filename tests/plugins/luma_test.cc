// The luma plugin: its recorded exchanges (plugins/luma/replay), the events
// the replay kit cannot script (cancel, waits), its settings, and whole
// generations through a real gateway against a fake of Luma's API.
#include <sys/wait.h>

#include <aigate/replay.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/credits/ledger.h"
#include "luma_plugin.hpp"
#include "tests/fakes/luma_api.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::luma::LumaPlugin;
using aigate::sdk::Event;
using aigate::testing::FakeLumaApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "luma-test-secret-0123456789";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant

json step(LumaPlugin& plugin, json event) {
  if (!event.contains("credential")) event["credential"] = {{"api_key", kKey}};
  return plugin.step(Event(std::move(event))).toJson();
}

json startImage(LumaPlugin& plugin) {
  return step(plugin, {{"event", "start"},
                       {"job_id", "job_1"},
                       {"request",
                        {{"kind", "image"},
                         {"prompt", "a quiet harbour"},
                         {"aspect_ratio", "1:1"},
                         {"model", "photon-1"}}},
                       {"state", nullptr}});
}

json respond(LumaPlugin& plugin, const json& action, int status, const std::string& body,
             json headers = json::object()) {
  return step(plugin, {{"event", "http_response"},
                       {"status", status},
                       {"headers", headers},
                       {"body", body},
                       {"state", action["state"]}});
}

}  // namespace

// --- replays ------------------------------------------------------------------

TEST_CASE("luma: every recorded exchange replays", "[luma][replay]") {
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(AIGATE_LUMA_REPLAY_DIR))
    if (entry.path().extension() == ".json") scripts.push_back(entry.path());
  std::sort(scripts.begin(), scripts.end());
  REQUIRE(scripts.size() >= 15);
  for (const auto& script : scripts) {
    const auto result = aigate::sdk::replayFile<LumaPlugin>(script.string());
    INFO(script.filename().string() << ": " << result.problem);
    CHECK(result.ok);
    // Whatever happened, the key never reached a state the host would store.
    for (const auto& action : result.actions)
      CHECK(action.value("state", json()).dump().find("luma-test-key") == std::string::npos);
  }
}

TEST_CASE("luma: a 429 waits as long as Retry-After says and resends", "[luma][replay]") {
  const auto result = aigate::sdk::replayFile<LumaPlugin>(std::string(AIGATE_LUMA_REPLAY_DIR) +
                                                          "/rate_limited_then_succeeds.json");
  INFO(result.problem);
  REQUIRE(result.ok);
  std::vector<int> waits;
  for (const auto& action : result.actions)
    if (action["action"] == "wait") waits.push_back(action["ms"].get<int>());
  // 7 s from the header; the default 3 s poll; 2 s for a 429 without one.
  CHECK(waits == std::vector<int>{7000, 3000, 2000});
}

TEST_CASE("luma: Retry-After is capped and retry-after-ms wins", "[luma]") {
  LumaPlugin plugin(json::object());
  const json submit = startImage(plugin);
  CHECK(respond(plugin, submit, 429, "{}", {{"retry-after", "3600"}})["ms"] == 60000);
  CHECK(respond(plugin, submit, 429, "{}",
                {{"retry-after", "2"}, {"retry-after-ms", "250"}})["ms"] == 250);
  CHECK(respond(plugin, submit, 429, "{}",
                {{"retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"}})["ms"] == 2000);
}

// --- events the replay kit cannot script -----------------------------------------

TEST_CASE("luma: cancel before Luma answered sends nothing", "[luma][cancel]") {
  LumaPlugin plugin(json::object());
  const json submit = startImage(plugin);
  REQUIRE(submit["action"] == "http");
  const json canceled = step(plugin, {{"event", "cancel"}, {"state", submit["state"]}});
  CHECK(canceled["action"] == "fail");
  CHECK(canceled["code"] == "canceled");
  CHECK(canceled["retryable"] == false);
}

TEST_CASE("luma: cancel after submission deletes the generation", "[luma][cancel]") {
  LumaPlugin plugin(json{{"base_url", "https://luma.example/dream-machine/v1"}});
  const json submit = startImage(plugin);
  const json wait = respond(plugin, submit, 201, R"({"id":"g-1","state":"queued"})");
  REQUIRE(wait["action"] == "wait");
  const json poll = step(plugin, {{"event", "timer"}, {"state", wait["state"]}});
  REQUIRE(poll["action"] == "http");
  CHECK(poll["request"]["method"] == "GET");

  const json del = step(plugin, {{"event", "cancel"}, {"state", poll["state"]}});
  REQUIRE(del["action"] == "http");
  CHECK(del["request"]["method"] == "DELETE");
  CHECK(del["request"]["url"] == "https://luma.example/dream-machine/v1/generations/g-1");
  CHECK(del["request"]["headers"]["authorization"] == std::string("Bearer ") + kKey);
  CHECK(del["state"].dump().find(kKey) == std::string::npos);

  const json answered = respond(plugin, del, 204, "");
  CHECK(answered["code"] == "canceled");
  CHECK(answered["retryable"] == false);
  const json unreachable =
      step(plugin, {{"event", "http_error"}, {"message", "timeout"}, {"state", del["state"]}});
  CHECK(unreachable["code"] == "canceled");
}

TEST_CASE("luma: a timer resends with the credential of the event", "[luma]") {
  LumaPlugin plugin(json::object());
  const json submit = startImage(plugin);
  const json wait = respond(plugin, submit, 429, "{}");
  REQUIRE(wait["action"] == "wait");
  const json again = step(
      plugin,
      {{"event", "timer"}, {"state", wait["state"]}, {"credential", {{"api_key", "rotated-key"}}}});
  CHECK(again["request"]["method"] == "POST");
  CHECK(again["request"]["body"] == submit["request"]["body"]);
  CHECK(again["request"]["headers"]["authorization"] == "Bearer rotated-key");
}

TEST_CASE("luma: progress follows Luma's states", "[luma]") {
  LumaPlugin plugin(json{{"poll_ms", 10}});
  const json submit = startImage(plugin);
  const json queued = respond(plugin, submit, 201, R"({"id":"g","state":"queued"})");
  CHECK(queued["ms"] == 10);
  CHECK(queued["progress"] == 0.1);
  const json dreaming = respond(plugin, queued, 200, R"({"id":"g","state":"dreaming"})");
  CHECK(dreaming["progress"] == 0.5);
}

TEST_CASE("luma: a state that is not ours is refused without a crash", "[luma]") {
  LumaPlugin plugin(json::object());
  for (const json& state : {json(nullptr), json("text"), json{{"phase", "poll"}}}) {
    const json action = step(plugin, {{"event", "timer"}, {"state", state}});
    CHECK(action["action"] == "fail");
    CHECK(action["code"] == "plugin_error");
  }
}

// --- settings and description --------------------------------------------------------

TEST_CASE("luma: bad settings are refused with the setting's name", "[luma][settings]") {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"base_url", "api.lumalabs.ai"}}, "base_url"},
      {{{"base_url", 3}}, "base_url"},
      {{{"poll_ms", 0}}, "poll_ms"},
      {{{"poll_ms", "fast"}}, "poll_ms"},
      {{{"timeout_ms", 10}}, "timeout_ms"},
      {{{"video_resolution", "8k"}}, "video_resolution"},
      {{{"video_duration", "10s"}}, "video_duration"},
      {{{"api_version", "v2"}}, "api_version"},
      {json::array(), "object"},
  };
  for (const auto& [settings, name] : bad) {
    INFO(settings.dump());
    try {
      LumaPlugin plugin(settings);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).find(name) != std::string::npos);
    }
  }
  CHECK_NOTHROW(LumaPlugin(json{{"base_url", "http://127.0.0.1:1/dream-machine/v1/"},
                                {"poll_ms", 5},
                                {"timeout_ms", 500},
                                {"video_resolution", "4k"},
                                {"video_duration", "9s"}}));
}

TEST_CASE("luma: the description lists every ratio and both kinds", "[luma]") {
  const json d = LumaPlugin::describe();
  CHECK(d["name"] == "luma");
  CHECK(d["kinds"] == json{"image", "video"});
  CHECK(d["aspect_ratios"].size() == 9);
  CHECK(d["can_cancel"] == true);
  CHECK(d["local"] == false);
}

// --- through the gateway ------------------------------------------------------------------

namespace {

// A gateway whose only image and video provider is "luma" on `api`.
struct LumaFixture {
  FakeLumaApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  // `gateway_key` is the key the gateway is given; the fake accepts kKey only.
  explicit LumaFixture(const std::string& gateway_key = kKey) {
    ::setenv("AIGATE_TEST_LUMA_KEY", gateway_key.c_str(), 1);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_LUMA_PLUGIN};
      aigate::config::ProviderConfig luma;
      luma.name = "luma";
      luma.plugin = "luma";
      luma.settings_json = json{{"base_url", api.baseUrl()}, {"poll_ms", 20}}.dump();
      luma.api_key_env = "AIGATE_TEST_LUMA_KEY";
      c.providers = {luma};
      c.generation.image = {"luma"};
      c.generation.video = {"luma"};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser("luma@example.com", "scale");
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

TEST_CASE("luma: an image is generated through the gateway and charged once", "[luma][gateway]") {
  LumaFixture f;
  const std::string jpeg = aigate::testing::samples::jpeg(96, 128);
  f.api.setImage(jpeg, "image/jpeg");
  auto r = f.generate(R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"2:3"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "luma");
  CHECK(r.json()["credits_charged"] == 10);
  CHECK(f.api.submits() == 1);
  CHECK(f.api.polls() == 3);  // queued, dreaming, completed
  CHECK(f.api.downloads() == 1);
  CHECK(f.api.unauthorized() == 0);
  CHECK(f.api.lastAuthorization() == std::string("Bearer ") + kKey);
  const json body = f.api.lastSubmitBody();
  CHECK(body["model"] == "photon-1");
  CHECK(body["aspect_ratio"] == "3:4");
  CHECK(body["prompt"] == "a lighthouse in fog");

  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == jpeg);
  CHECK(r.json()["asset"]["source"] == "generated");
  CHECK(r.json()["asset"]["width"] == 96);

  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("luma: a video is polled to the end through the gateway", "[luma][gateway]") {
  LumaFixture f;
  auto r = f.gw->post(
      "/api/v1/generate/video",
      R"({"prompt":"waves on a black sand beach","force_gen":true,"aspect_ratio":"9:16"})",
      f.user.api_key);
  INFO(r.body);
  REQUIRE(r.status == 202);
  const json job = f.waitForJob(r.json()["job"]["id"]);
  INFO(job.dump());
  REQUIRE(job["status"] == "succeeded");
  CHECK(job["asset"]["type"] == "video");
  const json body = f.api.lastSubmitBody();
  CHECK(body["model"] == "ray-2");
  CHECK(body["aspect_ratio"] == "9:16");
  CHECK(body["resolution"] == "720p");
  CHECK(body["duration"] == "5s");
  CHECK(f.api.log().front() == "POST /dream-machine/v1/generations/video");
  CHECK(f.books().balance == kScaleCredits - 100);
  CHECK(f.books().held == 0);
  CHECK_FALSE(f.keyStored());
}

TEST_CASE("luma: a moderation failure is final: 502 and nothing charged", "[luma][gateway]") {
  LumaFixture f;
  f.api.setFailureReason("Advanced prompt moderation failed");
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("luma: a refused body is final: 502 invalid_request", "[luma][gateway]") {
  LumaFixture f;
  auto r = f.generate(R"({"prompt":"ox","force_gen":true})");  // Luma wants 3 characters
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["provider_error"] == "invalid_request");
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
}

TEST_CASE("luma: a 500 is retried and then succeeds", "[luma][gateway]") {
  LumaFixture f;
  f.api.failNext(1, 500, R"({"detail":"Internal Server Error"})");
  auto r = f.generate(R"({"prompt":"retry me","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.submits() == 2);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
}

TEST_CASE("luma: a 429 is waited out as Retry-After asks", "[luma][gateway]") {
  LumaFixture f;
  f.api.failNext(1, 429, R"({"detail":"Too many requests"})", {{"Retry-After", "1"}});
  const auto started = std::chrono::steady_clock::now();
  auto r = f.generate(R"({"prompt":"patience","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(900));
  CHECK(f.api.submits() == 2);
  CHECK(f.books().balance == kScaleCredits - 10);
}

TEST_CASE("luma: garbage is retried then the job fails uncharged", "[luma][gateway]") {
  LumaFixture f;
  f.api.setGarbage(true);
  auto r = f.generate(R"({"prompt":"garbage in","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["error"] == "generation_unavailable");
  CHECK(f.api.submits() == 3);  // generation.max_attempts
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("luma: a key Luma refuses is not retried", "[luma][gateway]") {
  LumaFixture f("not-the-key");
  auto r = f.generate(R"({"prompt":"who am i","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["provider_error"] == "unauthorized");
  CHECK(f.api.unauthorized() == 1);
  CHECK(f.api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
}

TEST_CASE("luma: cancel mid-job deletes the generation upstream and releases the hold",
          "[luma][gateway][cancel]") {
  LumaFixture f;
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

TEST_CASE("luma: the official lumaai client accepts the fake's answers", "[luma][conformance]") {
  // Needs node and lumaai (npm install --prefix tests/conformance, or
  // $AIGATE_CONFORMANCE_DIR/node_modules): skipped with a warning otherwise.
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    WARN("skipped: node is not installed");
    return;
  }
  FakeLumaApi api(kKey);
  const auto [code, output] = runConformance("luma.mjs", api.baseUrl() + " " + kKey);
  if (code == 77) {
    WARN(output);
    return;
  }
  INFO(output);
  CHECK(code == 0);
  CHECK(api.lastAuthorization() == std::string("Bearer ") + kKey);
  CHECK(api.submits() == 4);  // video, image, the 400, the 422
  CHECK(api.polls() == 8);    // 3 each to completed, the 401, the 404 after delete
  CHECK(api.unauthorized() == 1);
  CHECK(api.deletes() == 2);
  CHECK(api.downloads() == 2);
}
