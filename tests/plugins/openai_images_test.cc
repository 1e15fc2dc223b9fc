// The openai_images plugin: its recorded exchanges (plugins/openai_images/
// replay), what the replay kit cannot script (cancel, wait lengths, size
// mapping, settings), the fake of OpenAI's API itself, and whole generations
// through a real gateway against that fake.
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
#include <vector>

#include "core/credits/ledger.h"
#include "core/http/transfer.h"
#include "openai_images_plugin.hpp"
#include "tests/fakes/openai_api.h"
#include "tests/support/http_client.h"
#include "tests/support/media_samples.h"
#include "tests/support/test_gateway.h"

using aigate::plugins::openai_images::OpenAiImagesPlugin;
using aigate::sdk::Event;
using aigate::testing::FakeOpenAiApi;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "sk-openai-test-secret-0123456789";
constexpr int64_t kScaleCredits = 35000 + 100;  // the pack and the registration grant

json step(OpenAiImagesPlugin& plugin, json event) {
  if (!event.contains("credential")) event["credential"] = {{"api_key", kKey}};
  return plugin.step(Event(std::move(event))).toJson();
}

json start(OpenAiImagesPlugin& plugin, const std::string& model, const std::string& ratio) {
  json request = {{"kind", "image"}, {"prompt", "a quiet harbour"}, {"aspect_ratio", ratio}};
  if (!model.empty()) request["model"] = model;
  return step(plugin,
              {{"event", "start"}, {"job_id", "job_1"}, {"request", request}, {"state", nullptr}});
}

json respond(OpenAiImagesPlugin& plugin, const json& action, int status, const std::string& body,
             json headers = json::object()) {
  return step(plugin, {{"event", "http_response"},
                       {"status", status},
                       {"headers", headers},
                       {"body", body},
                       {"state", action["state"]}});
}

const std::string kRateLimited =
    R"({"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}})";

}  // namespace

// --- replays ------------------------------------------------------------------

TEST_CASE("openai_images: every recorded exchange replays", "[openai_images][replay]") {
  int scripts = 0;
  for (const auto& entry : std::filesystem::directory_iterator(AIGATE_OPENAI_IMAGES_REPLAY_DIR)) {
    if (entry.path().extension() != ".json") continue;
    ++scripts;
    const auto result = aigate::sdk::replayFile<OpenAiImagesPlugin>(entry.path().string());
    INFO(entry.path().filename().string() << ": " << result.problem);
    CHECK(result.ok);
  }
  CHECK(scripts >= 20);
}

// --- the plugin alone -----------------------------------------------------------

TEST_CASE("openai_images: describes an image-only provider that cannot cancel", "[openai_images]") {
  const json d = OpenAiImagesPlugin::describe();
  CHECK(d["name"] == "openai_images");
  CHECK(d["kinds"] == json::array({"image"}));
  CHECK(d["default_model"] == "gpt-image-1");
  CHECK(d["can_cancel"] == false);
  CHECK(d["local"] == false);
  CHECK(d["aspect_ratios"].size() == 9);
}

TEST_CASE("openai_images: each aspect ratio maps to the nearest size of each model",
          "[openai_images]") {
  OpenAiImagesPlugin plugin(json::object());
  struct Case {
    const char* ratio;
    const char* gpt_image;
    const char* dalle3;
  };
  const std::vector<Case> cases = {
      {"1:1", "1024x1024", "1024x1024"},  {"16:9", "1536x1024", "1792x1024"},
      {"9:16", "1024x1536", "1024x1792"}, {"4:5", "1024x1536", "1024x1024"},
      {"3:4", "1024x1536", "1024x1792"},  {"4:3", "1536x1024", "1792x1024"},
      {"2:3", "1024x1536", "1024x1792"},  {"3:2", "1536x1024", "1792x1024"},
      {"21:9", "1536x1024", "1792x1024"}};
  for (const auto& c : cases) {
    INFO(c.ratio);
    const json gpt =
        json::parse(start(plugin, "gpt-image-1", c.ratio)["request"]["body"].get<std::string>());
    CHECK(gpt["size"] == c.gpt_image);
    CHECK_FALSE(gpt.contains("response_format"));
    const json dalle3 =
        json::parse(start(plugin, "dall-e-3", c.ratio)["request"]["body"].get<std::string>());
    CHECK(dalle3["size"] == c.dalle3);
    CHECK(dalle3["response_format"] == "b64_json");
    const json dalle2 =
        json::parse(start(plugin, "dall-e-2", c.ratio)["request"]["body"].get<std::string>());
    CHECK(dalle2["size"] == "1024x1024");
  }
  const json odd = start(plugin, "gpt-image-1", "5:4");
  CHECK(odd["action"] == "fail");
  CHECK(odd["code"] == "invalid_request");
}

