#include "core/api/user_json.h"

#include "core/common/clock.h"
#include "core/limits/limits.h"

namespace aigate::api {

nlohmann::json featuresJson(const config::Config& cfg, int level) {
  return {{"video", level >= cfg.features.video},
          {"byok", level >= cfg.features.byok},
          {"webhooks", level >= cfg.features.webhooks},
          {"smart_routing", level >= cfg.features.smart_routing}};
}

nlohmann::json limitsJson(const config::Config& cfg, const std::string& tier) {
  const auto& t = limits::tierLimits(cfg, tier);
  return {{"requests_per_minute", t.requests_per_minute},
          {"concurrent_generations", t.concurrent_generations}};
}

nlohmann::json userJson(const config::Config& cfg, const accounts::User& u,
                        const credits::Balance& b) {
  return {{"user_id", u.id},
          {"email", u.email},
          {"tier", u.tier},
          {"tier_level", u.tier_level},
          {"credits_balance", b.available()},
          {"credits_held", b.held},
          {"features", featuresJson(cfg, u.tier_level)},
          {"created_at", isoTime(u.created_at)}};
}

std::string tierFor(const config::Config& cfg, int level) {
  const config::TierConfig* best = nullptr;
  for (const auto& t : cfg.tiers)
    if (t.level >= level && (!best || t.level < best->level)) best = &t;
  return best ? best->name : std::string();
}

Error featureNotIncluded(const config::Config& cfg, const std::string& feature, int required,
                         const std::string& what) {
  const std::string tier = tierFor(cfg, required);
  return Error(ErrorCode::kFeatureNotIncluded, what + " needs the " + tier + " tier.",
               {{"feature", feature}, {"required_tier", tier}});
}

}  // namespace aigate::api
