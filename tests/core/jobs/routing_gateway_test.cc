// Routing through a real gateway and fake provider servers (two "hello"
// APIs): fallback on failure, no fallback on content policy, every provider
// down, circuit breakers, per-entry timeouts and prices, smart-routing hints,
// hot reload under load (HTTP and SIGHUP), and the `aigate routes` commands.
#include "core/common/log.h"
#include "core/credits/ledger.h"
#include "tests/fakes/hello_api.h"
#include "tests/support/gateway_process.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_gateway.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

using aigate::testing::FakeHelloApi;
using aigate::testing::TempDir;
using aigate::testing::TestGateway;
using nlohmann::json;

namespace {

constexpr const char* kKey = "hk_routing_secret_42";
constexpr int64_t kScaleCredits = 35000 + 100;

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A gateway with two providers, "alpha" and "beta", each a hello plugin on
// its own fake API, routed by `rules` (YAML).
struct TwoProviders {
  FakeHelloApi alpha_api, beta_api;
  TempDir dir;
  std::string rules_path;
  std::unique_ptr<TestGateway> gw;
  TestGateway::Account user;

  explicit TwoProviders(const std::string& rules,
                        const std::function<void(aigate::config::Config&)>& tweak = {}) {
    ::setenv("AIGATE_TEST_HELLO_KEY", kKey, 1);
    alpha_api.setPollsBeforeDone(1);
    beta_api.setPollsBeforeDone(1);
    rules_path = dir.path() + "/routes.yaml";
    writeFile(rules_path, rules);
    gw = std::make_unique<TestGateway>([&](aigate::config::Config& c) {
      c.plugins.paths = {AIGATE_HELLO_PLUGIN};
      c.providers.clear();
      for (auto [name, api] : {std::pair{"alpha", &alpha_api}, std::pair{"beta", &beta_api}}) {
        aigate::config::ProviderConfig p;
        p.name = name;
        p.plugin = "hello";
        p.settings_json = json{{"base_url", api->baseUrl()}, {"poll_ms", 20}}.dump();
        p.api_key_env = "AIGATE_TEST_HELLO_KEY";
        c.providers.push_back(p);
      }
      c.generation.image = {"alpha"};
      c.generation.video = {"alpha"};
      c.generation.retry_base_ms = 20;
      c.routing.file = rules_path;
      for (auto& t : c.tiers) t.requests_per_minute = 100'000;  // the load test is not about limits
      if (tweak) tweak(c);
    });
    user = gw->createUser("router@example.com", "scale");
  }

  aigate::testing::HttpResponse generate(const std::string& body, const std::string& key = "") {
    return gw->post("/api/v1/generate/image", body, key.empty() ? user.api_key : key);
  }

  aigate::credits::Balance books() {
    auto b = aigate::credits::balanceOf(gw->store().reader(), user.user_id);
    REQUIRE(b.ok());
    return b.value();
  }

  json job(const std::string& id) { return gw->get("/api/v1/jobs/" + id, user.api_key).json()["job"]; }

  json provider(const std::string& name) {
    auto r = gw->get("/api/v1/providers", user.api_key);
    REQUIRE(r.status == 200);
    const json all = r.json();
    for (const auto& p : all["providers"])
      if (p["name"] == name) return p;
    FAIL("no provider " << name << " in " << r.body);
    return {};
  }
};

std::string ledgerKinds(aigate::store::Store& store, const std::string& user_id) {
  auto& q = store.reader().statement(
      "SELECT group_concat(kind || ':' || amount, ' ') FROM ledger WHERE user_id = ? AND kind != 'grant'");
  q.bind(1, user_id);
  REQUIRE(q.executeStep());
  std::string out = q.getColumn(0).isNull() ? "" : q.getColumn(0).getString();
  q.reset();
  return out;
}

}  // namespace

