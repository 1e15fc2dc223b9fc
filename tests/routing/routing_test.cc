// routing/: every match condition, strategy, BYOK policy, breaker transition
// and validation error (each with its file:line), without I/O.
#include "config/routing_config.h"
#include "routing/router.h"

#include <catch2/catch.hpp>

#include <map>

using namespace aigate;
using routing::Health;
using routing::Request;

namespace {

std::vector<routing::ProviderInfo> catalog() {
  return {{"alpha", {"image", "video"}, {"a1", "a2"}, "a1", true},
          {"beta", {"image"}, {}, "", true},
          {"gamma", {"image", "video"}, {"g1"}, "g1", true},
          {"local", {"image", "video"}, {"procedural-v1"}, "procedural-v1", false}};
}

config::Config baseConfig() {
  config::Config c;
  config::ProviderConfig p;
  for (const char* name : {"alpha", "beta", "gamma", "local"}) {
    p.name = name;
    p.plugin = name;
    c.providers.push_back(p);
  }
  c.generation.image = {"local"};
  c.generation.video = {"local"};
  return c;
}

std::shared_ptr<const routing::Table> compile(const std::string& yaml) {
  return routing::Table::compile(baseConfig(), config::parseRouting(yaml, "routes.yaml"), catalog());
}

// The problems compile() reports for `yaml`, or "" when it compiles.
std::string problems(const std::string& yaml) {
  try {
    compile(yaml);
    return "";
  } catch (const config::ConfigError& e) {
    return e.what();
  }
}

Request request(const std::string& kind = "image", const std::string& tier = "free") {
  Request r;
  r.kind = kind;
  r.tier = tier;
  std::map<std::string, int> levels = {{"free", 0}, {"starter", 1}, {"pro", 2}, {"scale", 3}};
  r.tier_level = levels[tier];
  r.user_id = "usr_1";
  r.email = "ann@studio.example";
  r.prompt = "a red fox in the snow";
  return r;
}

std::vector<std::string> providersOf(const routing::Plan& plan) {
  std::vector<std::string> out;
  for (const auto& c : plan.chain) out.push_back(c.provider);
  return out;
}

routing::Plan route(const routing::Table& t, const Request& r, const Health& h = Health{},
                    int64_t now = 1'000'000, uint64_t random = 7) {
  return routing::choose(t, r, h, now, random);
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("each match condition selects its rule", "[routing][match]") {
  auto t = compile(R"(
rules:
  - {name: by-kind, match: {kind: video}, chain: [alpha]}
  - {name: by-tier, match: {tier: [pro]}, chain: [beta]}
  - {name: by-min-tier, match: {min_tier: scale}, chain: [gamma]}
  - {name: by-topic, match: {topic: [nature, travel]}, chain: [alpha]}
  - {name: by-ratio, match: {aspect_ratio: "9:16"}, chain: [beta]}
  - {name: by-user, match: {user: usr_vip}, chain: [gamma]}
  - {name: by-email, match: {email: "*@bigco.example"}, chain: [alpha]}
  - {name: by-prompt, match: {prompt: "cinematic|film( noir)?"}, chain: [beta]}
  - {name: by-provider, match: {provider: gamma}, chain: [gamma]}
  - {name: by-model, match: {model: a2}, chain: [alpha]}
  - {name: rest, chain: [local]}
)");
  CHECK(route(*t, request("video")).rule == "by-kind");
  CHECK(route(*t, request("image", "pro")).rule == "by-tier");
  CHECK(route(*t, request("image", "scale")).rule == "by-min-tier");
  CHECK(route(*t, request("image", "starter")).rule == "rest");
  auto topic = request();
  topic.topic = "travel";
  CHECK(route(*t, topic).rule == "by-topic");
  auto ratio = request();
  ratio.aspect_ratio = "9:16";
  CHECK(route(*t, ratio).rule == "by-ratio");
  auto vip = request();
  vip.user_id = "usr_vip";
  CHECK(route(*t, vip).rule == "by-user");
  auto email = request();
  email.email = "Bob@BIGCO.example";  // emails match case-insensitively
  CHECK(route(*t, email).rule == "by-email");
  auto prompt = request();
  prompt.prompt = "A CINEMATIC shot of rain";
  CHECK(route(*t, prompt).rule == "by-prompt");
  prompt.prompt = "film noir alley";
  CHECK(route(*t, prompt).rule == "by-prompt");
  auto hinted = request();
  hinted.hints.provider = "gamma";
  CHECK(route(*t, hinted).rule == "by-provider");
  auto model = request();
  model.hints.model = "a2";
  CHECK(route(*t, model).rule == "by-model");
  CHECK(route(*t, request()).rule == "rest");
}

TEST_CASE("all conditions of a rule must hold", "[routing][match]") {
  auto t = compile(R"(
rules:
  - {name: both, match: {kind: image, min_tier: pro, topic: nature}, chain: [alpha]}
  - {name: rest, chain: [local]}
)");
  auto r = request("image", "pro");
  CHECK(route(*t, r).rule == "rest");
  r.topic = "nature";
  CHECK(route(*t, r).rule == "both");
  r.kind = "video";
  CHECK(route(*t, r).rule == "rest");
}

TEST_CASE("without a catch-all rule the main config's chains are the default rule", "[routing]") {
  auto t = compile("rules:\n  - {name: vids, match: {kind: video, tier: pro}, chain: [alpha]}\n");
  auto plan = route(*t, request("image"));
  CHECK(plan.rule == "default-image");
  CHECK(providersOf(plan) == Names{"local"});
  auto empty = compile("");
  CHECK(providersOf(route(*empty, request("video"))) == Names{"local"});
}

TEST_CASE("fallback keeps the written order and skips what cannot serve", "[routing][strategy]") {
  auto t = compile(R"(
providers:
  gamma: {enabled: false}
rules:
  - {name: r, chain: [beta, gamma, alpha, local]}
)");
  auto plan = route(*t, request("video"));
  CHECK(providersOf(plan) == Names{"alpha", "local"});  // beta makes no videos, gamma disabled
  REQUIRE(plan.skipped.size() == 2);
  CHECK(plan.skipped[0].reason == "cannot make videos");
  CHECK(plan.skipped[1].reason == "disabled by the operator");
  CHECK(plan.chain[0].reason == "chain position 3");
}

TEST_CASE("cheapest orders by credits, then by the operator's cost", "[routing][strategy]") {
  auto t = compile(R"(
providers:
  alpha: {credits: {image: 8}, cost: {image: 0.04}}
  beta: {credits: {image: 8}, cost: {image: 0.01}}
  gamma: {credits: {image: 5}}
rules:
  - {name: r, strategy: cheapest, chain: [alpha, beta, gamma, local]}
)");
  auto plan = route(*t, request());
  CHECK(providersOf(plan) == Names{"gamma", "beta", "alpha", "local"});
  CHECK(plan.chain[0].credits == 5);
  CHECK(plan.chain[3].credits == 10);  // prices.generated_image
  CHECK(plan.maxCredits() == 10);
}

TEST_CASE("fastest orders by observed latency, unknown last", "[routing][strategy]") {
  auto t = compile("rules:\n  - {name: r, strategy: fastest, chain: [alpha, beta, gamma]}\n");
  Health h;
  h.recordLatency("gamma", "image", 300);
  h.recordLatency("beta", "image", 900);
  h.recordLatency("beta", "video", 10);  // another kind does not count
  auto plan = route(*t, request(), h);
  CHECK(providersOf(plan) == Names{"gamma", "beta", "alpha"});
  CHECK(plan.chain[2].reason == "no latency observed yet");
  // The moving mean follows new samples.
  for (int i = 0; i < 30; ++i) h.recordLatency("beta", "image", 100);
  CHECK(providersOf(route(*t, request(), h)) == Names{"beta", "gamma", "alpha"});
}

TEST_CASE("weighted picks in proportion to the weights", "[routing][strategy]") {
  auto t = compile(R"(
rules:
  - name: r
    strategy: weighted
    chain:
      - {provider: alpha, weight: 3}
      - {provider: beta, weight: 1}
      - {provider: gamma, weight: 0}
)");
  std::map<std::string, int> first;
  for (uint64_t seed = 0; seed < 4000; ++seed) {
    auto plan = route(*t, request(), Health{}, 0, seed);
    REQUIRE(plan.chain.size() == 3);
    CHECK(plan.chain.back().provider == "gamma");  // weight 0: only as the last resort
    ++first[plan.chain[0].provider];
  }
  CHECK(first["gamma"] == 0);
  CHECK(first["alpha"] > 2700);  // ~3000 expected
  CHECK(first["alpha"] < 3300);
  CHECK(first["beta"] > 700);
}

TEST_CASE("BYOK policies: prefer, only, never", "[routing][byok]") {
  auto t = compile(R"(
providers:
  gamma: {credential: byok}
rules:
  - {name: only, match: {topic: only}, byok: only, chain: [alpha, beta]}
  - {name: never, match: {topic: never}, byok: never, chain: [alpha, gamma, beta]}
  - {name: prefer, chain: [beta, alpha, gamma, local]}
)");
  auto r = request("image", "scale");
  r.byok_allowed = true;
  r.byok_keys = {"alpha"};
  auto plan = route(*t, r);
  // prefer: the user's key first (platform fee), the rest by the operator;
  // gamma takes only users' keys and the user has none for it.
  CHECK(providersOf(plan) == Names{"alpha", "beta", "local"});
  CHECK(plan.chain[0].credential == "byok");
  CHECK(plan.chain[0].credits == 2);  // prices.byok_image
  CHECK(plan.chain[1].credential == "operator");
  CHECK(plan.chain[1].credits == 10);
  CHECK(plan.skipped.at(0).provider == "gamma");

  r.topic = "only";
  plan = route(*t, r);
  CHECK(providersOf(plan) == Names{"alpha"});
  r.byok_keys.clear();
  plan = route(*t, r);
  CHECK(plan.chain.empty());
  CHECK(plan.problem == routing::Plan::Problem::kUnavailable);

  r.topic = "never";
  r.byok_keys = {"alpha", "gamma"};
  plan = route(*t, r);
  CHECK(providersOf(plan) == Names{"alpha", "beta"});
  CHECK(plan.chain[0].credential == "operator");

  // A tier without BYOK never uses keys, even stored ones.
  r.topic.clear();
  r.byok_allowed = false;
  plan = route(*t, r);
  CHECK(plan.chain[0].credential == "operator");
  // Local renderers take no key.
  r.byok_allowed = true;
  r.byok_keys = {"local"};
  CHECK(route(*t, r).chain.back().credential == "operator");
}

TEST_CASE("smart-routing hints steer within the rule", "[routing][hints]") {
  auto t = compile(R"(
providers:
  alpha: {credits: {image: 30}}
rules:
  - {name: r, chain: [alpha, beta, {provider: gamma, model: g1}]}
)");
  auto r = request("image", "scale");
  r.hints.provider = "beta";
  CHECK(providersOf(route(*t, r)) == Names{"beta"});
  r.hints.provider = "local";  // configured, but not in this rule
  auto plan = route(*t, r);
  CHECK(plan.problem == routing::Plan::Problem::kBadHint);
  CHECK(plan.field == "provider");

  r.hints = {};
  r.hints.model = "a2";
  plan = route(*t, r);
  CHECK(providersOf(plan) == Names{"alpha", "beta"});  // beta takes any model; gamma is fixed to g1
  CHECK(plan.chain[0].model == "a2");
  r.hints.model = "zzz";
  plan = route(*t, r);
  CHECK(providersOf(plan) == Names{"beta"});
  r.hints = {};
  r.hints.model = "g1";
  CHECK(providersOf(route(*t, r)) == Names{"beta", "gamma"});

  r.hints = {};
  r.hints.strategy = routing::Strategy::kCheapest;
  r.hints.exclude = {"beta"};
  CHECK(providersOf(route(*t, r)) == Names{"gamma", "alpha"});
  r.hints.allow = {"alpha"};
  CHECK(providersOf(route(*t, r)) == Names{"alpha"});
  r.hints = {};
  r.hints.max_credits = 10;
  CHECK(providersOf(route(*t, r)) == Names{"beta", "gamma"});
  r.hints.max_credits = 1;
  plan = route(*t, r);
  CHECK(plan.problem == routing::Plan::Problem::kBadHint);
  CHECK(plan.field == "routing");
}

TEST_CASE("breaker: closed, open after N failures, half-open after the cool-down, closed on success",
          "[routing][breaker]") {
  Health h({3, 10'000});
  const auto key = routing::breakerKey("alpha", "operator");
  CHECK(h.circuit(key, 0) == routing::Circuit::kClosed);
  h.failure(key, 100);
  h.failure(key, 200);
  CHECK(h.allows(key, 300));
  h.success(key, 300);  // a success resets the count
  h.failure(key, 400);
  h.failure(key, 500);
  CHECK(h.circuit(key, 600) == routing::Circuit::kClosed);
  h.failure(key, 600);
  CHECK(h.circuit(key, 700) == routing::Circuit::kOpen);
  CHECK_FALSE(h.allows(key, 700));
  CHECK_FALSE(h.allows(key, 10'599));
  // Half-open: exactly one trial at a time.
  CHECK(h.circuit(key, 10'600) == routing::Circuit::kHalfOpen);
  CHECK(h.allows(key, 10'600));
  h.begin(key, 10'600);
  CHECK_FALSE(h.allows(key, 10'601));
  // A failed trial opens it for another cool-down.
  h.failure(key, 11'000);
  CHECK(h.circuit(key, 11'001) == routing::Circuit::kOpen);
  CHECK(h.circuit(key, 21'000) == routing::Circuit::kHalfOpen);
  h.begin(key, 21'000);
  // A neutral end (content policy) frees the trial slot without a verdict.
  h.neutral(key);
  CHECK(h.allows(key, 21'001));
  h.begin(key, 21'001);
  h.success(key, 22'000);
  CHECK(h.circuit(key, 22'001) == routing::Circuit::kClosed);
  auto s = h.state(key, 22'001);
  REQUIRE(s);
  CHECK(s->total_failures == 6);
  CHECK(s->total_successes == 2);
  // Another credential of the same provider is another breaker.
  CHECK(h.circuit(routing::breakerKey("alpha", "byok:usr_1"), 0) == routing::Circuit::kClosed);
}

TEST_CASE("an open circuit takes the provider out of the chain", "[routing][breaker]") {
  auto t = compile("breaker: {failures: 2, cooldown_s: 60}\nrules:\n  - {name: r, chain: [alpha, beta]}\n");
  Health h({t->breakerFailures(), int64_t{t->breakerCooldownS()} * 1000});
  const auto key = routing::breakerKey("alpha", "operator");
  h.failure(key, 0);
  h.failure(key, 0);
  auto plan = route(*t, request(), h, 1000);
  CHECK(providersOf(plan) == Names{"beta"});
  CHECK(plan.skipped.at(0).reason == "circuit open after 2 failures in a row");
  plan = route(*t, request(), h, 61'000);
  CHECK(providersOf(plan) == Names{"alpha", "beta"});
  CHECK(plan.chain[0].reason.find("half-open") != std::string::npos);
  // A user's failing key does not open the operator's circuit.
  const auto byok = routing::breakerKey("beta", "byok:usr_1");
  h.failure(byok, 0);
  h.failure(byok, 0);
  auto r = request("image", "scale");
  r.byok_allowed = true;
  r.byok_keys = {"beta"};
  plan = route(*t, r, h, 1000);
  CHECK(plan.chain.empty());
  r.user_id = "usr_2";
  CHECK(route(*t, r, h, 1000).chain.at(0).credential == "byok");
}

TEST_CASE("validation names file:line for every problem", "[routing][validation]") {
  SECTION("unknown keys and wrong types") {
    const std::string p = problems(R"(rules:
  - name: r
    chain: [alpha]
    colour: blue
    match:
      kind: picture
      tier: 3x
  - name: s
    strategy: random
    chain: {provider: alpha}
)");
    CHECK_THAT(p, Catch::Contains("routes.yaml:4: rules[0].colour: unknown key"));
    CHECK_THAT(p, Catch::Contains("routes.yaml:6: rules[0].match.kind: must be one of image, video"));
    CHECK_THAT(p, Catch::Contains("routes.yaml:9: rules[1].strategy: must be one of fallback"));
    CHECK_THAT(p, Catch::Contains("routes.yaml:10: rules[1].chain: must be a list of providers"));
  }
  SECTION("unknown providers, tiers and models") {
    const std::string p = problems(R"(providers:
  delta: {enabled: true}
rules:
  - name: r
    match: {tier: platinum, min_tier: gold}
    chain:
      - nope
      - {provider: alpha, model: a9}
)");
    CHECK_THAT(p, Catch::Contains("routes.yaml:2: providers.delta: unknown provider"));
    CHECK_THAT(p, Catch::Contains("routes.yaml:5: rules[0] (r).match.tier: unknown tier \"platinum\""));
    CHECK_THAT(p, Catch::Contains("routes.yaml:5: rules[0] (r).match.min_tier: unknown tier \"gold\""));
    CHECK_THAT(p, Catch::Contains("routes.yaml:7: rules[0] (r).chain[0]: unknown provider \"nope\""));
    CHECK_THAT(p, Catch::Contains(
                      "routes.yaml:8: rules[0] (r).chain[1].model: the provider alpha does not offer "
                      "the model \"a9\" (it offers: a1, a2)"));
  }
  SECTION("empty chains, kinds a provider cannot make, bad regexes") {
    const std::string p = problems(R"(rules:
  - name: a
    chain: []
  - name: b
    match: {kind: video}
    chain: [beta]
  - name: c
    match: {prompt: "(unclosed"}
    chain: [alpha]
)");
    CHECK_THAT(p, Catch::Contains("routes.yaml:3: rules[0] (a).chain: the chain is empty"));
    CHECK_THAT(p, Catch::Contains("routes.yaml:6: rules[1] (b).chain[0]: the provider beta cannot make videos"));
    CHECK_THAT(p, Catch::Contains("routes.yaml:8: rules[2] (c).match.prompt: the regex \"(unclosed\" does not compile"));
    CHECK_THAT(problems("rules:\n  - name: d\n    match: {topic: x}\n"),
               Catch::Contains("routes.yaml:2: rules[0].chain: a rule needs a chain of providers"));
  }
  SECTION("shadowed rules") {
    const std::string p = problems(R"(rules:
  - {name: pros, match: {min_tier: pro}, chain: [alpha]}
  - {name: scale-video, match: {kind: video, tier: scale}, chain: [gamma]}
  - {name: nature, match: {topic: [nature, sea]}, chain: [alpha]}
  - {name: sea, match: {topic: sea, kind: image}, chain: [beta]}
  - {name: everything, chain: [local]}
  - {name: after-all, match: {kind: image}, chain: [local]}
  - {name: free-only, match: {tier: free}, chain: [local]}
)");
    CHECK_THAT(p, Catch::Contains("routes.yaml:3: rules[1] (scale-video): never used: the earlier rule \"pros\""));
    CHECK_THAT(p, Catch::Contains("routes.yaml:5: rules[3] (sea): never used: the earlier rule \"nature\""));
    CHECK_THAT(p, Catch::Contains("routes.yaml:7: rules[5] (after-all): never used: the earlier rule \"everything\""));
    CHECK_THAT(p, Catch::Contains("routes.yaml:8: rules[6] (free-only): never used"));
  }
  SECTION("a rule that is not shadowed is accepted") {
    CHECK(problems(R"(rules:
  - {name: pros-video, match: {min_tier: pro, kind: video}, chain: [alpha]}
  - {name: pros, match: {min_tier: pro}, chain: [alpha]}
  - {name: film, match: {prompt: film}, chain: [alpha]}
  - {name: film-video, match: {prompt: film, kind: video}, chain: [alpha]}
)").find("pros") == std::string::npos);
  }
  SECTION("secrets, duplicates, breaker settings and YAML syntax") {
    const std::string p = problems(R"(breaker: {failures: 0}
providers:
  alpha: {api_key: sk-123}
)");
    CHECK_THAT(p, Catch::Contains("routes.yaml:1: breaker.failures: must be at least 1"));
    CHECK_THAT(p, Catch::Contains("routes.yaml:3: providers.alpha.api_key: secrets do not belong"));
    CHECK_THAT(p, !Catch::Contains("sk-123"));
    CHECK_THAT(problems(R"(rules:
  - {name: same, match: {kind: image}, chain: [alpha]}
  - {name: same, match: {kind: video}, chain: [alpha]}
)"), Catch::Contains("routes.yaml:3: rules[1] (same).name: another rule has the name"));
    CHECK_THAT(problems("rules: [\n  {name: x,\n"), Catch::Contains("routes.yaml:"));
  }
}

TEST_CASE("explain prints the rule, the chain and the reasons", "[routing][explain]") {
  auto t = compile(R"(
rules:
  - {name: pro-images, match: {min_tier: pro}, strategy: cheapest, chain: [alpha, beta]}
  - {name: rest, chain: [local]}
)");
  auto r = request("image", "pro");
  r.byok_allowed = true;
  r.byok_keys = {"beta"};
  const std::string text = routing::explainText(route(*t, r));
  CHECK_THAT(text, Catch::Contains("rule: pro-images (routes.yaml:3)"));
  CHECK_THAT(text, Catch::Contains("1. beta — 2 credits, user's key — your own key (platform fee only); 2 credits"));
  CHECK_THAT(text, Catch::Contains("2. alpha — 10 credits, operator's key"));
  auto json = routing::planJson(route(*t, r));
  CHECK(json["rule"] == "pro-images");
  CHECK(json["chain"][0]["credential"] == "byok");
}
