// The aigate binary as operators script it: exit codes, --json, file:line.
#include "tests/support/gateway_process.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using aigate::testing::TempDir;

namespace {

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the aigate binary with `args` (shell-quoted by the caller).
Run runAigate(const TempDir& dir, const std::string& args) {
  const std::string out = dir.file("stdout");
  const std::string err = dir.file("stderr");
  const std::string cmd = std::string(AIGATE_BINARY) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  Run r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

nlohmann::json outputJson(const Run& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  auto parsed = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  return parsed;
}

}  // namespace

TEST_CASE("admin commands create users, grant packs and manage keys", "[cli]") {
  TempDir dir;
  const std::string data = "--data " + dir.file("data");
  auto created = runAigate(dir, "admin user create --email cli@example.com --json " + data);
  REQUIRE(created.exit_code == 0);
  auto user = outputJson(created);
  CHECK(user["tier"] == "free");
  CHECK(user["credits_balance"] == 100);
  const std::string user_id = user["user_id"];
  CHECK(user["api_key"].get<std::string>().rfind("sk-aigate-", 0) == 0);

  auto granted = runAigate(dir, "admin credits grant --user " + user_id + " --pack scale --json " + data);
  REQUIRE(granted.exit_code == 0);
  CHECK(outputJson(granted)["tier"] == "scale");
  CHECK(outputJson(granted)["credits_balance"] == 35100);

  auto credits = runAigate(dir, "admin credits grant --user cli@example.com --credits 5 --json " + data);
  CHECK(outputJson(credits)["credits_balance"] == 35105);

  auto key = runAigate(dir, "admin key create --user " + user_id + " --name ci --json " + data);
  REQUIRE(key.exit_code == 0);
  const std::string key_id = outputJson(key)["key_id"];
  auto revoked = runAigate(dir, "admin key revoke --key " + key_id + " --json " + data);
  REQUIRE(revoked.exit_code == 0);
  CHECK(outputJson(revoked)["revoked"] == true);

  // Without --json the output is for people.
  auto plain = runAigate(dir, "admin key create --user " + user_id + " " + data);
  CHECK(plain.out.find("api_key: sk-aigate-") != std::string::npos);
}

TEST_CASE("admin command failures exit 1 with the reason", "[cli]") {
  TempDir dir;
  const std::string data = "--data " + dir.file("data");
  REQUIRE(runAigate(dir, "admin user create --email dup@example.com " + data).exit_code == 0);
  auto dup = runAigate(dir, "admin user create --email dup@example.com " + data);
  CHECK(dup.exit_code == 1);
  CHECK(dup.err.find("already exists") != std::string::npos);

  auto dup_json = runAigate(dir, "admin user create --email dup@example.com --json " + data);
  CHECK(dup_json.exit_code == 1);
  CHECK(outputJson(dup_json)["error"] == "email_taken");

  auto nobody = runAigate(dir, "admin credits grant --user usr_nobody --credits 5 " + data);
  CHECK(nobody.exit_code == 1);
  CHECK(nobody.err.find("No user usr_nobody") != std::string::npos);
}

TEST_CASE("usage errors are clear and exit 2", "[cli]") {
  TempDir dir;
  auto none = runAigate(dir, "");
  CHECK(none.exit_code == 2);
  auto missing = runAigate(dir, "admin user create");
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("--email is required") != std::string::npos);
  auto both = runAigate(dir, "admin credits grant --user u --pack pro --credits 5");
  CHECK(both.exit_code == 2);
  auto neither = runAigate(dir, "admin credits grant --user u");
  CHECK(neither.exit_code == 2);
  auto help = runAigate(dir, "--help");
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("serve") != std::string::npos);
}

TEST_CASE("a broken config stops the gateway with file:line", "[cli]") {
  TempDir dir;
  std::ofstream(dir.file("bad.yaml")) << "server:\n  listen: 127.0.0.1:0\n  threds: 4\n";
  auto r = runAigate(dir, "serve --config " + dir.file("bad.yaml") + " --data " + dir.file("data"));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(dir.file("bad.yaml") + ":3: server.threds: unknown key") != std::string::npos);
}

TEST_CASE("serve answers, then drains and exits 0 on SIGTERM", "[cli][server]") {
  TempDir dir;
  aigate::testing::GatewayProcess gw(AIGATE_BINARY, {"--data", dir.file("data")},
                                     dir.file("serve.log"));
  const bool started = gw.start();
  INFO(gw.output());
  REQUIRE(started);
  aigate::testing::HttpClient client;
  auto health = client.request("GET", gw.url("/healthz"));
  CHECK(health.status == 200);
  CHECK(gw.stop() == 0);
  CHECK(gw.output().find("aigate: stopped") != std::string::npos);
}

