// Routing as clients and operators see it: GET /api/v1/providers (what this
// gateway can route to, and how healthy it is), and for the operator
// POST /admin/v1/routing/reload, POST /admin/v1/routing/explain and
// GET /admin/v1/providers (every breaker, users' keys included).
#include "core/api/app.h"
#include "core/api/json_body.h"
#include "core/jobs/job.h"
#include "core/jobs/routes.h"

#include <algorithm>
#include <cmath>

namespace aigate::api {
namespace {

using nlohmann::json;

json breakerJson(const routing::Health& health, const std::string& key, int64_t now) {
  auto state = health.state(key, now);
  if (!state) return {{"circuit", "closed"}, {"consecutive_failures", 0}};
  return {{"circuit", routing::circuitName(state->circuit)},
          {"consecutive_failures", state->consecutive_failures},
          {"failures", state->total_failures},
          {"successes", state->total_successes}};
}

json providerJson(const routing::Table& table, const routing::Health& health,
                  const routing::ProviderInfo& p, int64_t now) {
  json latency = json::object();
  for (const auto& kind : p.kinds) {
    auto ms = health.latencyMs(p.name, kind);
    latency[kind] = ms ? json(std::round(*ms)) : json(nullptr);
  }
  json health_json = breakerJson(health, routing::breakerKey(p.name, "operator"), now);
  health_json["latency_ms"] = std::move(latency);
  const auto& policy = table.policy(p.name);
  json credits = json::object();
  for (const auto& kind : p.kinds) credits[kind] = table.credits(p.name, kind);
  return {{"name", p.name},
          {"kinds", p.kinds},
          {"models", p.models},
          {"default_model", p.default_model.empty() ? json(nullptr) : json(p.default_model)},
          {"enabled", policy.enabled},
          {"credits", std::move(credits)},
          {"health", std::move(health_json)}};
}

Outcome listProviders(Context& ctx) {
  jobs::Routes* routes = ctx.app.routes();
  json out = json::array();
  if (!routes) return Reply::json(200, {{"providers", out}});
  const auto table = routes->table();
  const auto& health = *routes->health();
  const int64_t now = jobs::unixMillis();
  const auto& user = ctx.caller->user;
  const bool byok_allowed = user.tier_level >= ctx.app.config().features.byok;
  const auto keys = byok_allowed ? ctx.app.byokProviders(user.id) : std::vector<std::string>{};
  for (const auto& p : table->providers()) {
    json item = providerJson(*table, health, p, now);
    const bool has_key = std::find(keys.begin(), keys.end(), p.name) != keys.end();
    json byok = {{"supported", p.takes_key}, {"allowed", byok_allowed && p.takes_key},
                 {"key", has_key}, {"operator_key", !table->policy(p.name).byok_only}};
    if (has_key)
      byok["health"] = breakerJson(health, routing::breakerKey(p.name, "byok:" + user.id), now);
    item["byok"] = std::move(byok);
    out.push_back(std::move(item));
  }
  return Reply::json(200, {{"providers", std::move(out)}});
}

Outcome adminProviders(Context& ctx) {
  jobs::Routes* routes = ctx.app.routes();
  if (!routes) return Reply::json(200, {{"providers", json::array()}, {"breakers", json::array()}});
  const auto table = routes->table();
  const int64_t now = jobs::unixMillis();
  json providers = json::array();
  for (const auto& p : table->providers())
    providers.push_back(providerJson(*table, *routes->health(), p, now));
  json breakers = json::array();
  for (const auto& b : routes->health()->snapshot(now))
    breakers.push_back({{"key", b.key},
                        {"circuit", routing::circuitName(b.circuit)},
                        {"consecutive_failures", b.consecutive_failures},
                        {"failures", b.total_failures},
                        {"successes", b.total_successes}});
  return Reply::json(200, {{"providers", std::move(providers)}, {"breakers", std::move(breakers)}});
}

json tableSummary(const jobs::Routes& routes) {
  const auto table = routes.table();
  json rules = json::array();
  for (const auto& r : table->rules())
    rules.push_back({{"name", r.name}, {"where", r.where}, {"strategy", routing::strategyName(r.strategy)}});
  return {{"file", routes.file().empty() ? json(nullptr) : json(routes.file())},
          {"rules", std::move(rules)}};
}

Outcome reloadRouting(Context& ctx) {
  jobs::Routes* routes = ctx.app.routes();
  if (!routes)
    return Error(ErrorCode::kInvalidRequest, "This gateway has no routing (no generation providers).");
  Status reloaded = routes->reload();
  if (!reloaded) {
    json errors = json::array();
    std::string message = reloaded.error().message();
    size_t start = 0;
    while (start < message.size()) {
      size_t end = message.find('\n', start);
      if (end == std::string::npos) end = message.size();
      errors.push_back(message.substr(start, end - start));
      start = end + 1;
    }
    return Error(ErrorCode::kInvalidRequest,
                 "The routing rules were not reloaded; the previous rules stay in force.",
                 {{"errors", std::move(errors)}});
  }
  json out = tableSummary(*routes);
  out["reloaded"] = true;
  return Reply::json(200, std::move(out));
}

// The plan the live gateway would make for a request, with its reasons.
Outcome explainRouting(Context& ctx) {
  jobs::Routes* routes = ctx.app.routes();
  if (!routes)
    return Error(ErrorCode::kInvalidRequest, "This gateway has no routing (no generation providers).");
  auto body = parseJsonObject(ctx.req.body);
  if (!body) return body.error();
  Fields f(*body);
  auto kind = f.string("kind", true, 8);
  auto tier = f.string("tier", false, 64);
  auto user_id = f.string("user_id", false, 64);
  auto email = f.string("email", false, 254);
  auto prompt = f.string("prompt", false, 16000);
  auto topic = f.string("topic", false, 64);
  auto ratio = f.string("aspect_ratio", false, 8);
  auto provider = f.string("provider", false, 64);
  auto model = f.string("model", false, 128);
  if (!f.ok()) return f.error();
  if (*kind != "image" && *kind != "video")
    return Error::invalidField("kind", "kind must be image or video.");
  const auto& cfg = ctx.app.config();
  routing::Request r;
  r.kind = *kind;
  r.tier = tier.value_or(cfg.free_tier);
  const config::TierConfig* t = cfg.findTier(r.tier);
  if (!t) return Error::invalidField("tier", "Unknown tier \"" + r.tier + "\".");
  r.tier_level = t->level;
  r.user_id = user_id.value_or("");
  r.email = email.value_or("");
  r.prompt = prompt.value_or("");
  r.topic = topic.value_or("");
  r.aspect_ratio = ratio.value_or("1:1");
  if (provider) r.hints.provider = *provider;
  if (model) r.hints.model = *model;
  r.byok_allowed = r.tier_level >= cfg.features.byok;
  if (r.byok_allowed && !r.user_id.empty()) r.byok_keys = ctx.app.byokProviders(r.user_id);
  return Reply::json(200, routing::planJson(routes->choose(r)));
}

}  // namespace

void addRoutingRoutes(Router& router) {
  router.add({Method::kGet, "/api/v1/providers", Access::kUser, listProviders});
  router.add({Method::kGet, "/admin/v1/providers", Access::kAdmin, adminProviders});
  router.add({Method::kPost, "/admin/v1/routing/reload", Access::kAdmin, reloadRouting});
  router.add({Method::kPost, "/admin/v1/routing/explain", Access::kAdmin, explainRouting});
}

}  // namespace aigate::api
