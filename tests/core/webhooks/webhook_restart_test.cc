// The outbox survives kill -9: a real `aigate serve` process delivers to a
// receiver that fails the first attempt, is killed before the retry, and the
// restarted gateway delivers the same event (same webhook-id, same body).
#include "tests/core/webhooks/receiver.h"
#include "tests/support/gateway_process.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

using aigate::testing::GatewayProcess;
using aigate::testing::HttpClient;
using aigate::testing::Receiver;
using aigate::testing::TempDir;
using nlohmann::json;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::unique_ptr<GatewayProcess> startGateway(const TempDir& dir, const std::string& config,
                                             int run) {
  auto gw =
      std::make_unique<GatewayProcess>(AIGATE_BINARY, std::vector<std::string>{"--config", config},
                                       dir.file("serve" + std::to_string(run) + ".log"));
  const bool started = gw->start();
  INFO(gw->output());
  REQUIRE(started);
  return gw;
}

}  // namespace

TEST_CASE("a delivery pending across kill -9 is sent after the restart", "[webhooks][restart]") {
  TempDir dir;
  Receiver receiver;
  receiver.server.failNext(1, 500, "down for a moment");
  // The retry waits long enough (2 s ± 20%) for the kill to come first.
  const std::string config = dir.file("aigate.yaml");
  std::ofstream(config) << "data_dir: " << dir.file("data") << "\n"
                        << "store: {synchronous: normal}\n"
                        << "webhooks: {allow_hosts: [127.0.0.1], retry_schedule_s: [2, 2]}\n";
  const std::string user_json = dir.file("user.json");
  const std::string cmd = std::string(AIGATE_BINARY) + " admin user create --email w@example.com" +
                          " --pack scale --json --config " + config + " >" + user_json + " 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const std::string key = json::parse(slurp(user_json))["api_key"];
  const std::vector<std::string> auth = {"Authorization: Bearer " + key,
                                         "Content-Type: application/json"};
  HttpClient client;
  std::string endpoint_id, secret;
  {
    auto gw = startGateway(dir, config, 1);
    auto created = client.request("POST", gw->url("/api/v1/webhooks"),
                                  json{{"url", receiver.url()}}.dump(), auth);
    INFO(created.body);
    REQUIRE(created.status == 201);
    endpoint_id = created.json()["id"];
    secret = created.json()["secret"];
    auto generated = client.request("POST", gw->url("/api/v1/generate/image"),
                                    R"({"prompt":"a red kite over hills","force_gen":true})", auth);
    INFO(generated.body);
    REQUIRE(generated.status == 200);
    REQUIRE(receiver.waitFor(1));
    // Wait until the failed attempt is recorded, then kill before the retry.
    json delivery;
    for (int i = 0; i < 200; ++i) {
      delivery =
          client
              .request("GET", gw->url("/api/v1/webhooks/" + endpoint_id + "/deliveries"), "", auth)
              .json()["items"][0];
      if (delivery["attempts"] == 1) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    INFO(delivery.dump());
    REQUIRE(delivery["attempts"] == 1);
    REQUIRE(delivery["status"] == "pending");
    gw->kill9();
  }
  CHECK(receiver.deliveries().size() == 1);
  {
    auto gw = startGateway(dir, config, 2);
    REQUIRE(receiver.waitFor(2));
    json delivery;
    for (int i = 0; i < 200; ++i) {
      delivery =
          client
              .request("GET", gw->url("/api/v1/webhooks/" + endpoint_id + "/deliveries"), "", auth)
              .json()["items"][0];
      if (delivery["status"] != "pending") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    INFO(delivery.dump());
    CHECK(delivery["status"] == "delivered");
    CHECK(delivery["attempts"] == 2);
    CHECK(gw->stop() == 0);
  }
  const auto got = receiver.deliveries();
  REQUIRE(got.size() == 2);
  CHECK(got[1].header("webhook-id") == got[0].header("webhook-id"));
  CHECK(got[1].body == got[0].body);
  CHECK(aigate::testing::verifyStandardWebhook(secret, got[0]));
  CHECK(aigate::testing::verifyStandardWebhook(secret, got[1]));
}
