#include "config/config.h"

#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

using aigate::config::Config;
using aigate::config::ConfigError;
using aigate::config::parse;

namespace {

std::string errorOf(const std::string& yaml) {
  try {
    parse(yaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the shipped config/aigate.yaml is exactly the built-in defaults", "[config]") {
  const Config file = aigate::config::load(std::string(AIGATE_SOURCE_DIR) + "/config/aigate.yaml");
  const Config defaults;
  CHECK(file.server.listen == defaults.server.listen);
  CHECK(file.server.threads == defaults.server.threads);
  CHECK(file.server.max_body_bytes == defaults.server.max_body_bytes);
  CHECK(file.server.keepalive_timeout_s == defaults.server.keepalive_timeout_s);
  CHECK(file.server.header_timeout_ms == defaults.server.header_timeout_ms);
  CHECK(file.server.body_timeout_ms == defaults.server.body_timeout_ms);
  CHECK(file.server.shutdown_grace_ms == defaults.server.shutdown_grace_ms);
  CHECK(file.data_dir == defaults.data_dir);
  CHECK(file.store.synchronous == defaults.store.synchronous);
  CHECK(file.store.group_commit_max == defaults.store.group_commit_max);
  CHECK(file.registration.open == defaults.registration.open);
  CHECK(file.registration.free_credits == defaults.registration.free_credits);
  CHECK(file.prices.library_image == defaults.prices.library_image);
  CHECK(file.prices.library_video == defaults.prices.library_video);
  CHECK(file.prices.generated_image == defaults.prices.generated_image);
  CHECK(file.prices.generated_video == defaults.prices.generated_video);
  CHECK(file.prices.byok_image == defaults.prices.byok_image);
  CHECK(file.prices.byok_video == defaults.prices.byok_video);
  REQUIRE(file.tiers.size() == defaults.tiers.size());
  for (size_t i = 0; i < file.tiers.size(); ++i) {
    CHECK(file.tiers[i].name == defaults.tiers[i].name);
    CHECK(file.tiers[i].level == defaults.tiers[i].level);
    CHECK(file.tiers[i].requests_per_minute == defaults.tiers[i].requests_per_minute);
    CHECK(file.tiers[i].concurrent_generations == defaults.tiers[i].concurrent_generations);
  }
  REQUIRE(file.packs.size() == defaults.packs.size());
  for (size_t i = 0; i < file.packs.size(); ++i) {
    CHECK(file.packs[i].name == defaults.packs[i].name);
    CHECK(file.packs[i].credits == defaults.packs[i].credits);
    CHECK(file.packs[i].price_usd == defaults.packs[i].price_usd);
    CHECK(file.packs[i].tier == defaults.packs[i].tier);
  }
  CHECK(file.features.video == defaults.features.video);
  CHECK(file.features.byok == defaults.features.byok);
  CHECK(file.idempotency.ttl_hours == defaults.idempotency.ttl_hours);
  CHECK(file.library.match_threshold == defaults.library.match_threshold);
  CHECK(file.library.memory_index_min_assets == defaults.library.memory_index_min_assets);
  CHECK(file.plugins.paths == defaults.plugins.paths);
  REQUIRE(file.providers.size() == defaults.providers.size());
  for (size_t i = 0; i < file.providers.size(); ++i) {
    CHECK(file.providers[i].name == defaults.providers[i].name);
    CHECK(file.providers[i].plugin == defaults.providers[i].plugin);
    CHECK(file.providers[i].settings_json == defaults.providers[i].settings_json);
    CHECK(file.providers[i].api_key_env == defaults.providers[i].api_key_env);
  }
  CHECK(file.generation.image == defaults.generation.image);
  CHECK(file.generation.video == defaults.generation.video);
  CHECK(file.generation.image_wait_s == defaults.generation.image_wait_s);
  CHECK(file.generation.job_deadline_s == defaults.generation.job_deadline_s);
  CHECK(file.generation.max_attempts == defaults.generation.max_attempts);
  CHECK(file.generation.retry_base_ms == defaults.generation.retry_base_ms);
  CHECK(file.generation.workers == defaults.generation.workers);
  CHECK(file.generation.max_output_bytes == defaults.generation.max_output_bytes);
  CHECK(file.generation.share_generated == defaults.generation.share_generated);
  CHECK(file.admin.token_env == defaults.admin.token_env);
  CHECK(file.admin.token_file_env == defaults.admin.token_file_env);
  CHECK(file.byok.master_key_env == defaults.byok.master_key_env);
  CHECK(file.byok.master_key_file_env == defaults.byok.master_key_file_env);
  CHECK(file.webhooks.retry_schedule_s == defaults.webhooks.retry_schedule_s);
  CHECK(file.webhooks.timeout_ms == defaults.webhooks.timeout_ms);
  CHECK(file.webhooks.allow_hosts == defaults.webhooks.allow_hosts);
  CHECK(file.metrics.require_token == defaults.metrics.require_token);
  CHECK(file.log.requests == defaults.log.requests);
  CHECK(file.log.format == defaults.log.format);
}

TEST_CASE("the defaults follow API.md's prices, packs and tiers", "[config]") {
  const Config c;
  CHECK(c.registration.free_credits == 100);
  CHECK(c.findPack("starter")->credits == 1200);
  CHECK(c.findPack("creator")->credits == 4000);
  CHECK(c.findPack("pro")->credits == 12000);
  CHECK(c.findPack("scale")->credits == 35000);
  CHECK(c.findPack("scale")->price_usd == 199);
  CHECK(c.findTier("creator")->level == 1);
  CHECK(c.findTier("scale")->level == 3);
  CHECK(c.findTier("free")->requests_per_minute == 60);
  CHECK(c.findTier("free")->concurrent_generations == 2);
}

TEST_CASE("an empty file gives the defaults", "[config]") {
  const Config c = parse("", "empty.yaml");
  CHECK(c.server.listen == "127.0.0.1:8080");
  CHECK(c.source == "empty.yaml");
}

TEST_CASE("partial files keep the other defaults", "[config]") {
  const Config c = parse("server:\n  listen: 0.0.0.0:9000\nregistration:\n  open: false\n", "p.yaml");
  CHECK(c.server.listen == "0.0.0.0:9000");
  CHECK(c.server.threads == 2);
  CHECK_FALSE(c.registration.open);
}

TEST_CASE("an unknown key is reported with file:line and its path", "[config]") {
  CHECK(errorOf("server:\n  listen: 127.0.0.1:1\n  lisen: x\n") ==
        "test.yaml:3: server.lisen: unknown key");
}

TEST_CASE("a wrong type names the key and the value", "[config]") {
  CHECK(errorOf("server:\n  threads: many\n") ==
        "test.yaml:2: server.threads: must be a whole number, got \"many\"");
  CHECK(errorOf("registration:\n  open: perhaps\n") ==
        "test.yaml:2: registration.open: must be a boolean (true/false), got \"perhaps\"");
  CHECK(errorOf("server: [1, 2]\n") == "test.yaml:1: server: must be a mapping");
}

TEST_CASE("invalid values and broken references are reported", "[config]") {
  CHECK(errorOf("server:\n  listen: nowhere\n") ==
        "test.yaml:2: server.listen: must be HOST:PORT, got \"nowhere\"");
  CHECK(errorOf("store:\n  synchronous: sometimes\n") ==
        "test.yaml:2: store.synchronous: must be \"full\" or \"normal\", got \"sometimes\"");
  CHECK(errorOf("packs:\n  - {name: gold, credits: 5, price_usd: 1, tier: platinum}\n") ==
        "test.yaml:2: packs[0].tier: unknown tier \"platinum\"");
  CHECK(errorOf("prices:\n  library_image: -1\n") ==
        "test.yaml:2: prices.library_image: must not be negative");
  CHECK(errorOf("store:\n  reader_mmap_mb: -1\n") ==
        "test.yaml:2: store.reader_mmap_mb: must not be negative");
}

TEST_CASE("every problem in a file is reported at once", "[config]") {
  const std::string e = errorOf("server:\n  threads: 0\nbogus: 1\nstore:\n  group_commit_max: 0\n");
  CHECK(e.find("test.yaml:2: server.threads: must be greater than 0") != std::string::npos);
  CHECK(e.find("test.yaml:3: bogus: unknown key") != std::string::npos);
  CHECK(e.find("test.yaml:5: store.group_commit_max: must be greater than 0") != std::string::npos);
}

TEST_CASE("YAML syntax errors name the line", "[config]") {
  const std::string e = errorOf("server:\n  listen: [unclosed\n");
  CHECK(e.rfind("test.yaml:", 0) == 0);
  CHECK_FALSE(e.empty());
}

TEST_CASE("a secret in the YAML is refused", "[config]") {
  CHECK(errorOf("admin:\n  token: hunter2\n").find("admin.token: secrets do not belong") !=
        std::string::npos);
  CHECK(errorOf("byok:\n  master_key: hunter2\n").find("byok.master_key: secrets do not belong") !=
        std::string::npos);
}

TEST_CASE("a missing file is a clear error", "[config]") {
  CHECK_THROWS_WITH(aigate::config::load("/nonexistent/aigate.yaml"),
                    "/nonexistent/aigate.yaml: cannot read the config file");
}

TEST_CASE("the admin token comes from the environment or a file", "[config]") {
  aigate::config::AdminConfig admin;
  admin.token_env = "AIGATE_TEST_TOKEN_ENV";
  admin.token_file_env = "AIGATE_TEST_TOKEN_FILE_ENV";
  unsetenv("AIGATE_TEST_TOKEN_ENV");
  unsetenv("AIGATE_TEST_TOKEN_FILE_ENV");
  CHECK(aigate::config::resolveAdminToken(admin).empty());

  aigate::testing::TempDir dir;
  std::ofstream(dir.file("token")) << "from-file\n";
  setenv("AIGATE_TEST_TOKEN_FILE_ENV", dir.file("token").c_str(), 1);
  CHECK(aigate::config::resolveAdminToken(admin) == "from-file");

  setenv("AIGATE_TEST_TOKEN_ENV", "from-env", 1);
  CHECK(aigate::config::resolveAdminToken(admin) == "from-env");
  unsetenv("AIGATE_TEST_TOKEN_ENV");

  std::ofstream(dir.file("empty")) << "";
  setenv("AIGATE_TEST_TOKEN_FILE_ENV", dir.file("empty").c_str(), 1);
  CHECK_THROWS_AS(aigate::config::resolveAdminToken(admin), ConfigError);
  unsetenv("AIGATE_TEST_TOKEN_FILE_ENV");
}

TEST_CASE("the BYOK master key's variable names are configurable", "[config]") {
  const Config c = parse("byok:\n  master_key_env: MY_KEY\n  master_key_file_env: MY_KEY_FILE\n",
                         "b.yaml");
  CHECK(c.byok.master_key_env == "MY_KEY");
  CHECK(c.byok.master_key_file_env == "MY_KEY_FILE");
  CHECK(Config().byok.master_key_env == "AIGATE_MASTER_KEY");
  CHECK(errorOf("byok:\n  master_key_fil: X\n") == "test.yaml:2: byok.master_key_fil: unknown key");
}

TEST_CASE("HOST:PORT parsing", "[config]") {
  auto hp = aigate::config::parseHostPort("127.0.0.1:8080");
  REQUIRE(hp);
  CHECK(hp->host == "127.0.0.1");
  CHECK(hp->port == 8080);
  CHECK(aigate::config::parseHostPort("[::1]:0")->host == "::1");
  CHECK_FALSE(aigate::config::parseHostPort("host:70000"));
  CHECK_FALSE(aigate::config::parseHostPort(":80"));
  CHECK_FALSE(aigate::config::parseHostPort("host:"));
  CHECK_FALSE(aigate::config::parseHostPort("host:8o"));
}

TEST_CASE("plugin paths are a list of strings", "[config]") {
  CHECK(parse("plugins:\n  paths: [a.so, b.so]\n", "p.yaml").plugins.paths ==
        std::vector<std::string>{"a.so", "b.so"});
  CHECK(errorOf("plugins:\n  paths: one.so\n") == "test.yaml:2: plugins.paths: must be a list");
  CHECK(errorOf("plugins:\n  paths: [[x]]\n") == "test.yaml:2: plugins.paths[0]: must be a string");
}

TEST_CASE("providers and the generation order are read and checked", "[config]") {
  const Config c = parse(
      "providers:\n"
      "  - name: hello\n"
      "    plugin: hello\n"
      "    settings: {base_url: 'http://127.0.0.1:9', poll_ms: 50, fast: true, label: '42'}\n"
      "    api_key_env: HELLO_KEY\n"
      "generation:\n"
      "  image: [hello]\n"
      "  video: []\n",
      "p.yaml");
  REQUIRE(c.providers.size() == 1);
  CHECK(c.providers[0].api_key_env == "HELLO_KEY");
  const auto settings = nlohmann::json::parse(c.providers[0].settings_json);
  CHECK(settings["base_url"] == "http://127.0.0.1:9");
  CHECK(settings["poll_ms"] == 50);
  CHECK(settings["fast"] == true);
  CHECK(settings["label"] == "42");
  CHECK(c.generation.image == std::vector<std::string>{"hello"});
  CHECK(c.generation.video.empty());

  CHECK(errorOf("generation:\n  image: [nope]\n") ==
        "test.yaml:2: generation.image[0]: unknown provider \"nope\" (not in providers)");
  // Replacing the providers without naming them in `generation` is an error too.
  const std::string secret = errorOf("providers:\n  - {name: a, plugin: x, api_key: sk-123}\n");
  CHECK(secret.rfind("test.yaml:2: providers[0].api_key: secrets do not belong in the config file; "
                     "name an environment variable in api_key_env instead\n", 0) == 0);
  CHECK(secret.find("generation.image[0]: unknown provider \"local\" (not in providers)") !=
        std::string::npos);
  CHECK(errorOf("providers:\n  - {name: a, plugin: x, settings: 3}\n"
                "generation: {image: [a], video: [a]}\n") ==
        "test.yaml:2: providers[0].settings: must be a mapping");
  CHECK(errorOf("providers:\n  - {name: Bad-Name, plugin: x}\n").find(
            "providers[0].name: must be [a-z0-9_]+") != std::string::npos);
  CHECK(errorOf("generation:\n  workers: 0\n") ==
        "test.yaml:2: generation.workers: must be greater than 0");
}

TEST_CASE("webhook settings are read and checked", "[config][webhooks]") {
  const Config c = parse(
      "webhooks:\n  retry_schedule_s: [1, 2]\n  timeout_ms: 500\n  allow_hosts: [127.0.0.1]\n",
      "test.yaml");
  CHECK(c.webhooks.retry_schedule_s == std::vector<int>{1, 2});
  CHECK(c.webhooks.timeout_ms == 500);
  CHECK(c.webhooks.allow_hosts == std::vector<std::string>{"127.0.0.1"});
  CHECK(Config().webhooks.allow_hosts.empty());
  CHECK(errorOf("webhooks:\n  retry_schedule_s: [1, soon]\n") ==
        "test.yaml:2: webhooks.retry_schedule_s[1]: must be a whole number, got \"soon\"");
  CHECK(errorOf("webhooks:\n  retry_schedule_s: [-1]\n") ==
        "test.yaml:2: webhooks.retry_schedule_s[0]: must not be negative");
  CHECK(errorOf("webhooks:\n  timeout_ms: 0\n") ==
        "test.yaml:2: webhooks.timeout_ms: must be greater than 0");
}

TEST_CASE("metrics and log settings are read and checked", "[config]") {
  const Config c = parse("metrics: {require_token: true}\nlog: {requests: false, format: text}\n",
                         "test.yaml");
  CHECK(c.metrics.require_token);
  CHECK_FALSE(c.log.requests);
  CHECK(c.log.format == "text");
  CHECK(errorOf("log:\n  format: xml\n") ==
        "test.yaml:2: log.format: must be \"json\" or \"text\", got \"xml\"");
  CHECK(errorOf("metrics:\n  require_token: maybe\n").find("metrics.require_token") !=
        std::string::npos);
}
