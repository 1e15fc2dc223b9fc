// /api/v1/byok over HTTP: Scale only, configured keyed providers only, hints
// only, and the key itself never in an answer.
#include "core/byok/keystore.h"
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

#include <cstdlib>

using aigate::testing::HttpResponse;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kCanary = "sk-canary-4e8b2a6d0c9f1e3a5b7d9c2e4f6a8b0d";

// A gateway serving "local" (takes no key), "openai" (the operator has a key
// too) and "runway" (the operator has none: BYOK only).
struct ByokFixture {
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account scale;
  TestGateway::Account pro;
  std::vector<std::string> bodies;  // every answer, searched for the canary

  ByokFixture() {
    ::setenv("AIGATE_TEST_BYOK_OPERATOR_KEY", "sk-operator-key-000000", 1);
    gw = std::make_unique<TestGateway>([](aigate::config::Config& c) {
      aigate::config::ProviderConfig openai;
      openai.name = "openai";
      openai.plugin = "openai_images";
      openai.api_key_env = "AIGATE_TEST_BYOK_OPERATOR_KEY";
      aigate::config::ProviderConfig runway;
      runway.name = "runway";
      runway.plugin = "runwayml";
      c.providers.push_back(openai);
      c.providers.push_back(runway);
    });
    scale = gw->createUser("scale@example.com", "scale");
    pro = gw->createUser("pro@example.com", "pro");
  }

  HttpResponse call(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& key) {
    std::vector<std::string> headers = {"Authorization: Bearer " + key};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    HttpResponse r = gw->send(method, path, body, headers);
    bodies.push_back(r.body);
    return r;
  }
  HttpResponse put(const std::string& provider, const std::string& body,
                   const std::string& key) {
    return call("PUT", "/api/v1/byok/" + provider, body, key);
  }
  HttpResponse list(const std::string& key) { return call("GET", "/api/v1/byok", "", key); }
  HttpResponse remove(const std::string& provider, const std::string& key) {
    return call("DELETE", "/api/v1/byok/" + provider, "", key);
  }

  ~ByokFixture() {
    for (const auto& body : bodies) CHECK(body.find(kCanary) == std::string::npos);
  }
};

std::string keyBody(const std::string& key) { return json{{"api_key", key}}.dump(); }

}  // namespace

TEST_CASE("BYOK needs the Scale tier", "[byok][api]") {
  ByokFixture f;
  for (const auto& r : {f.put("openai", keyBody(kCanary), f.pro.api_key), f.list(f.pro.api_key),
                 f.remove("openai", f.pro.api_key)}) {
    CHECK(r.status == 403);
    auto body = r.json();
    CHECK(body["error"] == "feature_not_included");
    CHECK(body["feature"] == "byok");
    CHECK(body["required_tier"] == "scale");
    CHECK(body["credits_balance"] == 12100);
  }
  CHECK(aigate::byok::listKeys(f.gw->store().reader(), f.pro.user_id).empty());
  CHECK(f.gw->get("/api/v1/byok").status == 401);
}

TEST_CASE("a key is stored, listed by its hint, replaced and deleted", "[byok][api]") {
  ByokFixture f;
  auto put = f.put("openai", keyBody(kCanary), f.scale.api_key);
  REQUIRE(put.status == 200);
  CHECK(put.json()["provider"] == "openai");
  CHECK(put.json()["key_hint"] == "\xE2\x80\xA6" "8b0d");
  CHECK(put.json()["credits_balance"] == 35100);

  auto listed = f.list(f.scale.api_key);
  REQUIRE(listed.status == 200);
  auto keys = listed.json()["keys"];
  REQUIRE(keys.size() == 1);
  CHECK(keys[0]["provider"] == "openai");
  CHECK(keys[0]["key_hint"] == "\xE2\x80\xA6" "8b0d");
  CHECK(keys[0]["created_at"].get<std::string>().back() == 'Z');
  CHECK(keys[0]["updated_at"] == keys[0]["created_at"]);
  CHECK(keys[0].size() == 4);

  // The key the executor will use is the one sent.
  auto stored = aigate::byok::decryptKey(f.gw->store().reader(), f.gw->byokKey(),
                                         f.scale.user_id, "openai");
  REQUIRE(stored.ok());
  CHECK(*stored == kCanary);

  // PUT again replaces it: still one row.
  REQUIRE(f.put("openai", keyBody("sk-second-key-00001234"), f.scale.api_key).status == 200);
  keys = f.list(f.scale.api_key).json()["keys"];
  REQUIRE(keys.size() == 1);
  CHECK(keys[0]["key_hint"] == "\xE2\x80\xA6" "1234");
  CHECK(f.gw->store().reader().db().execAndGet("SELECT count(*) FROM byok_keys").getInt() == 1);

  // A provider the operator has no key for takes the user's.
  REQUIRE(f.put("runway", keyBody(kCanary), f.scale.api_key).status == 200);
  CHECK(f.list(f.scale.api_key).json()["keys"].size() == 2);

  // Another Scale user sees none of them and cannot delete them.
  auto other = f.gw->createUser("other@example.com", "scale");
  CHECK(f.list(other.api_key).json()["keys"].empty());
  CHECK(f.remove("openai", other.api_key).status == 404);

  auto deleted = f.remove("openai", f.scale.api_key);
  REQUIRE(deleted.status == 200);
  CHECK(deleted.json()["provider"] == "openai");
  CHECK(deleted.json()["deleted"] == true);
  auto again = f.remove("openai", f.scale.api_key);
  CHECK(again.status == 404);
  CHECK(again.json()["error"] == "not_found");
  keys = f.list(f.scale.api_key).json()["keys"];
  REQUIRE(keys.size() == 1);
  CHECK(keys[0]["provider"] == "runway");
}

TEST_CASE("only a configured provider that takes a key gets one", "[byok][api]") {
  ByokFixture f;
  for (const char* provider : {"nosuch", "OpenAI", "local", "a%2Fb"}) {
    auto r = f.put(provider, keyBody(kCanary), f.scale.api_key);
    INFO(provider);
    CHECK(r.status == 400);
    CHECK(r.json()["error"] == "invalid_request");
    CHECK(r.json()["field"] == "provider");
  }
  CHECK(f.remove("nosuch", f.scale.api_key).status == 404);
  CHECK(f.list(f.scale.api_key).json()["keys"].empty());
}

TEST_CASE("a bad api_key is 400 and never echoed", "[byok][api]") {
  ByokFixture f;
  const std::string spaced = std::string(kCanary) + " tail";
  for (const std::string& body :
       {std::string(), std::string("{}"), std::string("not json"),
        json{{"api_key", 42}}.dump(), json{{"api_key", ""}}.dump(), keyBody(spaced),
        keyBody(std::string(kCanary) + "\n"), keyBody(std::string(kCanary) + "\xC3\xA9"),
        keyBody(std::string(4097, 'k'))}) {
    auto r = f.put("openai", body, f.scale.api_key);
    INFO(body);
    CHECK(r.status == 400);
    CHECK(r.json()["error"] == "invalid_request");
    CHECK(r.body.find("tail") == std::string::npos);
  }
  CHECK(f.put("openai", keyBody(std::string(4096, 'k')), f.scale.api_key).status == 200);
  CHECK(f.list(f.scale.api_key).json()["keys"].size() == 1);
}