TEST_CASE("the first provider answers 500: the second serves, charged once", "[routing][gateway]") {
  TwoProviders f(R"(rules:
  - name: both
    chain:
      - {provider: alpha, attempts: 2}
      - beta
)");
  f.alpha_api.failNext(100, 500);
  auto r = f.generate(R"({"prompt":"a harbour at dawn","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "beta");
  CHECK(r.json()["credits_charged"] == 10);
  CHECK(f.alpha_api.submits() == 2);  // its own attempts: 2
  CHECK(f.beta_api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits - 10);
  CHECK(f.books().held == 0);
  // Each attempt is on the job.
  const json job = f.job(r.json()["job_id"]);
  INFO(job.dump());
  REQUIRE(job["attempts"].size() == 2);
  CHECK(job["attempts"][0]["provider"] == "alpha");
  CHECK(job["attempts"][0]["outcome"] == "failed");
  CHECK(job["attempts"][1]["provider"] == "beta");
  CHECK(job["attempts"][1]["outcome"] == "succeeded");
  CHECK(ledgerKinds(f.gw->store(), f.user.user_id) == "hold:0 capture:-10");
}

TEST_CASE("BYOK: the provider sees the user's own key and only the platform fee is charged",
          "[routing][gateway][byok]") {
  // Every structured log line of the test, to look for the key in.
  std::vector<std::string> lines;
  std::mutex lines_mutex;
  auto previous = aigate::log::setSink([&](std::string_view line) {
    std::lock_guard lock(lines_mutex);
    lines.emplace_back(line);
  });
  struct Restore {
    aigate::log::Sink sink;
    ~Restore() { aigate::log::setSink(sink); }
  } restore{previous};
  TwoProviders f("rules:\n  - {name: both, chain: [alpha, beta]}\n");
  const std::string user_key = "hk_users_own_key_canary_7781";
  auto put = f.gw->send("PUT", "/api/v1/byok/beta", json{{"api_key", user_key}}.dump(),
                        {"Authorization: Bearer " + f.user.api_key, "Content-Type: application/json"});
  INFO(put.body);
  REQUIRE(put.status == 200);
  auto r = f.generate(R"({"prompt":"on my own key","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  // prefer: the entry with the user's key goes first.
  CHECK(r.json()["provider"] == "beta");
  CHECK(r.json()["byok"] == true);
  CHECK(r.json()["credits_charged"] == 2);  // prices.byok_image
  CHECK(f.beta_api.lastAuthorization() == "Bearer " + user_key);
  CHECK(f.alpha_api.requests() == 0);
  CHECK(f.books().balance == kScaleCredits - 2);
  CHECK(ledgerKinds(f.gw->store(), f.user.user_id) == "hold:0 capture:-2");
  // The key is in no job row, and the providers list says the user has one.
  auto& q = f.gw->store().reader().statement(
      "SELECT COUNT(*) FROM jobs WHERE instr(COALESCE(state,'') || COALESCE(pending,'') || request ||"
      " chain || attempt_log, ?) > 0");
  q.bind(1, user_key);
  REQUIRE(q.executeStep());
  CHECK(q.getColumn(0).getInt() == 0);
  q.reset();
  CHECK(f.provider("beta")["byok"]["key"] == true);

  // When the provider fails on the user's key, the operator's provider serves, at its price.
  f.beta_api.failNext(100, 500);
  r = f.generate(R"({"prompt":"my provider is down","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "alpha");
  CHECK(r.json()["byok"] == false);
  CHECK(r.json()["credits_charged"] == 10);
  CHECK(f.alpha_api.lastAuthorization() == std::string("Bearer ") + kKey);

  // The user's key is in no answer, metric or log line.
  for (const std::string& body :
       {put.body, r.body, f.gw->get("/api/v1/byok", f.user.api_key).body,
        f.gw->get("/api/v1/providers", f.user.api_key).body, f.gw->get("/metrics").body,
        f.gw->get("/api/v1/jobs/" + r.json()["job_id"].get<std::string>(), f.user.api_key).body})
    CHECK(body.find(user_key) == std::string::npos);
  std::lock_guard lock(lines_mutex);
  CHECK(lines.size() >= 4);
  for (const auto& line : lines) CHECK(line.find(user_key) == std::string::npos);
}

TEST_CASE("a content-policy refusal does not fall back: 502, nothing charged", "[routing][gateway]") {
  TwoProviders f("rules:\n  - {name: both, chain: [alpha, beta]}\n");
  f.alpha_api.setFinalFailure("content_policy");
  auto r = f.generate(R"({"prompt":"something forbidden","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 502);
  CHECK(r.json()["error"] == "upstream_error");
  CHECK(r.json()["provider_error"] == "content_policy");
  CHECK(f.beta_api.requests() == 0);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
}

TEST_CASE("every provider down: 503 generation_unavailable, nothing charged", "[routing][gateway]") {
  TwoProviders f("rules:\n  - {name: both, chain: [{provider: alpha, attempts: 1}, {provider: beta, attempts: 1}]}\n");
  f.alpha_api.failNext(100, 503);
  f.beta_api.failNext(100, 500);
  auto r = f.generate(R"({"prompt":"nobody home","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 503);
  CHECK(r.json()["error"] == "generation_unavailable");
  CHECK(f.alpha_api.submits() == 1);
  CHECK(f.beta_api.submits() == 1);
  CHECK(f.books().balance == kScaleCredits);
  CHECK(f.books().held == 0);
  CHECK(ledgerKinds(f.gw->store(), f.user.user_id) == "hold:0 release:0");
}

TEST_CASE("a failing provider's circuit opens, is routed around, and shows in /providers",
          "[routing][gateway][breaker]") {
  TwoProviders f(R"(breaker: {failures: 2, cooldown_s: 60}
rules:
  - {name: both, chain: [{provider: alpha, attempts: 1}, beta]}
)");
  f.alpha_api.failNext(1000, 500);
  for (int i = 0; i < 2; ++i) {
    auto r = f.generate(R"({"prompt":"trip the breaker )" + std::to_string(i) + R"(","force_gen":true})");
    REQUIRE(r.status == 200);
    CHECK(r.json()["provider"] == "beta");
  }
  CHECK(f.alpha_api.submits() == 2);
  const json alpha = f.provider("alpha");
  INFO(alpha.dump());
  CHECK(alpha["health"]["circuit"] == "open");
  CHECK(alpha["health"]["consecutive_failures"] == 2);
  CHECK(f.provider("beta")["health"]["circuit"] == "closed");
  CHECK(f.provider("beta")["health"]["latency_ms"]["image"].is_number());
  // Open: alpha is not even asked.
  auto r = f.generate(R"({"prompt":"around the open circuit","force_gen":true})");
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "beta");
  CHECK(f.alpha_api.submits() == 2);
  // The admin view lists the breaker.
  auto admin = f.gw->get("/admin/v1/providers", aigate::testing::kAdminToken);
  REQUIRE(admin.status == 200);
  CHECK(admin.body.find("\"alpha/operator\"") != std::string::npos);
  // And so does /metrics.
  auto metrics = f.gw->get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK_THAT(metrics.body, Catch::Contains("aigate_routing_circuit_state{provider=\"alpha\"} 2"));
  CHECK_THAT(metrics.body, Catch::Contains("aigate_routing_circuit_state{provider=\"beta\"} 0"));
}

