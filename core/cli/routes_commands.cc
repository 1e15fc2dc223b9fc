// `aigate routes check [FILE]` and `aigate routes explain`: the routing
// rules validated exactly as the gateway validates them, and the chain a
// request would get, with the reason for each entry.
#include "core/byok/keystore.h"
#include "core/cli/commands.h"
#include "core/http/transfer.h"
#include "core/jobs/job.h"
#include "core/jobs/providers.h"
#include "core/jobs/routes.h"

#include <iostream>

namespace aigate::cli {
namespace {

// The providers of the config, described by their plugins (no keys needed).
std::vector<routing::ProviderInfo> catalogOf(const config::Config& cfg) {
  auto plugins = loadPlugins(cfg);
  std::vector<routing::ProviderInfo> out;
  for (const auto& p : cfg.providers) {
    auto plugin = plugins->find(p.plugin);
    if (!plugin)
      throw config::ConfigError(cfg.source + ": provider " + p.name + ": the plugin \"" + p.plugin +
                                "\" is not loaded");
    out.push_back(jobs::providerInfo(p.name, *plugin));
  }
  return out;
}

}  // namespace

int checkRoutes(const CommonOptions& common, const std::string& file) {
  try {
    const config::Config cfg = loadConfig(common);
    const std::string path = file.empty() ? cfg.routingFile() : file;
    auto table = jobs::compileRoutes(cfg, path, catalogOf(cfg));
    nlohmann::json rules = nlohmann::json::array();
    for (const auto& r : table->rules()) rules.push_back(r.name + " (" + r.where + ")");
    printResult(common, {{"ok", true},
                         {"file", path.empty() ? "(none: the default rule)" : path},
                         {"rules", std::move(rules)}});
    return 0;
  } catch (const config::ConfigError& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "aigate: " << e.what() << std::endl;
    return 1;
  }
}

int explainRoutes(const CommonOptions& common, const ExplainOptions& o) {
  try {
    const config::Config cfg = loadConfig(common);
    routing::Request r;
    r.kind = o.kind;
    if (r.kind != "image" && r.kind != "video") {
      std::cerr << "aigate: --kind must be image or video" << std::endl;
      return 2;
    }
    r.tier = o.tier.empty() ? cfg.free_tier : o.tier;
    const config::TierConfig* tier = cfg.findTier(r.tier);
    if (!tier) {
      std::cerr << "aigate: unknown tier \"" << r.tier << "\"" << std::endl;
      return 2;
    }
    r.tier_level = tier->level;
    r.user_id = o.user;
    r.email = o.email;
    r.prompt = o.prompt;
    r.topic = o.topic;
    r.aspect_ratio = o.aspect_ratio.empty() ? "1:1" : o.aspect_ratio;
    if (!o.provider.empty()) r.hints.provider = o.provider;
    if (!o.model.empty()) r.hints.model = o.model;
    r.byok_allowed = r.tier_level >= cfg.features.byok;

    nlohmann::json plan;
    if (!o.gateway.empty()) {
      // The live answer: the gateway's breakers, latencies and users' keys.
      const std::string token = config::resolveAdminToken(cfg.admin);
      http::HttpRequest req;
      req.method = "POST";
      req.url = o.gateway + "/admin/v1/routing/explain";
      req.headers = {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
      nlohmann::json body = {{"kind", r.kind},       {"tier", r.tier},     {"prompt", r.prompt},
                             {"topic", r.topic},     {"email", r.email},   {"user_id", r.user_id},
                             {"aspect_ratio", r.aspect_ratio}};
      if (r.hints.provider) body["provider"] = *r.hints.provider;
      if (r.hints.model) body["model"] = *r.hints.model;
      req.body = body.dump();
      req.timeout_ms = 10'000;
      auto response = http::perform(req, 1 << 20);
      if (!response) {
        std::cerr << "aigate: " << o.gateway << ": " << response.error().message() << std::endl;
        return 1;
      }
      plan = nlohmann::json::parse(response->body, nullptr, false);
      if (response->status != 200 || !plan.is_object()) {
        std::cerr << "aigate: " << o.gateway << " answered " << response->status << ": "
                  << response->body << std::endl;
        return 1;
      }
    } else {
      const std::string path = o.file.empty() ? cfg.routingFile() : o.file;
      auto table = jobs::compileRoutes(cfg, path, catalogOf(cfg));
      if (r.byok_allowed && !r.user_id.empty()) {
        auto store = openStore(cfg);
        r.byok_keys = byok::providersWithKeys(store->reader(), r.user_id);
      }
      routing::Health health;  // offline: no failures seen, no latency observed
      plan = routing::planJson(routing::choose(*table, r, health, jobs::unixMillis(), 0));
    }
    if (common.json) {
      std::cout << plan.dump(2) << std::endl;
    } else {
      std::cout << "rule: " << plan.value("rule", nlohmann::json()).dump() << " ("
                << plan.value("where", "") << ")\nstrategy: " << plan.value("strategy", "")
                << ", byok: " << plan.value("byok", "") << "\nchain:\n";
      int n = 0;
      for (const auto& c : plan["chain"])
        std::cout << "  " << ++n << ". " << c.value("provider", "")
                  << (c["model"].is_string() ? " (" + c["model"].get<std::string>() + ")" : "")
                  << " — " << c.value("credits", 0) << " credits, "
                  << (c.value("credential", "") == "byok" ? "user's key" : "operator's key") << " — "
                  << c.value("reason", "") << "\n";
      if (plan["chain"].empty()) std::cout << "  (none)\n";
      for (const auto& s : plan["skipped"])
        std::cout << "  skipped " << s.value("provider", "") << ": " << s.value("reason", "") << "\n";
      if (plan.contains("problem")) std::cout << "problem: " << plan["problem"].get<std::string>() << "\n";
      if (o.gateway.empty())
        std::cout << "(offline: circuit breakers and latencies are those of a fresh gateway; "
                     "pass --gateway URL for the live ones)\n";
    }
    return plan["chain"].empty() ? 3 : 0;
  } catch (const config::ConfigError& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "aigate: " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace aigate::cli
