// Idempotency-Key on POSTs (Stripe semantics) over HTTP.
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

#include <thread>

using aigate::testing::kAdminToken;
using aigate::testing::TestGateway;

namespace {

int64_t balanceOf(TestGateway& gw, const std::string& user_id) {
  return gw.get("/admin/v1/users/" + user_id, kAdminToken).json()["credits_balance"];
}

}  // namespace

TEST_CASE("the same key and body replays the first response and acts once", "[api][idempotency]") {
  TestGateway gw;
  auto user = gw.createUser("idem@example.com");
  const std::string path = "/admin/v1/users/" + user.user_id + "/credits";
  const std::vector<std::string> key = {"Idempotency-Key: grant-1"};

  auto first = gw.post(path, R"({"credits":50})", kAdminToken, key);
  REQUIRE(first.status == 200);
  CHECK(first.header("idempotent-replayed").empty());
  auto second = gw.post(path, R"({"credits":50})", kAdminToken, key);
  CHECK(second.status == 200);
  CHECK(second.body == first.body);
  CHECK(second.header("idempotent-replayed") == "true");
  CHECK(balanceOf(gw, user.user_id) == 150);

  // Another key is another request.
  auto other = gw.post(path, R"({"credits":50})", kAdminToken, {"Idempotency-Key: grant-2"});
  CHECK(other.json()["credits_balance"] == 200);
}

TEST_CASE("the same key with another body is idempotency_conflict", "[api][idempotency]") {
  TestGateway gw;
  auto user = gw.createUser("conflict@example.com");
  const std::string path = "/admin/v1/users/" + user.user_id + "/credits";
  REQUIRE(gw.post(path, R"({"credits":50})", kAdminToken, {"Idempotency-Key: k"}).status == 200);
  auto conflict = gw.post(path, R"({"credits":60})", kAdminToken, {"Idempotency-Key: k"});
  CHECK(conflict.status == 409);
  CHECK(conflict.json()["error"] == "idempotency_conflict");
  // Same body on another path is another request too.
  auto other_user = gw.createUser("other@example.com");
  auto elsewhere = gw.post("/admin/v1/users/" + other_user.user_id + "/credits",
                           R"({"credits":50})", kAdminToken, {"Idempotency-Key: k"});
  CHECK(elsewhere.status == 409);
  CHECK(balanceOf(gw, user.user_id) == 150);
  CHECK(balanceOf(gw, other_user.user_id) == 100);
}

TEST_CASE("a refused request's response is replayed too, and nothing is charged", "[api][idempotency]") {
  TestGateway gw;
  auto user = gw.createUser("refused@example.com");
  auto first = gw.post("/admin/v1/users", R"({"email":"refused@example.com"})", kAdminToken,
                       {"Idempotency-Key: dup"});
  CHECK(first.status == 409);
  CHECK(first.json()["error"] == "email_taken");
  auto replay = gw.post("/admin/v1/users", R"({"email":"refused@example.com"})", kAdminToken,
                        {"Idempotency-Key: dup"});
  CHECK(replay.body == first.body);
  CHECK(replay.header("idempotent-replayed") == "true");
}

TEST_CASE("validation errors are not recorded against the key", "[api][idempotency]") {
  TestGateway gw;
  auto user = gw.createUser("valid@example.com");
  const std::string path = "/admin/v1/users/" + user.user_id + "/credits";
  CHECK(gw.post(path, R"({"credits":"x"})", kAdminToken, {"Idempotency-Key: v"}).status == 400);
  auto fixed = gw.post(path, R"({"credits":5})", kAdminToken, {"Idempotency-Key: v"});
  CHECK(fixed.status == 200);
  CHECK(fixed.json()["credits_balance"] == 105);
}

TEST_CASE("racing retries with one key act exactly once", "[api][idempotency][concurrency]") {
  TestGateway gw;
  auto user = gw.createUser("race@example.com");
  const std::string url = gw.url("/admin/v1/users/" + user.user_id + "/credits");
  std::vector<std::thread> threads;
  std::vector<std::string> bodies(16);
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      aigate::testing::HttpClient client;
      auto r = client.request("POST", url, R"({"credits":77})",
                              {std::string("Authorization: Bearer ") + kAdminToken,
                               "Idempotency-Key: race-key"});
      bodies[i] = r.body;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& body : bodies) CHECK(body == bodies[0]);
  CHECK(balanceOf(gw, user.user_id) == 177);
}

TEST_CASE("an over-long Idempotency-Key is refused", "[api][idempotency]") {
  TestGateway gw;
  auto r = gw.post("/admin/v1/users", R"({"email":"long@example.com"})", kAdminToken,
                   {"Idempotency-Key: " + std::string(256, 'k')});
  CHECK(r.status == 400);
  CHECK(r.json()["field"] == "Idempotency-Key");
}