TEST_CASE("an entry's timeout_s moves on to the next provider before the job's deadline",
          "[routing][gateway]") {
  TwoProviders f("rules:\n  - {name: both, chain: [{provider: alpha, timeout_s: 1}, beta]}\n");
  f.alpha_api.setHang(true);
  auto r = f.generate(R"({"prompt":"do not wait forever","force_gen":true})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "beta");
  const json job = f.job(r.json()["job_id"]);
  CHECK(job["attempts"][0]["outcome"] == "timeout");
}

TEST_CASE("the held price is the dearest entry's; the serving entry's price is charged",
          "[routing][gateway][credits]") {
  TwoProviders f(R"(providers:
  alpha: {credits: {image: 25}}
  beta: {credits: {image: 8}}
rules:
  - {name: both, chain: [{provider: alpha, attempts: 1}, beta]}
)");
  f.alpha_api.failNext(100, 500);
  auto r = f.generate(R"({"prompt":"priced by who serves","force_gen":true,"async":true})");
  REQUIRE(r.status == 202);
  CHECK(r.json()["credits_reserved"] == 25);
  const std::string id = r.json()["job"]["id"];
  json job;
  for (int i = 0; i < 200 && (job.empty() || job["status"] == "running" || job["status"] == "queued"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    job = f.job(id);
  }
  REQUIRE(job["status"] == "succeeded");
  CHECK(job["provider"] == "beta");
  CHECK(f.books().balance == kScaleCredits - 8);
  CHECK(f.books().held == 0);
  CHECK(ledgerKinds(f.gw->store(), f.user.user_id) == "hold:0 capture:-8");
}

TEST_CASE("smart-routing hints: 403 below Scale, validated, followed within the rules",
          "[routing][gateway][hints]") {
  TwoProviders f(R"(rules:
  - {name: both, strategy: fallback, chain: [alpha, beta]}
)");
  auto pro = f.gw->createUser("pro@example.com", "pro");
  for (const char* body : {R"({"prompt":"x","force_gen":true,"routing":{"strategy":"cheapest"}})",
                           R"({"prompt":"x","force_gen":true,"provider":"beta"})",
                           R"({"prompt":"x","force_gen":true,"model":"m"})"}) {
    auto r = f.generate(body, pro.api_key);
    CHECK(r.status == 403);
    CHECK(r.json()["error"] == "feature_not_included");
    CHECK(r.json()["feature"] == "smart_routing");
  }
  auto bad = f.generate(R"({"prompt":"x","force_gen":true,"routing":{"strategy":"random"}})");
  CHECK(bad.status == 400);
  CHECK(bad.json()["field"] == "routing.strategy");
  bad = f.generate(R"({"prompt":"x","force_gen":true,"routing":{"colour":"blue"}})");
  CHECK(bad.json()["field"] == "routing.colour");
  bad = f.generate(R"({"prompt":"x","force_gen":true,"routing":{"exclude":["zeta"]}})");
  CHECK(bad.status == 400);
  CHECK(bad.json()["field"] == "routing.exclude");
  bad = f.generate(R"({"prompt":"x","force_gen":true,"routing":{"allow":["alpha"],"exclude":["alpha"]}})");
  CHECK(bad.status == 400);
  CHECK(bad.json()["field"] == "routing");

  auto r = f.generate(R"({"prompt":"x","force_gen":true,"routing":{"exclude":["alpha"]}})");
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "beta");
  r = f.generate(R"({"prompt":"y","force_gen":true,"provider":"beta"})");
  REQUIRE(r.status == 200);
  CHECK(r.json()["provider"] == "beta");
  CHECK(f.alpha_api.submits() == 0);
}

TEST_CASE("reload under load: requests keep succeeding while the rules change, an invalid "
          "file is refused and the old rules stay", "[routing][gateway][reload]") {
  TwoProviders f("rules:\n  - {name: first, chain: [alpha]}\n");
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::string> failures;
  std::mutex failures_mutex;
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      aigate::testing::HttpClient client;
      for (int i = 0; !stop; ++i) {
        auto r = client.request("POST", f.gw->url("/api/v1/generate/image"),
                                R"({"prompt":"load )" + std::to_string(t) + "-" + std::to_string(i) +
                                    R"(","force_gen":true})",
                                {"Authorization: Bearer " + f.user.api_key, "Content-Type: application/json"});
        if (r.status == 200) {
          ++ok;
        } else {
          ++failed;
          std::lock_guard lock(failures_mutex);
          failures.push_back(std::to_string(r.status) + " " + r.body);
        }
      }
    });
  }
  auto waitForOk = [&](int more) {
    const int target = ok + more;
    for (int i = 0; i < 400 && ok < target; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  };
  waitForOk(5);
  writeFile(f.rules_path, "rules:\n  - {name: second, chain: [beta]}\n");
  auto reload = f.gw->post("/admin/v1/routing/reload", "{}", aigate::testing::kAdminToken);
  INFO(reload.body);
  CHECK(reload.status == 200);
  CHECK(reload.json()["rules"][0]["name"] == "second");
  const int beta_before = f.beta_api.submits();
  waitForOk(5);
  CHECK(f.beta_api.submits() > beta_before);

  writeFile(f.rules_path, "rules:\n  - {name: third, chain: [gamma]}\n");
  reload = f.gw->post("/admin/v1/routing/reload", "{}", aigate::testing::kAdminToken);
  CHECK(reload.status == 400);
  CHECK(reload.body.find("routes.yaml:2: rules[0] (third).chain[0]: unknown provider") != std::string::npos);
  waitForOk(5);
  stop = true;
  for (auto& c : clients) c.join();
  INFO((failures.empty() ? std::string() : failures.front()));
  CHECK(failed == 0);
  CHECK(ok >= 15);
  // The old (second) rules stayed: the explain endpoint agrees.
  auto explain = f.gw->post("/admin/v1/routing/explain", R"({"kind":"image","tier":"scale"})",
                            aigate::testing::kAdminToken);
  REQUIRE(explain.status == 200);
  CHECK(explain.json()["rule"] == "second");
  CHECK(explain.json()["chain"][0]["provider"] == "beta");
  CHECK(f.books().held == 0);
}

