// The routing rules file (routing.file in the main config), read into plain
// structs that remember where each piece came from. Shape and types are
// checked here; what needs the loaded providers (unknown providers, models,
// shadowed rules, regexes) is checked when routing/ compiles the table.
//
//   breaker: {failures: 5, cooldown_s: 30}
//   byok: prefer                       # the rules' default BYOK policy
//   providers:                         # routing settings per provider
//     runwayml: {enabled: true, credential: operator,
//                credits: {video: 120}, cost: {video: 0.50}}
//   rules:
//     - name: premium-video
//       match: {kind: video, min_tier: pro, prompt: "cinematic|film"}
//       strategy: fallback             # fallback | weighted | cheapest | fastest
//       byok: prefer                   # prefer | only | never
//       chain:
//         - {provider: runwayml, model: gen4_turbo, timeout_s: 300, attempts: 2}
//         - luma                       # a provider name alone
#pragma once

#include "config/config.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aigate::config {

// A number per kind of output; absent = not set.
struct PerKind {
  std::optional<double> image;
  std::optional<double> video;
};

struct RouteProviderConfig {
  std::string name;
  int line = 0;
  bool enabled = true;
  // "operator": the gateway's own key (from providers[].api_key_env);
  // "byok": only users' own keys serve here.
  std::string credential = "operator";
  PerKind credits;  // what a user pays when this provider serves (default: prices.generated_*)
  PerKind cost;     // what it costs the operator (USD); `cheapest` breaks ties with it
};

// A condition is absent when its list is empty. Values within one condition
// are alternatives; conditions must all hold.
struct RouteMatchConfig {
  std::vector<std::string> kind;          // image | video
  std::vector<std::string> tier;          // tier names
  std::string min_tier;                   // a tier name: that level or above
  std::vector<std::string> topic;
  std::vector<std::string> aspect_ratio;
  std::vector<std::string> user;          // user ids
  std::vector<std::string> email;         // exact, or with * wildcards: "*@studio.example"
  std::string prompt;                     // POSIX extended regex, case-insensitive
  std::vector<std::string> provider;      // the request's provider hint
  std::vector<std::string> model;         // the request's model hint
  int line = 0;
  int prompt_line = 0;
  int min_tier_line = 0;
  // Lines of each value list, for messages.
  int tier_line = 0, model_line = 0, provider_line = 0, aspect_ratio_line = 0;
};

struct RouteEntryConfig {
  std::string provider;
  std::string model;  // "" = the provider's default (or the request's model)
  int weight = 1;
  int timeout_s = 0;  // 0 = until the job's deadline
  int attempts = 0;   // 0 = generation.max_attempts
  int line = 0;
};

struct RouteRuleConfig {
  std::string name;
  int line = 0;
  RouteMatchConfig match;
  std::string strategy = "fallback";
  std::string byok;  // "" = the file's default
  std::vector<RouteEntryConfig> chain;
  int chain_line = 0;
};

struct RoutingConfig {
  std::string source = "<defaults>";
  int breaker_failures = 5;
  int breaker_cooldown_s = 30;
  std::string byok = "prefer";
  std::vector<RouteProviderConfig> providers;
  std::vector<RouteRuleConfig> rules;
};

// Reads routing YAML. Throws ConfigError listing every problem as
// "file:line: key.path: problem".
RoutingConfig parseRouting(const std::string& yaml_text, const std::string& source_name);
RoutingConfig loadRouting(const std::string& path);

}  // namespace aigate::config
