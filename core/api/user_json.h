// JSON views of accounts shared by the user and admin handlers.
#pragma once

#include "config/config.h"
#include "core/accounts/accounts.h"

#include <nlohmann/json.hpp>

namespace aigate::api {

// What a user's tier unlocks: {"video":…, "byok":…, "webhooks":…, "smart_routing":…}.
nlohmann::json featuresJson(const config::Config& cfg, int tier_level);
// The tier's limits: {"requests_per_minute":…, "concurrent_generations":…}.
nlohmann::json limitsJson(const config::Config& cfg, const std::string& tier);

// A user as the admin API and CLI show it.
nlohmann::json userJson(const config::Config& cfg, const accounts::User& user,
                        const credits::Balance& balance);

}  // namespace aigate::api
