// Requests per minute per API key, by GCRA (the generic cell rate algorithm):
// a key allowed N requests a minute may send N at once, then one every 60/N
// seconds. Each key costs one timestamp, its "theoretical arrival time", and
// the interval it was counted at (when the limit changes, the requests still
// outstanding are counted again at the new interval).
//
// Memory stays bounded: a key whose timestamp has passed is in exactly the
// state of a key never seen, so it is dropped when its shard next grows.
//
// Threading: check() may be called from any thread; keys are spread over
// shards with a mutex each. A key already tracked costs one hash lookup and
// no allocation.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace aigate::limits {

using Clock = std::chrono::steady_clock;

struct Decision {
  bool allowed = true;
  // Requests the key may still send at once after this one (0 when refused).
  int remaining = 0;
  // When refused: how long until one more request is allowed.
  Clock::duration retry_after{0};
};

class RateLimiter {
 public:
  // Counts one request of `key` at `now` against `per_minute` (> 0; a key's
  // limit may change between calls, as when its user buys a pack). A refused
  // request is not counted.
  Decision check(std::string_view key, int per_minute, Clock::time_point now);

  // Keys currently tracked, idle ones not yet dropped included.
  size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry {
    Clock::rep tat;       // theoretical arrival time, in Clock ticks
    Clock::rep interval;  // one request's share of the minute when tat was set
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> keys;  // Guarded by mutex
    size_t sweep_at = 64;  // sweep idle keys when the map reaches this size. Guarded by mutex.
  };
  static void sweep(Shard& shard, Clock::rep now);

  static constexpr size_t kShards = 16;
  std::array<Shard, kShards> shards_;
};

}  // namespace aigate::limits
