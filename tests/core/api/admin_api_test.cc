// /admin/v1 over HTTP: the operator's users, packs, grants and keys.
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

using aigate::testing::kAdminToken;
using aigate::testing::TestGateway;

TEST_CASE("the admin API needs the operator token", "[api][admin]") {
  TestGateway gw;
  CHECK(gw.get("/admin/v1/users/x").json()["error"] == "missing_api_key");
  auto wrong = gw.get("/admin/v1/users/x", "not-the-token");
  CHECK(wrong.status == 401);
  CHECK(wrong.json()["error"] == "invalid_api_key");
  auto user = gw.createUser("u@example.com");
  CHECK(gw.get("/admin/v1/users/x", user.api_key).status == 401);  // a user key is not enough
}

TEST_CASE("with no operator token the admin API is off", "[api][admin]") {
  aigate::testing::TempDir unused;
  TestGateway gw;
  // A gateway whose App has no token refuses every token.
  aigate::api::App off(gw.config(), gw.store(), gw.storage(), "");
  aigate::api::Server server(off, aigate::api::serverOptions(gw.config(), "127.0.0.1", 0));
  server.start();
  aigate::testing::HttpClient client;
  auto r = client.request("GET", "http://127.0.0.1:" + std::to_string(server.port()) +
                                     "/admin/v1/users/x",
                          "", {"Authorization: Bearer anything"});
  CHECK(r.status == 401);
  CHECK(r.json()["message"] == "The admin API is off: set the admin token.");
  server.shutdown(std::chrono::milliseconds(1000));
}

TEST_CASE("the operator creates users with packs and reads them back", "[api][admin]") {
  TestGateway gw;
  auto created = gw.post("/admin/v1/users", R"({"email":"op@example.com","pack":"creator"})",
                         kAdminToken);
  REQUIRE(created.status == 201);
  auto body = created.json();
  CHECK(body["tier"] == "creator");
  CHECK(body["credits_balance"] == 4100);
  const std::string key = body["api_key"];
  CHECK(gw.get("/api/v1/me", key).json()["tier"] == "creator");

  auto read = gw.get("/admin/v1/users/" + body["user_id"].get<std::string>(), kAdminToken);
  REQUIRE(read.status == 200);
  CHECK(read.json()["email"] == "op@example.com");
  auto by_email = gw.get("/admin/v1/users/op%40example.com", kAdminToken);
  CHECK(by_email.json()["user_id"] == body["user_id"]);

  CHECK(gw.get("/admin/v1/users/usr_missing", kAdminToken).status == 404);
  auto bad_pack = gw.post("/admin/v1/users", R"({"email":"p@example.com","pack":"gold"})", kAdminToken);
  CHECK(bad_pack.status == 400);
  CHECK(bad_pack.json()["field"] == "pack");
}

TEST_CASE("the tier is the highest pack ever bought", "[api][admin]") {
  TestGateway gw;
  auto user = gw.createUser("tiers@example.com");
  const std::string path = "/admin/v1/users/" + user.user_id + "/credits";
  CHECK(gw.post(path, R"({"pack":"starter"})", kAdminToken).json()["tier"] == "starter");
  CHECK(gw.post(path, R"({"pack":"scale"})", kAdminToken).json()["tier"] == "scale");
  auto after = gw.post(path, R"({"pack":"starter"})", kAdminToken).json();
  CHECK(after["tier"] == "scale");
  CHECK(after["tier_level"] == 3);
  CHECK(after["credits_balance"] == 100 + 1200 + 35000 + 1200);
  CHECK(gw.get("/api/v1/me", user.api_key).json()["tier"] == "scale");
}

TEST_CASE("the operator grants credits", "[api][admin]") {
  TestGateway gw;
  auto user = gw.createUser("grant@example.com");
  const std::string path = "/admin/v1/users/" + user.user_id + "/credits";
  auto granted = gw.post(path, R"({"credits":250,"note":"support refund"})", kAdminToken);
  REQUIRE(granted.status == 200);
  CHECK(granted.json()["credits_balance"] == 350);
  CHECK(granted.json()["tier"] == "free");
  auto usage = gw.get("/api/v1/usage", user.api_key).json();
  CHECK(usage["items"][0]["note"] == "support refund");

  CHECK(gw.post(path, R"({"credits":5,"pack":"pro"})", kAdminToken).status == 400);
  CHECK(gw.post(path, R"({})", kAdminToken).status == 400);
  CHECK(gw.post(path, R"({"credits":-5})", kAdminToken).json()["field"] == "credits");
  CHECK(gw.post(path, R"({"credits":"5"})", kAdminToken).json()["field"] == "credits");
  CHECK(gw.post("/admin/v1/users/usr_nobody/credits", R"({"credits":5})", kAdminToken).status == 404);
  CHECK(gw.get("/api/v1/me", user.api_key).json()["credits_balance"] == 350);
}

TEST_CASE("the operator issues and revokes keys", "[api][admin]") {
  TestGateway gw;
  auto user = gw.createUser("keys@example.com");
  auto issued = gw.post("/admin/v1/users/" + user.user_id + "/keys", R"({"name":"ci"})", kAdminToken);
  REQUIRE(issued.status == 201);
  const std::string second = issued.json()["api_key"];
  CHECK(issued.json()["prefix"] == second.substr(0, 14) + "...");
  CHECK(gw.get("/api/v1/me", second).status == 200);
  CHECK(gw.get("/api/v1/me", user.api_key).status == 200);

  // Revoking by the key itself works too, and only that key stops.
  auto revoked = gw.del("/admin/v1/keys/" + second, kAdminToken);
  REQUIRE(revoked.status == 200);
  CHECK(gw.get("/api/v1/me", second).status == 401);
  CHECK(gw.get("/api/v1/me", user.api_key).status == 200);
  CHECK(gw.del("/admin/v1/keys/key_nope", kAdminToken).status == 404);
}
