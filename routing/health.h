// What routing knows about the providers' recent behaviour: a circuit
// breaker per provider and credential, and the observed latency per provider
// and kind. Pure state: the caller passes the time, so every transition is
// testable without sleeping.
//
// Breaker: closed → open after `failures` failures in a row; open → half-open
// once `cooldown_ms` have passed: one trial request may go (begin()); its
// success closes the circuit, its failure opens it for another cool-down.
// Failures that are the request's fault (content policy…) count as neither.
//
// Threading: every member is thread-safe (one mutex; calls are short).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigate::routing {

enum class Circuit { kClosed, kOpen, kHalfOpen };
const char* circuitName(Circuit c);

struct BreakerOptions {
  int failures = 5;
  int64_t cooldown_ms = 30'000;
};

// A breaker's key: the provider and whose credential it used ("operator", or
// "byok:<user id>"), so a user's bad key never opens the operator's circuit.
std::string breakerKey(std::string_view provider, std::string_view credential);

struct BreakerState {
  std::string key;
  Circuit circuit = Circuit::kClosed;
  int consecutive_failures = 0;
  int64_t opened_at_ms = 0;
  int64_t total_failures = 0;
  int64_t total_successes = 0;
};

class Health {
 public:
  explicit Health(BreakerOptions options = {}) : options_(options) {}

  void setOptions(BreakerOptions options);

  Circuit circuit(std::string_view key, int64_t now_ms) const;
  // True when a request may go to `key` now: closed, or half-open with no
  // trial in flight.
  bool allows(std::string_view key, int64_t now_ms) const;
  // A request starts on `key`; in half-open it becomes the trial.
  void begin(std::string_view key, int64_t now_ms);
  void success(std::string_view key, int64_t now_ms);
  void failure(std::string_view key, int64_t now_ms);
  // The attempt ended with no verdict on the provider (the request's fault,
  // or canceled): a trial slot is freed.
  void neutral(std::string_view key);

  // Latency of successful generations, an exponentially weighted mean.
  void recordLatency(std::string_view provider, std::string_view kind, double ms);
  std::optional<double> latencyMs(std::string_view provider, std::string_view kind) const;

  std::optional<BreakerState> state(std::string_view key, int64_t now_ms) const;
  // Every breaker that has seen a request.
  std::vector<BreakerState> snapshot(int64_t now_ms) const;

 private:
  struct Breaker {
    int consecutive = 0;
    bool open = false;
    bool trial = false;
    int64_t opened_at = 0;
    int64_t failures = 0;
    int64_t successes = 0;
  };
  Circuit circuitOf(const Breaker& b, int64_t now_ms) const;

  mutable std::mutex mutex_;
  BreakerOptions options_;                                // Guarded by mutex_
  std::map<std::string, Breaker, std::less<>> breakers_;  // Guarded by mutex_
  std::map<std::string, double, std::less<>> latency_;    // "provider\nkind"; Guarded by mutex_
};

}  // namespace aigate::routing
