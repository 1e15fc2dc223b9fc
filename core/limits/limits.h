// The per-tier limits of issue 7 as the API applies them: which tier's limits
// a user has, and the 429 rate_limit errors a refusal answers with. The
// rate limiter itself is rate_limiter.h; the concurrency cap is counted in
// the transaction that creates a job (jobs/job.cc).
#pragma once

#include "config/config.h"
#include "core/common/errors.h"
#include "core/limits/rate_limiter.h"

#include <string>

namespace aigate::limits {

// Seconds a client refused for its concurrent generations is told to wait:
// jobs end at their own pace, so this is a polling interval, not a promise.
inline constexpr int kConcurrencyRetryAfterS = 3;

// The limits of the tier called `tier`; the free tier's for an unknown name.
// REQUIRES: cfg is validated (its free tier exists).
const config::TierConfig& tierLimits(const config::Config& cfg, const std::string& tier);

// 429 rate_limit for a request refused by the rate limiter, with
// retry_after in whole seconds (at least 1). finishReply() turns retry_after
// into the Retry-After header.
Error requestRateError(const Decision& decision, int per_minute);

// 429 rate_limit for a generation refused because `active` of the user's
// generations are queued or running and the tier allows `cap` at once.
Error concurrencyError(int64_t active, int cap);

}  // namespace aigate::limits
