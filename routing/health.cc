#include "routing/health.h"

namespace aigate::routing {
namespace {

constexpr double kLatencyWeight = 0.2;  // of the newest sample in the moving mean

std::string latencyKey(std::string_view provider, std::string_view kind) {
  std::string key(provider);
  key += '\n';
  key += kind;
  return key;
}

}  // namespace

const char* circuitName(Circuit c) {
  switch (c) {
    case Circuit::kClosed: return "closed";
    case Circuit::kOpen: return "open";
    case Circuit::kHalfOpen: return "half_open";
  }
  return "closed";
}

std::string breakerKey(std::string_view provider, std::string_view credential) {
  std::string key(provider);
  key += '/';
  key += credential;
  return key;
}

void Health::setOptions(BreakerOptions options) {
  std::lock_guard lock(mutex_);
  options_ = options;
}

Circuit Health::circuitOf(const Breaker& b, int64_t now_ms) const {
  if (!b.open) return Circuit::kClosed;
  return now_ms - b.opened_at >= options_.cooldown_ms ? Circuit::kHalfOpen : Circuit::kOpen;
}

Circuit Health::circuit(std::string_view key, int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  auto it = breakers_.find(key);
  return it == breakers_.end() ? Circuit::kClosed : circuitOf(it->second, now_ms);
}

bool Health::allows(std::string_view key, int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  auto it = breakers_.find(key);
  if (it == breakers_.end()) return true;
  switch (circuitOf(it->second, now_ms)) {
    case Circuit::kClosed: return true;
    case Circuit::kOpen: return false;
    case Circuit::kHalfOpen: return !it->second.trial;
  }
  return true;
}

void Health::begin(std::string_view key, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = breakers_.find(key);
  if (it == breakers_.end()) return;
  if (circuitOf(it->second, now_ms) == Circuit::kHalfOpen) it->second.trial = true;
}

void Health::success(std::string_view key, int64_t) {
  std::lock_guard lock(mutex_);
  auto it = breakers_.find(key);
  if (it == breakers_.end()) it = breakers_.emplace(std::string(key), Breaker{}).first;
  Breaker& b = it->second;
  b.consecutive = 0;
  b.open = false;
  b.trial = false;
  ++b.successes;
}

void Health::failure(std::string_view key, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto it = breakers_.find(key);
  if (it == breakers_.end()) it = breakers_.emplace(std::string(key), Breaker{}).first;
  Breaker& b = it->second;
  ++b.failures;
  ++b.consecutive;
  // A failed trial, or one failure too many: open (again) for a cool-down.
  if (b.trial || b.consecutive >= options_.failures) {
    b.open = true;
    b.opened_at = now_ms;
  }
  b.trial = false;
}

void Health::neutral(std::string_view key) {
  std::lock_guard lock(mutex_);
  auto it = breakers_.find(key);
  if (it != breakers_.end()) it->second.trial = false;
}

void Health::recordLatency(std::string_view provider, std::string_view kind, double ms) {
  std::lock_guard lock(mutex_);
  auto key = latencyKey(provider, kind);
  auto it = latency_.find(key);
  if (it == latency_.end())
    latency_.emplace(std::move(key), ms);
  else
    it->second += kLatencyWeight * (ms - it->second);
}

std::optional<double> Health::latencyMs(std::string_view provider, std::string_view kind) const {
  std::lock_guard lock(mutex_);
  auto it = latency_.find(latencyKey(provider, kind));
  if (it == latency_.end()) return std::nullopt;
  return it->second;
}

std::optional<BreakerState> Health::state(std::string_view key, int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  auto it = breakers_.find(key);
  if (it == breakers_.end()) return std::nullopt;
  const Breaker& b = it->second;
  return BreakerState{it->first, circuitOf(b, now_ms), b.consecutive, b.opened_at,
                      b.failures, b.successes};
}

std::vector<BreakerState> Health::snapshot(int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  std::vector<BreakerState> out;
  out.reserve(breakers_.size());
  for (const auto& [key, b] : breakers_)
    out.push_back({key, circuitOf(b, now_ms), b.consecutive, b.opened_at, b.failures, b.successes});
  return out;
}

}  // namespace aigate::routing
