#include "core/limits/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace aigate::limits {

Decision RateLimiter::check(std::string_view key, int per_minute, Clock::time_point now) {
  if (per_minute <= 0) return {};
  const Clock::rep t = now.time_since_epoch().count();
  const Clock::rep window =
      std::chrono::duration_cast<Clock::duration>(std::chrono::minutes(1)).count();
  const Clock::rep interval = window / per_minute;  // one request's share of the minute
  const Clock::rep burst = interval * per_minute;    // the window, rounded to whole requests

  Shard& shard = shards_[Hash{}(key) % kShards];
  std::lock_guard lock(shard.mutex);
  auto it = shard.keys.find(key);
  Clock::rep tat = t;
  if (it != shard.keys.end() && it->second.tat > t) {
    tat = it->second.tat;
    if (it->second.interval != interval) {
      // The limit changed: count the outstanding requests at the new
      // interval, owing at most a full minute.
      const double outstanding =
          static_cast<double>(tat - t) / static_cast<double>(it->second.interval);
      const double debt = std::min(outstanding * static_cast<double>(interval),
                                   static_cast<double>(burst));
      tat = t + static_cast<Clock::rep>(std::llround(debt));
    }
  }
  const Clock::rep next = tat + interval;
  if (next - t > burst) {
    Decision refused;
    refused.allowed = false;
    refused.retry_after = Clock::duration(next - burst - t);
    return refused;
  }
  if (it != shard.keys.end()) {
    it->second = {next, interval};
  } else {
    if (shard.keys.size() >= shard.sweep_at) sweep(shard, t);
    shard.keys.emplace(std::string(key), Entry{next, interval});
  }
  Decision allowed;
  allowed.remaining = static_cast<int>((burst - (next - t)) / interval);
  return allowed;
}

// Drops the keys whose arrival time has passed; they behave as new ones.
// Sweeping again only after the map doubles keeps the cost O(1) per request.
void RateLimiter::sweep(Shard& shard, Clock::rep now) {
  std::erase_if(shard.keys, [now](const auto& entry) { return entry.second.tat <= now; });
  shard.sweep_at = std::max<size_t>(64, shard.keys.size() * 2);
}

size_t RateLimiter::size() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    n += shard.keys.size();
  }
  return n;
}

}  // namespace aigate::limits
