// The routing table: the operator's rules compiled against the providers
// this gateway has, validated whole. A Table is immutable; reloads build a
// new one and swap it in.
//
// Validation (every problem at once, each "file:line: where: problem"):
// unknown providers and tiers, a model the provider doesn't offer, a provider
// that cannot make what the rule matches, empty chains, regexes that don't
// compile, duplicate names, and rules shadowed by an earlier rule that matches
// everything they match.
#pragma once

#include "config/config.h"
#include "config/routing_config.h"

#include <memory>
#include <regex.h>
#include <string>
#include <vector>

namespace aigate::routing {

// What routing needs to know of one configured provider (from its plugin).
struct ProviderInfo {
  std::string name;
  std::vector<std::string> kinds;   // "image", "video"
  std::vector<std::string> models;  // empty: the plugin takes any model name
  std::string default_model;
  bool takes_key = true;  // false: needs no credential (local renderers)
};

enum class Strategy { kFallback, kWeighted, kCheapest, kFastest };
enum class ByokPolicy { kPrefer, kOnly, kNever };
const char* strategyName(Strategy s);
const char* byokPolicyName(ByokPolicy p);
std::optional<Strategy> parseStrategy(const std::string& s);

// A compiled POSIX extended regex (case-insensitive). regexec is thread-safe.
class Regex {
 public:
  // Throws std::invalid_argument with regerror()'s message.
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  bool search(const std::string& text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  regex_t re_;
};

struct Match {
  std::vector<std::string> kind, tier, topic, aspect_ratio, user, email, provider, model;
  int min_level = -1;  // -1: any
  std::shared_ptr<const Regex> prompt;
  bool any() const;  // no condition at all
};

struct Entry {
  std::string provider;
  std::string model;  // "" = request's or provider's default
  int weight = 1;
  int timeout_s = 0;
  int attempts = 0;
  int line = 0;
};

struct Rule {
  std::string name;
  std::string where;  // "file:line"
  Match match;
  Strategy strategy = Strategy::kFallback;
  ByokPolicy byok = ByokPolicy::kPrefer;
  std::vector<Entry> chain;
};

struct ProviderPolicy {
  bool enabled = true;
  bool byok_only = false;  // no operator key: only users' keys
  std::optional<int64_t> credits_image, credits_video;
  double cost_image = 0, cost_video = 0;
};

class Table {
 public:
  // Compiles `rules` (may be empty: the default rule alone) for `providers`.
  // Throws config::ConfigError listing every problem.
  static std::shared_ptr<const Table> compile(const config::Config& cfg,
                                              const config::RoutingConfig& rules,
                                              const std::vector<ProviderInfo>& providers);

  const std::vector<Rule>& rules() const { return rules_; }
  const ProviderInfo* provider(const std::string& name) const;
  const std::vector<ProviderInfo>& providers() const { return providers_; }
  const ProviderPolicy& policy(const std::string& provider) const;
  const std::string& source() const { return source_; }
  int breakerFailures() const { return breaker_failures_; }
  int breakerCooldownS() const { return breaker_cooldown_s_; }
  // What a user pays when `provider` serves `kind` with the operator's key.
  int64_t credits(const std::string& provider, const std::string& kind) const;
  // The platform fee for a generation with the user's own key.
  int64_t byokCredits(const std::string& kind) const;
  double cost(const std::string& provider, const std::string& kind) const;
  // Tier level by name (-1 unknown).
  int tierLevel(const std::string& name) const;

 private:
  std::string source_;
  std::vector<Rule> rules_;
  std::vector<ProviderInfo> providers_;
  std::map<std::string, ProviderPolicy, std::less<>> policies_;
  std::map<std::string, int, std::less<>> tier_levels_;
  int breaker_failures_ = 5;
  int breaker_cooldown_s_ = 30;
  int64_t generated_image_ = 10, generated_video_ = 100, byok_image_ = 2, byok_video_ = 20;
};

}  // namespace aigate::routing
