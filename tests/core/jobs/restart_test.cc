// Jobs survive a kill -9 of the gateway: a real `aigate serve` process, a
// fake provider, and the store checked after the job ends: one capture, no
// leftover hold, the asset served.
#include "tests/fakes/hello_api.h"
#include "tests/support/gateway_process.h"
#include "tests/support/http_client.h"
#include "tests/support/media_samples.h"
#include "tests/support/temp_dir.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

using aigate::testing::FakeHelloApi;
using aigate::testing::GatewayProcess;
using aigate::testing::HttpClient;
using aigate::testing::TempDir;
using nlohmann::json;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string configFor(const TempDir& dir, const std::string& base_url, int retry_base_ms) {
  std::ostringstream y;
  y << "data_dir: " << dir.file("data") << "\n"
    << "store: {synchronous: normal}\n"
    << "plugins: {paths: [" << AIGATE_HELLO_PLUGIN << "]}\n"
    << "providers:\n"
    << "  - name: hello\n"
    << "    plugin: hello\n"
    << "    settings: {base_url: '" << base_url << "', poll_ms: 50}\n"
    << "    api_key_env: AIGATE_TEST_HELLO_KEY\n"
    << "generation: {image: [hello], video: [hello], retry_base_ms: " << retry_base_ms << "}\n";
  const std::string path = dir.file("aigate.yaml");
  std::ofstream(path) << y.str();
  return path;
}

std::string createScaleUser(const TempDir& dir, const std::string& config) {
  const std::string out = dir.file("user.json");
  const std::string cmd = std::string(AIGATE_BINARY) + " admin user create --email r@example.com" +
                          " --pack scale --json --config " + config + " >" + out + " 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  return json::parse(slurp(out))["api_key"];
}

// `aigate serve --config CONFIG`, the run-th start in `dir`.
std::unique_ptr<GatewayProcess> startGateway(const TempDir& dir, const std::string& config, int run) {
  auto gw = std::make_unique<GatewayProcess>(
      AIGATE_BINARY, std::vector<std::string>{"--config", config},
      dir.file("serve" + std::to_string(run) + ".log"),
      std::vector<std::pair<std::string, std::string>>{{"AIGATE_TEST_HELLO_KEY", "hk_restart"}});
  const bool started = gw->start();
  INFO(gw->output());
  REQUIRE(started);
  return gw;
}

json pollJob(HttpClient& client, const GatewayProcess& gw, const std::string& id,
             const std::string& key) {
  json job;
  for (int i = 0; i < 600; ++i) {
    job = client.request("GET", gw.url("/api/v1/jobs/" + id), "", {"Authorization: Bearer " + key})
              .json()["job"];
    if (job.is_object() && job["status"] != "queued" && job["status"] != "running") return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return job;
}

// The ledger of the store, read once the gateway has stopped.
struct Books {
  int holds = 0, captures = 0, releases = 0, open_holds = 0;
  int64_t balance = 0, held = 0;
};
Books readBooks(const TempDir& dir) {
  SQLite::Database db(dir.file("data") + "/aigate.db", SQLite::OPEN_READONLY);
  Books b;
  SQLite::Statement kinds(db, "SELECT kind, COUNT(*) FROM ledger GROUP BY kind");
  while (kinds.executeStep()) {
    const std::string kind = kinds.getColumn(0).getString();
    const int n = kinds.getColumn(1).getInt();
    if (kind == "hold") b.holds = n;
    if (kind == "capture") b.captures = n;
    if (kind == "release") b.releases = n;
  }
  b.open_holds = db.execAndGet("SELECT COUNT(*) FROM holds WHERE state = 'open'").getInt();
  SQLite::Statement acct(db, "SELECT balance, held FROM accounts");
  REQUIRE(acct.executeStep());
  b.balance = acct.getColumn(0).getInt64();
  b.held = acct.getColumn(1).getInt64();
  return b;
}

}  // namespace

TEST_CASE("a video job survives kill -9 of the gateway mid-job", "[jobs][restart]") {
  TempDir dir;
  FakeHelloApi api;
  api.setImage(aigate::testing::samples::mp4(), "video/mp4", 640, 360);
  api.setPollsBeforeDone(1'000'000);  // slow: running until told otherwise
  const std::string config = configFor(dir, api.baseUrl(), 50);
  const std::string key = createScaleUser(dir, config);
  HttpClient client;
  std::string job_id;
  {
    auto gw = startGateway(dir, config, 1);
    auto r = client.request("POST", gw->url("/api/v1/generate/video"),
                            R"({"prompt":"a slow sunrise","force_gen":true})",
                            {"Authorization: Bearer " + key, "Content-Type: application/json"});
    INFO(r.body);
    REQUIRE(r.status == 202);
    job_id = r.json()["job"]["id"];
    REQUIRE(api.waitFor([&] { return api.polls() >= 2; }, 10'000));
    gw->kill9();
  }
  CHECK(api.submits() == 1);
  api.setPollsBeforeDone(0);
  {
    auto gw = startGateway(dir, config, 2);
    const json job = pollJob(client, *gw, job_id, key);
    INFO(job.dump());
    REQUIRE(job["status"] == "succeeded");
    CHECK(api.submits() == 1);  // resumed by polling, not submitted again
    const std::string url = job["asset"]["url"];
    auto file = client.request("GET", gw->url(url.substr(url.find("/files/"))));
    CHECK(file.status == 200);
    CHECK(file.header("content-type") == "video/mp4");
    CHECK(gw->stop() == 0);
  }
  const Books b = readBooks(dir);
  CHECK(b.holds == 1);
  CHECK(b.captures == 1);
  CHECK(b.releases == 0);
  CHECK(b.open_holds == 0);
  CHECK(b.held == 0);
  CHECK(b.balance == 35100 - 100);
}

TEST_CASE("a job killed before the provider was reached resumes and is charged once",
          "[jobs][restart]") {
  TempDir dir;
  // Reserve a port for the provider, then leave it closed: the first gateway
  // cannot reach anyone, and waits a long time before its retry.
  uint16_t port = 0;
  {
    FakeHelloApi probe;
    port = probe.port();
  }
  const std::string base_url = "http://127.0.0.1:" + std::to_string(port);
  const std::string config = configFor(dir, base_url, 200'000);
  const std::string key = createScaleUser(dir, config);
  HttpClient client;
  std::string job_id;
  {
    auto gw = startGateway(dir, config, 1);
    auto r = client.request("POST", gw->url("/api/v1/generate/video"),
                            R"({"prompt":"never reached","force_gen":true})",
                            {"Authorization: Bearer " + key, "Content-Type: application/json"});
    REQUIRE(r.status == 202);
    job_id = r.json()["job"]["id"];
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    gw->kill9();
  }
  FakeHelloApi api(port);
  api.setImage(aigate::testing::samples::mp4(), "video/mp4", 640, 360);
  api.setPollsBeforeDone(0);
  {
    auto gw = startGateway(dir, config, 2);
    const json job = pollJob(client, *gw, job_id, key);
    INFO(job.dump());
    REQUIRE(job["status"] == "succeeded");
    CHECK(api.submits() == 1);
    CHECK(gw->stop() == 0);
  }
  const Books b = readBooks(dir);
  CHECK(b.captures == 1);
  CHECK(b.releases == 0);
  CHECK(b.open_holds == 0);
  CHECK(b.balance == 35100 - 100);
}
