// The GCRA rate limiter with an injected clock: bursts, the steady rate,
// Retry-After, independent keys, limits that change, and bounded memory.
#include "core/limits/rate_limiter.h"

#include <catch2/catch.hpp>

#include <string>

using aigate::limits::Clock;
using aigate::limits::RateLimiter;
using namespace std::chrono_literals;

namespace {

const Clock::time_point kStart = Clock::time_point(1000h);

}  // namespace

TEST_CASE("a key may send its whole minute at once, then no more", "[limits][gcra]") {
  RateLimiter limiter;
  for (int i = 0; i < 10; ++i) {
    auto d = limiter.check("key_a", 10, kStart);
    REQUIRE(d.allowed);
    CHECK(d.remaining == 9 - i);
  }
  auto refused = limiter.check("key_a", 10, kStart);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.remaining == 0);
  CHECK(refused.retry_after == 6s);  // one request's share of the minute
  // A refusal is not counted: it does not push the next slot further away.
  CHECK(limiter.check("key_a", 10, kStart + 1s).retry_after == 5s);
}

TEST_CASE("after the burst, one request per interval", "[limits][gcra]") {
  RateLimiter limiter;
  for (int i = 0; i < 60; ++i) REQUIRE(limiter.check("k", 60, kStart).allowed);
  CHECK_FALSE(limiter.check("k", 60, kStart + 999ms).allowed);
  CHECK(limiter.check("k", 60, kStart + 1s).allowed);
  CHECK_FALSE(limiter.check("k", 60, kStart + 1s).allowed);
  // Over any long stretch the rate is exactly the limit.
  int allowed = 0;
  for (int ms = 1001; ms <= 61'001; ms += 100)
    if (limiter.check("k", 60, kStart + std::chrono::milliseconds(ms)).allowed) ++allowed;
  CHECK(allowed == 60);
}

TEST_CASE("an idle key earns its burst back", "[limits][gcra]") {
  RateLimiter limiter;
  for (int i = 0; i < 5; ++i) REQUIRE(limiter.check("k", 5, kStart).allowed);
  REQUIRE_FALSE(limiter.check("k", 5, kStart).allowed);
  auto later = limiter.check("k", 5, kStart + 1min);
  CHECK(later.allowed);
  CHECK(later.remaining == 4);
}

TEST_CASE("keys are limited independently", "[limits][gcra]") {
  RateLimiter limiter;
  for (int i = 0; i < 3; ++i) REQUIRE(limiter.check("one", 3, kStart).allowed);
  CHECK_FALSE(limiter.check("one", 3, kStart).allowed);
  CHECK(limiter.check("two", 3, kStart).allowed);
}

TEST_CASE("a raised limit applies at once", "[limits][gcra]") {
  RateLimiter limiter;
  for (int i = 0; i < 2; ++i) REQUIRE(limiter.check("k", 2, kStart).allowed);
  REQUIRE_FALSE(limiter.check("k", 2, kStart).allowed);
  // The user bought a pack: 600 a minute now, of which 2 are spent.
  for (int i = 0; i < 598; ++i) REQUIRE(limiter.check("k", 600, kStart).allowed);
  CHECK_FALSE(limiter.check("k", 600, kStart).allowed);
  // And back down to 2 a minute: the 600 outstanding requests would be 300
  // minutes at that rate; the debt stops at a full minute.
  auto lowered = limiter.check("k", 2, kStart);
  CHECK_FALSE(lowered.allowed);
  CHECK(lowered.retry_after == 30s);
}

TEST_CASE("idle keys are dropped, so memory follows the active keys", "[limits][gcra]") {
  RateLimiter limiter;
  for (int i = 0; i < 5000; ++i) REQUIRE(limiter.check("key_" + std::to_string(i), 60, kStart).allowed);
  CHECK(limiter.size() == 5000);
  // A minute later every one of them is idle; new keys sweep them away.
  const auto later = kStart + 2min;
  for (int i = 0; i < 5000; ++i)
    REQUIRE(limiter.check("new_" + std::to_string(i), 60, later).allowed);
  CHECK(limiter.size() < 7000);
  // A dropped key starts afresh, exactly as if it had been kept.
  auto back = limiter.check("key_1", 60, later);
  CHECK(back.allowed);
  CHECK(back.remaining == 59);
}
