// Every error of API.md that the foundation can produce, over real HTTP.
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

using aigate::testing::TestGateway;

namespace {

void checkError(const aigate::testing::HttpResponse& r, long status, const std::string& code) {
  INFO(r.body);
  CHECK(r.status == status);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.json()["error"] == code);
  CHECK(r.json()["message"].is_string());
  CHECK_FALSE(r.header("x-request-id").empty());
}

}  // namespace

TEST_CASE("unknown routes are JSON 404s", "[api][errors]") {
  TestGateway gw;
  checkError(gw.get("/nope"), 404, "not_found");
  checkError(gw.get("/api/v1/nothing/here"), 404, "not_found");
}

TEST_CASE("a wrong method is a JSON 405 with Allow", "[api][errors]") {
  TestGateway gw;
  auto r = gw.del("/api/v1/me");
  checkError(r, 405, "method_not_allowed");
  CHECK(r.header("allow") == "GET");
  auto post = gw.post("/healthz", "{}");
  checkError(post, 405, "method_not_allowed");
}

TEST_CASE("missing or malformed Authorization is missing_api_key", "[api][errors]") {
  TestGateway gw;
  checkError(gw.get("/api/v1/me"), 401, "missing_api_key");
  checkError(gw.send("GET", "/api/v1/me", "", {"Authorization: Basic dXNlcjpwYXNz"}), 401,
             "missing_api_key");
  checkError(gw.send("GET", "/api/v1/me", "", {"Authorization: Bearer"}), 401, "missing_api_key");
  checkError(gw.send("GET", "/api/v1/me", "", {"Authorization: Bearer a b"}), 401,
             "missing_api_key");
}

TEST_CASE("unknown keys are invalid_api_key", "[api][errors]") {
  TestGateway gw;
  checkError(gw.get("/api/v1/me", "sk-aigate-notarealkey"), 401, "invalid_api_key");
  checkError(gw.get("/api/v1/me", "sk-aigate-" + std::string(32, 'A')), 401, "invalid_api_key");
  checkError(gw.get("/api/v1/me", "sk-other-123"), 401, "invalid_api_key");
}

TEST_CASE("a revoked key fails on its next request", "[api][errors]") {
  TestGateway gw;
  auto account = gw.createUser("revoke@example.com");
  REQUIRE(gw.get("/api/v1/me", account.api_key).status == 200);
  auto revoked = gw.del("/admin/v1/keys/" + account.key_id, aigate::testing::kAdminToken);
  REQUIRE(revoked.status == 200);
  CHECK(revoked.json()["revoked"] == true);
  checkError(gw.get("/api/v1/me", account.api_key), 401, "invalid_api_key");
}

TEST_CASE("a body over the limit is a JSON 413 and nothing happens", "[api][errors]") {
  TestGateway gw([](auto& c) { c.server.max_body_bytes = 4096; });
  const std::string body = "{\"email\":\"big@example.com\",\"pad\":\"" + std::string(5000, 'x') + "\"}";
  auto r = gw.post("/api/v1/register", body);
  checkError(r, 413, "payload_too_large");
  CHECK(r.json()["limit_bytes"] == 4096);
  CHECK(r.header("connection") == "Close");

  // Far over the limit too (Pistache's own buffer limit would answer plain text).
  auto huge = gw.post("/api/v1/register", std::string(3 * 1024 * 1024, ' '));
  checkError(huge, 413, "payload_too_large");

  // The gateway still serves, and the oversized registration did not happen.
  aigate::testing::TestGateway& g = gw;
  auto ok = g.post("/api/v1/register", R"({"email":"big@example.com"})");
  CHECK(ok.status == 201);
  // A body right at the limit is accepted.
  std::string at_limit = R"({"email":"edge@example.com","pad":")";
  at_limit += std::string(4096 - at_limit.size() - 2, 'y') + "\"}";
  REQUIRE(at_limit.size() == 4096);
  CHECK(g.post("/api/v1/register", at_limit).status == 201);
}

TEST_CASE("malformed JSON, invalid UTF-8 and deep nesting are clean 400s", "[api][errors]") {
  TestGateway gw;
  auto bad = gw.post("/api/v1/register", "{\"email\": ");
  checkError(bad, 400, "invalid_request");
  CHECK(bad.json()["message"].get<std::string>().rfind("The body is not valid JSON", 0) == 0);

  checkError(gw.post("/api/v1/register", "{\"email\":\"\xff\xfe@x.io\"}"), 400, "invalid_request");

  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  auto nested = gw.post("/api/v1/register", deep);
  checkError(nested, 400, "invalid_request");
  CHECK(nested.json()["message"].get<std::string>().find("deeper than 64") != std::string::npos);

  checkError(gw.post("/api/v1/register", "[\"not\",\"an\",\"object\"]"), 400, "invalid_request");
  CHECK(gw.get("/healthz").status == 200);  // and the server is still up
}

TEST_CASE("wrong types and missing fields name the field", "[api][errors]") {
  TestGateway gw;
  auto wrong = gw.post("/api/v1/register", R"({"email": 42})");
  checkError(wrong, 400, "invalid_request");
  CHECK(wrong.json()["field"] == "email");
  auto missing = gw.post("/api/v1/register", R"({"mail":"a@b.io"})");
  checkError(missing, 400, "invalid_request");
  CHECK(missing.json()["field"] == "email");
  auto invalid = gw.post("/api/v1/register", R"({"email":"not-an-email"})");
  checkError(invalid, 400, "invalid_request");
  CHECK(invalid.json()["field"] == "email");
}

TEST_CASE("authenticated errors carry credits_balance", "[api][errors]") {
  TestGateway gw;
  auto account = gw.createUser("bal@example.com");
  auto r = gw.get("/api/v1/usage?limit=abc", account.api_key);
  checkError(r, 400, "invalid_request");
  CHECK(r.json()["field"] == "limit");
  CHECK(r.json()["credits_balance"] == 100);
}

TEST_CASE("X-Request-Id is echoed or made up", "[api]") {
  TestGateway gw;
  auto mine = gw.send("GET", "/healthz", "", {"X-Request-Id: my-trace-42"});
  CHECK(mine.header("x-request-id") == "my-trace-42");
  auto made = gw.get("/healthz");
  CHECK(made.header("x-request-id").rfind("req_", 0) == 0);
  CHECK(made.header("x-request-id") != gw.get("/healthz").header("x-request-id"));
  // Unprintable or huge ids are replaced, not echoed.
  auto huge = gw.send("GET", "/healthz", "", {"X-Request-Id: " + std::string(300, 'a')});
  CHECK(huge.header("x-request-id").rfind("req_", 0) == 0);
}