TEST_CASE("plugins check accepts a plugin and refuses a broken one", "[cli][plugins]") {
  TempDir dir;
  const std::string fixtures = AIGATE_FIXTURE_PLUGINS;
  auto good = runAigate(dir, "plugins check " + fixtures + "/aigate_fixture_echo.so");
  CHECK(good.exit_code == 0);
  CHECK(good.out.find("ok: plugin fixture_echo 1.0.0, ABI 1.0") != std::string::npos);
  auto bad = runAigate(dir, "plugins check " + fixtures + "/abi_major_mismatch.so");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("built for plugin ABI 2.0, but this aigate speaks 1.0") != std::string::npos);
  auto bad_json = runAigate(dir, "plugins check --json " + fixtures + "/missing_entry.so");
  CHECK(bad_json.exit_code == 1);
  CHECK(outputJson(bad_json)["ok"] == false);
}

TEST_CASE("plugins list loads the configured plugins; a bad one stops serve", "[cli][plugins]") {
  TempDir dir;
  const std::string fixtures = AIGATE_FIXTURE_PLUGINS;
  std::ofstream(dir.file("ok.yaml")) << "plugins:\n  paths: [" << fixtures << "/aigate_fixture_echo.so]\n";
  auto listed = runAigate(dir, "plugins list --json --config " + dir.file("ok.yaml"));
  REQUIRE(listed.exit_code == 0);
  auto plugins = outputJson(listed)["plugins"];
  REQUIRE(plugins.size() == 1);
  CHECK(plugins[0]["name"] == "fixture_echo");

  std::ofstream(dir.file("dup.yaml")) << "plugins:\n  paths: [" << fixtures
                                      << "/aigate_fixture_echo.so, " << fixtures
                                      << "/copy/aigate_fixture_echo_copy.so]\n";
  auto dup = runAigate(dir, "serve --listen 127.0.0.1:0 --data " + dir.file("data") + " --config " +
                                dir.file("dup.yaml"));
  CHECK(dup.exit_code == 1);
  CHECK(dup.err.find("plugins.paths: ") != std::string::npos);
  CHECK(dup.err.find("already loaded") != std::string::npos);
}

TEST_CASE("the embedded config loads the local renderer and the thirteen provider plugins",
          "[cli][plugins]") {
  TempDir dir;
  auto listed = runAigate(dir, "plugins list --json");
  REQUIRE(listed.exit_code == 0);
  const nlohmann::json listing = outputJson(listed);
  std::set<std::string> names;
  for (const auto& p : listing["plugins"]) names.insert(p["name"].get<std::string>());
  CHECK(names == std::set<std::string>{"local", "openai_images", "runwayml", "luma", "kling",
                                       "pika", "fal", "replicate", "stability", "bfl", "ideogram",
                                       "google", "minimax", "leonardo"});
}

TEST_CASE("serve refuses a provider whose plugin is not loaded, or whose key is unset",
          "[cli][plugins]") {
  TempDir dir;
  const std::string fixtures = AIGATE_FIXTURE_PLUGINS;
  std::ofstream(dir.file("echo.yaml")) << "plugins:\n  paths: [" << fixtures
                                       << "/aigate_fixture_echo.so]\n";
  auto missing = runAigate(dir, "serve --listen 127.0.0.1:0 --data " + dir.file("data") +
                                    " --config " + dir.file("echo.yaml"));
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("provider local: plugin \"local\" is not loaded (see plugins.paths)") !=
        std::string::npos);

  std::ofstream(dir.file("key.yaml"))
      << "plugins:\n  paths: [" << fixtures << "/aigate_fixture_echo.so]\n"
      << "providers:\n  - {name: echo, plugin: fixture_echo, api_key_env: AIGATE_TEST_UNSET_KEY}\n"
      << "generation: {image: [echo], video: []}\n";
  auto unset = runAigate(dir, "serve --listen 127.0.0.1:0 --data " + dir.file("data") +
                                  " --config " + dir.file("key.yaml"));
  CHECK(unset.exit_code == 1);
  CHECK(unset.err.find("provider echo: environment variable AIGATE_TEST_UNSET_KEY (its API key) "
                       "is not set") != std::string::npos);
}

TEST_CASE("a credit amount out of range is a readable usage error", "[cli]") {
  TempDir dir;
  auto zero = runAigate(dir, "admin credits grant --user u@example.com --credits 0 --data " + dir.file("data"));
  CHECK(zero.exit_code == 2);
  CHECK(zero.err.find("--credits: Value 0 not in range 1 to 1000000000") != std::string::npos);
}