TEST_CASE("openai_images: the request is well formed and the key stays out of the state",
          "[openai_images]") {
  OpenAiImagesPlugin plugin({{"base_url", "https://api.openai.com/"}, {"timeout_ms", 90'000}});
  const json action = start(plugin, "gpt-image-1", "16:9");
  REQUIRE(action["action"] == "http");
  CHECK(action["request"]["method"] == "POST");
  CHECK(action["request"]["url"] == "https://api.openai.com/v1/images/generations");
  CHECK(action["request"]["headers"]["authorization"] == std::string("Bearer ") + kKey);
  CHECK(action["request"]["timeout_ms"] == 90'000);
  const json body = json::parse(action["request"]["body"].get<std::string>());
  CHECK(body == json{{"model", "gpt-image-1"},
                     {"prompt", "a quiet harbour"},
                     {"n", 1},
                     {"size", "1536x1024"}});
  CHECK(action["state"].dump().find(kKey) == std::string::npos);
}

TEST_CASE("openai_images: a 429 waits as long as asked then resends the same request",
          "[openai_images]") {
  OpenAiImagesPlugin plugin(json::object());
  const json first = start(plugin, "gpt-image-1", "1:1");
  json wait = respond(plugin, first, 429, kRateLimited, {{"retry-after", "7"}});
  REQUIRE(wait["action"] == "wait");
  CHECK(wait["ms"] == 7000);
  CHECK(wait["state"].dump().find(kKey) == std::string::npos);
  const json again = step(plugin, {{"event", "timer"}, {"state", wait["state"]}});
  REQUIRE(again["action"] == "http");
  CHECK(again["request"] == first["request"]);

  CHECK(respond(plugin, again, 429, kRateLimited,
                {{"retry-after-ms", "1500"}, {"retry-after", "2"}})["ms"] == 1500);
  CHECK(respond(plugin, again, 429, kRateLimited)["ms"] == 2000);  // nothing said: the default
  CHECK(respond(plugin, again, 429, kRateLimited, {{"retry-after", "3600"}})["ms"] == 60'000);
  CHECK(respond(plugin, again, 429, kRateLimited,
                {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}})["ms"] == 2000);

  // Five waits in a row at most: the sixth 429 fails, retryable.
  json state = wait["state"];
  for (int i = 0; i < 5; ++i) {
    const json resend = step(plugin, {{"event", "timer"}, {"state", state}});
    const json next = respond(plugin, resend, 429, kRateLimited, {{"retry-after", "0"}});
    REQUIRE(next["action"] == (i < 4 ? "wait" : "fail"));
    if (next["action"] == "fail") {
      CHECK(next["code"] == "rate_limited");
      CHECK(next["retryable"] == true);
    }
    state = next.value("state", json());
  }
}

TEST_CASE("openai_images: cancel fails at once and sends nothing", "[openai_images]") {
  OpenAiImagesPlugin plugin(json::object());
  const json sent = start(plugin, "gpt-image-1", "1:1");
  const json canceled = step(plugin, {{"event", "cancel"}, {"state", sent["state"]}});
  CHECK(canceled["action"] == "fail");
  CHECK(canceled["code"] == "canceled");
  CHECK(canceled["retryable"] == false);
  const json before_start = step(plugin, {{"event", "cancel"}, {"state", nullptr}});
  CHECK(before_start["code"] == "canceled");
}

TEST_CASE("openai_images: odd events and states fail cleanly", "[openai_images]") {
  OpenAiImagesPlugin plugin(json::object());
  CHECK(step(plugin, {{"event", "timer"}, {"state", nullptr}})["code"] == "plugin_error");
  CHECK(step(plugin, {{"event", "timer"}, {"state", {{"phase", "poll"}}}})["code"] ==
        "plugin_error");
  CHECK(step(plugin, {{"event", "bogus"}, {"state", json::object()}})["code"] == "plugin_error");
  const json sent = start(plugin, "gpt-image-1", "1:1");
  for (const char* body :
       {"", "[]", "null", R"({"data":"x"})", R"({"data":[1]})", R"({"data":[{"b64_json":7}]})"}) {
    INFO(body);
    const json failed = respond(plugin, sent, 200, body);
    CHECK(failed["code"] == "upstream_error");
    CHECK(failed["retryable"] == true);
  }
  const json redirect = respond(plugin, sent, 302, "");
  CHECK(redirect["code"] == "upstream_error");
  CHECK(respond(plugin, sent, 408, "")["retryable"] == true);
}

TEST_CASE("openai_images: bad settings are refused with a clear message", "[openai_images]") {
  CHECK_NOTHROW(OpenAiImagesPlugin(json(nullptr)));
  CHECK_NOTHROW(OpenAiImagesPlugin({{"base_url", "http://127.0.0.1:1"},
                                    {"poll_ms", 10},
                                    {"output_format", "jpeg"},
                                    {"quality", "low"},
                                    {"organization", "org-1"},
                                    {"project", "proj_1"}}));
  const auto refused = [](const json& settings, const std::string& words) {
    try {
      OpenAiImagesPlugin plugin(settings);
    } catch (const std::invalid_argument& e) {
      INFO(e.what());
      return std::string(e.what()).find(words) != std::string::npos;
    }
    return false;
  };
  CHECK(refused(json::array(), "JSON object"));
  CHECK(refused({{"base_url", "ftp://x"}}, "base_url"));
  CHECK(refused({{"base_url", "https://api.openai.com/v1"}}, "/v1"));
  CHECK(refused({{"base_url", 3}}, "base_url"));
  CHECK(refused({{"timeout_ms", 0}}, "timeout_ms"));
  CHECK(refused({{"output_format", "gif"}}, "output_format"));
  CHECK(refused({{"quality", "hd"}}, "quality"));
  CHECK(refused({{"organization", 1}}, "organization"));
  CHECK(refused({{"api_key", "sk-no"}}, "unknown setting"));
}

// --- the fake -----------------------------------------------------------------

TEST_CASE("openai_images: the fake answers like OpenAI", "[openai_images][fakes]") {
  FakeOpenAiApi api(kKey);
  aigate::testing::HttpClient client;
  const std::string url = api.baseUrl() + "/v1/images/generations";
  const std::vector<std::string> auth = {std::string("Authorization: Bearer ") + kKey,
                                         "Content-Type: application/json"};
  const std::string png = aigate::testing::samples::png(32, 32);
  api.setImage(png);

  auto none = client.request("POST", url, R"({"prompt":"x"})", {"Content-Type: application/json"});
  CHECK(none.status == 401);
  CHECK(none.json()["error"]["code"].is_null());
  auto wrong = client.request("POST", url, R"({"prompt":"x"})", {"Authorization: Bearer sk-wrong"});
  CHECK(wrong.status == 401);
  CHECK(wrong.json()["error"]["code"] == "invalid_api_key");

  auto gpt = client.request("POST", url,
                            R"({"model":"gpt-image-1","prompt":"a cat","size":"1536x1024"})", auth);
  REQUIRE(gpt.status == 200);
  CHECK(aigate::http::decodeBase64(gpt.json()["data"][0]["b64_json"].get<std::string>()) == png);
  CHECK(gpt.json()["size"] == "1536x1024");
  CHECK(gpt.json()["usage"]["total_tokens"].is_number_integer());

  auto dalle = client.request("POST", url, R"({"model":"dall-e-3","prompt":"a cat"})", auth);
  REQUIRE(dalle.status == 200);
  CHECK(dalle.json()["data"][0]["revised_prompt"].is_string());
  const auto file = client.request("GET", dalle.json()["data"][0]["url"].get<std::string>());
  CHECK(file.status == 200);
  CHECK(file.body == png);
  CHECK(api.downloads() == 1);

  const auto refusal = [&](const std::string& body) {
    const auto r = client.request("POST", url, body, auth);
    INFO(body << " → " << r.body);
    CHECK(r.status == 400);
    return r.json()["error"].value("code", json()).is_string()
               ? r.json()["error"]["code"].get<std::string>()
               : std::string();
  };
  CHECK(refusal(R"({"model":"gpt-image-1","prompt":"a","response_format":"b64_json"})") ==
        "unknown_parameter");
  CHECK(refusal(R"({"model":"dall-e-3","prompt":"a","size":"1536x1024"})") == "invalid_value");
  CHECK(refusal(R"({"model":"dall-e-2","prompt":"a","output_format":"png"})") ==
        "unknown_parameter");
  CHECK(refusal(R"({"model":"dall-e-3","prompt":"a","n":2})").empty());
  CHECK(refusal(R"({"model":"gpt-image-1"})") == "missing_required_parameter");
  CHECK(refusal(R"({"model":"dall-e-2","prompt":")" + std::string(1001, 'x') + R"("})") ==
        "string_above_max_length");
  CHECK(refusal("not json").empty());
  CHECK(refusal(R"({"model":7,"prompt":"a"})") == "invalid_type");
  api.setBlockedWord("forbidden");
  CHECK(refusal(R"({"model":"gpt-image-1","prompt":"a forbidden cat"})") == "moderation_blocked");
  CHECK(refusal(R"({"model":"dall-e-3","prompt":"a forbidden cat"})") ==
        "content_policy_violation");

  api.rateLimitNext(1, 1500);
  const auto limited = client.request("POST", url, R"({"model":"gpt-image-1","prompt":"a"})", auth);
  CHECK(limited.status == 429);
  CHECK(limited.header("retry-after-ms") == "1500");
  CHECK(limited.header("retry-after") == "2");
  CHECK(api.lastBody()["prompt"] == "a");
  CHECK(api.lastAuthorization() == std::string("Bearer ") + kKey);
  CHECK(client.request("GET", api.baseUrl() + "/v1/models", "", auth).status == 404);
}

// --- through the gateway --------------------------------------------------------

namespace {

// A gateway whose only image provider is "openai_images" on `api`.
struct OpenAiFixture {
  FakeOpenAiApi api{kKey};
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  explicit OpenAiFixture(json settings = json::object()) {
    ::setenv("AIGATE_TEST_OPENAI_KEY", kKey, 1);
    settings["base_url"] = api.baseUrl();
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_OPENAI_IMAGES_PLUGIN};
      aigate::config::ProviderConfig provider;
      provider.name = "openai_images";
      provider.plugin = "openai_images";
      provider.settings_json = settings.dump();
      provider.api_key_env = "AIGATE_TEST_OPENAI_KEY";
      c.providers = {provider};
      c.generation.image = {"openai_images"};
      c.generation.retry_base_ms = 20;
    });
    user = gw->createUser("openai@example.com", "scale");
  }

  aigate::credits::Balance books() {
    auto b = aigate::credits::balanceOf(gw->store().reader(), user.user_id);
    REQUIRE(b.ok());
    return b.value();
  }

  aigate::testing::HttpResponse generate(const std::string& body) {
    return gw->post("/api/v1/generate/image", body, user.api_key);
  }

  int jobsHoldingTheKey() {
    auto& q = gw->store().reader().statement(
        "SELECT COUNT(*) FROM jobs WHERE instr(COALESCE(state,'') || COALESCE(pending,'') ||"
        " request, ?) > 0");
    q.bind(1, kKey);
    REQUIRE(q.executeStep());
    const int count = q.getColumn(0).getInt();
    q.reset();
    return count;
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
};

}  // namespace

TEST_CASE("openai_images: a gpt-image-1 generation through the gateway is stored and charged once",
          "[openai_images][gateway]") {
  OpenAiFixture f;
  const std::string png = aigate::testing::samples::png(96, 64);
  f.api.setImage(png);
  auto r = f.generate(R"({"prompt":"a lighthouse in fog","force_gen":true,"aspect_ratio":"16:9"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "openai_images");
  CHECK(r.json()["credits_charged"] == 10);
  CHECK(f.api.generations() == 1);
  CHECK(f.api.lastAuthorization() == std::string("Bearer ") + kKey);
  CHECK(f.api.lastBody()["model"] == "gpt-image-1");
  CHECK(f.api.lastBody()["size"] == "1536x1024");

  const std::string url = r.json()["asset"]["url"];
  auto file = f.gw->get(url.substr(url.find("/files/")));
  REQUIRE(file.status == 200);
  CHECK(file.body == png);
  CHECK(r.json()["asset"]["source"] == "generated");
  CHECK(r.json()["asset"]["width"] == 96);

  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
  CHECK(f.jobsHoldingTheKey() == 0);
}

TEST_CASE("openai_images: a dall-e-2 generation asks for base64 and is stored",
          "[openai_images][gateway]") {
  OpenAiFixture f;
  const std::string png = aigate::testing::samples::png(64, 64);
  f.api.setImage(png);
  auto r = f.generate(R"({"prompt":"a red kite","force_gen":true,"model":"dall-e-2"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.lastBody()["model"] == "dall-e-2");
  CHECK(f.api.lastBody()["response_format"] == "b64_json");
  const std::string url = r.json()["asset"]["url"];
  CHECK(f.gw->get(url.substr(url.find("/files/"))).body == png);
  CHECK(f.books().balance == kScaleCredits - 10);
}

TEST_CASE("openai_images: a content policy refusal through the gateway is 502 and free",
          "[openai_images][gateway]") {
  OpenAiFixture f;
  f.api.setBlockedWord("forbidden");
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.api.generations() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("openai_images: a 500 then a 429 through the gateway are retried to success",
          "[openai_images][gateway]") {
  OpenAiFixture f;
  f.api.failNext(1, 500);
  auto r = f.generate(R"({"prompt":"retry me","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(f.api.generations() == 2);
  f.api.rateLimitNext(2, 30);
  auto limited = f.generate(R"({"prompt":"wait for me","force_gen":true})");
  INFO(limited.body);
  REQUIRE(limited.status == 200);
  CHECK(f.api.generations() == 5);
  CHECK(f.books().balance == kScaleCredits - 20);
  CHECK(f.books().held == 0);
}

TEST_CASE("openai_images: garbage through the gateway fails after the retries and is free",
          "[openai_images][gateway]") {
  OpenAiFixture f;
  f.api.setGarbage(true);
  auto r = f.generate(R"({"prompt":"garbage in","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["error"] == "generation_unavailable");
  CHECK(f.api.generations() == 3);  // generation.max_attempts
  CHECK(f.books().balance == kScaleCredits);
}

TEST_CASE("openai_images: cancel while OpenAI is still drawing releases the hold",
          "[openai_images][gateway]") {
  OpenAiFixture f;
  f.api.setHang(true);
  auto r = f.generate(R"({"prompt":"slow one","force_gen":true,"async":true})");
  REQUIRE(r.status == 202);
  const std::string id = r.json()["job"]["id"];
  REQUIRE(f.api.waitFor([&] { return f.api.generations() == 1; }, 10'000));
  auto canceled = f.gw->del("/api/v1/jobs/" + id, f.user.api_key);
  INFO(canceled.body);
  REQUIRE(canceled.status == 200);
  CHECK(canceled.json()["job"]["status"] == "canceled");
  CHECK(canceled.json()["credits_balance"] == kScaleCredits);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.api.requests() == 1);  // OpenAI has no cancel: nothing more is sent
  CHECK(f.books().held == 0);
  f.api.setHang(false);
}

// --- conformance with the official SDK ------------------------------------------

TEST_CASE("openai_images: the official openai npm client accepts the fake's answers",
          "[openai_images][conformance]") {
  // Needs node and the `openai` package ($AIGATE_OPENAI_SDK_DIR/node_modules,
  // else $AIGATE_CONFORMANCE_DIR/node_modules, else tests/conformance/
  // node_modules; the script looks): skipped with a warning otherwise.
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    WARN("skipped: node is not installed");
    return;
  }
  FakeOpenAiApi api(kKey);
  api.setBlockedWord("forbidden");
  api.rateLimitNext(1, 50);
  const std::string command = std::string("node ") + AIGATE_SOURCE_DIR +
                              "/tests/conformance/openai_images.mjs " + api.baseUrl() + " " + kKey +
                              " forbidden 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = ::pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77) {
    WARN(output);
    return;
  }
  INFO(output);
  CHECK(code == 0);
  CHECK(api.generations() == 8);  // 429 + 200, url, b64, two refusals, unknown parameter, bad key
  CHECK(api.downloads() == 1);
}
