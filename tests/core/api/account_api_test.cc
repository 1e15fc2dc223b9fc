// POST /api/v1/register, GET /api/v1/me, GET /api/v1/usage over HTTP.
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

using aigate::testing::TestGateway;

TEST_CASE("register creates a free user whose key works at once", "[api][account]") {
  TestGateway gw;
  auto r = gw.post("/api/v1/register", R"({"email":"new@example.com"})");
  REQUIRE(r.status == 201);
  const auto body = r.json();
  CHECK(body["tier"] == "free");
  CHECK(body["credits_balance"] == 100);
  CHECK(body["user_id"].get<std::string>().rfind("usr_", 0) == 0);
  const std::string key = body["api_key"];
  CHECK(key.rfind("sk-aigate-", 0) == 0);
  CHECK(key.size() >= 10 + 22);  // at least 128 bits of base62

  auto me = gw.get("/api/v1/me", key);
  REQUIRE(me.status == 200);
  CHECK(me.json()["user_id"] == body["user_id"]);
  CHECK(me.json()["email"] == "new@example.com");

  // Only a hash of the key is stored.
  auto& db = gw.store().reader().db();
  SQLite::Statement q(db, "SELECT COUNT(*) FROM api_keys WHERE prefix = ? OR hash = ?");
  q.bind(1, key);
  q.bind(2, key);
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getInt() == 0);
}

TEST_CASE("an email registers once", "[api][account]") {
  TestGateway gw;
  REQUIRE(gw.post("/api/v1/register", R"({"email":"twice@example.com"})").status == 201);
  auto again = gw.post("/api/v1/register", R"({"email":"TWICE@example.com"})");
  CHECK(again.status == 409);
  CHECK(again.json()["error"] == "email_taken");
}

TEST_CASE("registration can be closed", "[api][account]") {
  TestGateway gw([](auto& c) { c.registration.open = false; });
  auto r = gw.post("/api/v1/register", R"({"email":"closed@example.com"})");
  CHECK(r.status == 403);
  CHECK(r.json()["error"] == "registration_closed");
}

TEST_CASE("/me shows tier, balance, features and limits", "[api][account]") {
  TestGateway gw;
  auto free_user = gw.createUser("free@example.com");
  auto me = gw.get("/api/v1/me", free_user.api_key);
  REQUIRE(me.status == 200);
  auto body = me.json();
  CHECK(body["tier"] == "free");
  CHECK(body["tier_level"] == 0);
  CHECK(body["credits_balance"] == 100);
  CHECK(body["features"] == nlohmann::json{{"video", false},
                                           {"byok", false},
                                           {"webhooks", false},
                                           {"smart_routing", false}});
  CHECK(body["limits"] == nlohmann::json{{"requests_per_minute", 60}, {"concurrent_generations", 2}});

  auto scale = gw.createUser("scale@example.com", "scale");
  auto scale_me = gw.get("/api/v1/me", scale.api_key).json();
  CHECK(scale_me["tier"] == "scale");
  CHECK(scale_me["tier_level"] == 3);
  CHECK(scale_me["credits_balance"] == 35100);
  CHECK(scale_me["features"]["byok"] == true);
  CHECK(scale_me["features"]["video"] == true);
  CHECK(scale_me["limits"]["requests_per_minute"] == 600);

  auto starter = gw.createUser("starter@example.com", "starter");
  auto starter_me = gw.get("/api/v1/me", starter.api_key).json();
  CHECK(starter_me["features"]["video"] == true);
  CHECK(starter_me["features"]["webhooks"] == false);
}

TEST_CASE("/usage lists ledger entries newest first, paginated", "[api][account]") {
  TestGateway gw;
  auto account = gw.createUser("usage@example.com", "pro");
  auto page = gw.get("/api/v1/usage?limit=1", account.api_key);
  REQUIRE(page.status == 200);
  auto body = page.json();
  CHECK(body["total"] == 2);
  REQUIRE(body["items"].size() == 1);
  CHECK(body["items"][0]["kind"] == "grant");
  CHECK(body["items"][0]["amount"] == 12000);
  CHECK(body["items"][0]["note"] == "pack pro");
  CHECK(body["credits_balance"] == 12100);

  // Query parameters are URL-decoded ("%31" is "1").
  auto next = gw.get("/api/v1/usage?limit=%31&offset=1", account.api_key).json();
  REQUIRE(next["items"].size() == 1);
  CHECK(next["items"][0]["amount"] == 100);
  CHECK(gw.get("/api/v1/usage?limit=101", account.api_key).status == 400);
}