TEST_CASE("SIGHUP reloads the rules of a running aigate serve", "[routing][process][reload]") {
  TempDir dir;
  const std::string rules = dir.path() + "/routes.yaml";
  writeFile(rules, "rules:\n  - {name: first, chain: [local]}\n");
  writeFile(dir.path() + "/aigate.yaml", "data_dir: " + dir.path() + "/data\nrouting:\n  file: routes.yaml\n");
  aigate::testing::GatewayProcess gw(AIGATE_BINARY, {"--config", dir.path() + "/aigate.yaml"},
                                     dir.path() + "/log",
                                     {{"AIGATE_ADMIN_TOKEN", aigate::testing::kAdminToken}});
  REQUIRE(gw.start());
  aigate::testing::HttpClient client;
  auto explain = [&] {
    auto r = client.request("POST", gw.url("/admin/v1/routing/explain"), R"({"kind":"video","tier":"pro"})",
                            {std::string("Authorization: Bearer ") + aigate::testing::kAdminToken,
                             "Content-Type: application/json"});
    REQUIRE(r.status == 200);
    return r.json()["rule"].get<std::string>();
  };
  CHECK(explain() == "first");
  writeFile(rules, "rules:\n  - {name: second, chain: [local]}\n");
  gw.signal(SIGHUP);
  std::string rule;
  for (int i = 0; i < 100 && (rule = explain()) != "second"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(rule == "second");
  writeFile(rules, "rules:\n  - {name: broken, chain: []}\n");
  gw.signal(SIGHUP);
  for (int i = 0; i < 100 && gw.output().find("NOT reloaded") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_THAT(gw.output(), Catch::Contains("routes.yaml:2: rules[0] (broken).chain: the chain is empty"));
  CHECK(explain() == "second");
  CHECK(gw.stop() == 0);
}

TEST_CASE("aigate routes check and explain", "[routing][cli]") {
  TempDir dir;
  auto run = [&](const std::string& args, std::string& out) {
    const std::string cmd = std::string(AIGATE_BINARY) + " " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    out.clear();
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = ::pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string out;
  writeFile(dir.path() + "/good.yaml", R"(rules:
  - {name: pro-video, match: {kind: video, min_tier: pro}, chain: [{provider: local, timeout_s: 60}]}
  - {name: rest, chain: [local]}
)");
  CHECK(run("routes check " + dir.path() + "/good.yaml", out) == 0);
  CHECK_THAT(out, Catch::Contains("pro-video"));
  writeFile(dir.path() + "/bad.yaml", R"(rules:
  - {name: a, chain: [nowhere]}
  - {name: b, chain: [local], color: red}
)");
  CHECK(run("routes check " + dir.path() + "/bad.yaml", out) == 1);
  CHECK_THAT(out, Catch::Contains("bad.yaml:3: rules[1].color: unknown key"));
  writeFile(dir.path() + "/bad2.yaml", "rules:\n  - {name: a, chain: [nowhere]}\n");
  CHECK(run("routes check " + dir.path() + "/bad2.yaml", out) == 1);
  CHECK_THAT(out, Catch::Contains("bad2.yaml:2: rules[0] (a).chain[0]: unknown provider \"nowhere\""));

  CHECK(run("routes explain --kind video --tier pro --prompt 'a fox' --file " + dir.path() + "/good.yaml", out) == 0);
  CHECK_THAT(out, Catch::Contains("rule: \"pro-video\""));
  CHECK_THAT(out, Catch::Contains("1. local"));
  CHECK(run("routes explain --kind video --tier free --prompt 'a fox' --json --file " + dir.path() + "/good.yaml", out) == 0);
  CHECK(json::parse(out)["rule"] == "rest");
}

TEST_CASE("the routing examples are valid", "[routing][cli][examples]") {
  const std::string dir = std::string(AIGATE_SOURCE_DIR) + "/examples/routing/";
  for (const char* file : {"cheapest-first.yaml", "premium-video.yaml", "byok-only.yaml"}) {
    const std::string cmd = std::string(AIGATE_BINARY) + " routes check --config " + dir +
                            "aigate.yaml " + dir + file + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    INFO(file << ": " << out);
    CHECK(::pclose(p) == 0);
  }
}
