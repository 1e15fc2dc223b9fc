// JSON views of accounts shared by the user and admin handlers.
#pragma once

#include "config/config.h"
#include "core/accounts/accounts.h"
#include "core/common/errors.h"

#include <nlohmann/json.hpp>

namespace aigate::api {

// What a user's tier unlocks: {"video":…, "byok":…, "webhooks":…, "smart_routing":…}.
nlohmann::json featuresJson(const config::Config& cfg, int tier_level);
// The tier's limits: {"requests_per_minute":…, "concurrent_generations":…}.
nlohmann::json limitsJson(const config::Config& cfg, const std::string& tier);

// The lowest tier whose level is at least `level` ("" when none), for messages.
std::string tierFor(const config::Config& cfg, int level);

// 403 feature_not_included for `feature` ("byok", "webhooks",
// "smart_routing"), which needs tier level `required`: "`what` needs the
// <tier> tier.", with `feature` and `required_tier`.
Error featureNotIncluded(const config::Config& cfg, const std::string& feature, int required,
                         const std::string& what);

// A user as the admin API and CLI show it.
nlohmann::json userJson(const config::Config& cfg, const accounts::User& user,
                        const credits::Balance& balance);

}  // namespace aigate::api
