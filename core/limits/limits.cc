#include "core/limits/limits.h"

#include <nlohmann/json.hpp>

namespace aigate::limits {

const config::TierConfig& tierLimits(const config::Config& cfg, const std::string& tier) {
  const config::TierConfig* t = cfg.findTier(tier);
  return t ? *t : *cfg.findTier(cfg.free_tier);
}

Error requestRateError(const Decision& decision, int per_minute) {
  using namespace std::chrono;
  const int64_t wait_ms = duration_cast<milliseconds>(decision.retry_after).count();
  const int64_t wait_s = std::max<int64_t>(1, (wait_ms + 999) / 1000);
  return Error(ErrorCode::kRateLimit,
               "Too many requests: this API key may send " + std::to_string(per_minute) +
                   " requests per minute. Retry in " + std::to_string(wait_s) + " s.",
               {{"retry_after", wait_s},
                {"limit", "requests_per_minute"},
                {"requests_per_minute", per_minute}});
}

Error concurrencyError(int64_t active, int cap) {
  return Error(ErrorCode::kRateLimit,
               "Too many concurrent generations: " + std::to_string(active) +
                   " of yours are queued or running and your tier allows " +
                   std::to_string(cap) + " at once. Retry when one finishes.",
               {{"retry_after", kConcurrencyRetryAfterS},
                {"limit", "concurrent_generations"},
                {"concurrent_generations", cap}});
}

}  // namespace aigate::limits
