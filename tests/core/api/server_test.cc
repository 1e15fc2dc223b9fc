// The HTTP server's hardening: keep-alive, health, graceful drain.
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>
#include <curl/curl.h>

using aigate::testing::TestGateway;

TEST_CASE("responses keep the connection alive for plain HTTP/1.1 clients", "[api][server]") {
  TestGateway gw;
  auto r = gw.get("/healthz");
  CHECK(r.status == 200);
  CHECK(r.header("connection") == "Keep-Alive");
  CHECK(r.json()["status"] == "ok");
  // A client that asks to close gets Close.
  auto closing = gw.send("GET", "/healthz", "", {"Connection: close"});
  CHECK(closing.header("connection") == "Close");
}

TEST_CASE("readyz reports the store", "[api][server]") {
  TestGateway gw;
  auto r = gw.get("/readyz");
  CHECK(r.status == 200);
  CHECK(r.json()["status"] == "ready");
}

TEST_CASE("a draining gateway refuses new work with 503 and then stops", "[api][server]") {
  TestGateway gw;
  auto account = gw.createUser("drain@example.com");
  REQUIRE(gw.get("/api/v1/me", account.api_key).status == 200);
  gw.app().startDraining();
  auto refused = gw.get("/api/v1/me", account.api_key);
  CHECK(refused.status == 503);
  CHECK(refused.json()["error"] == "shutting_down");
  CHECK(refused.header("retry-after") == "1");

  const uint16_t port = gw.port();
  gw.server().shutdown(std::chrono::milliseconds(1000));
  CURL* curl = curl_easy_init();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
  CHECK(curl_easy_perform(curl) == CURLE_COULDNT_CONNECT);
  curl_easy_cleanup(curl);
}
