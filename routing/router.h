// Choosing the provider chain of one request: the first rule that matches,
// its strategy, the user's own keys (BYOK policy), provider health, and the
// request's smart-routing hints — each entry with the reason it is where it
// is. `explain` prints the same plan the live gateway follows.
#pragma once

#include "routing/health.h"
#include "routing/table.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aigate::routing {

// Smart-routing hints (Scale): steer within what the rule allows.
struct Hints {
  std::optional<std::string> provider;
  std::optional<std::string> model;
  std::optional<Strategy> strategy;
  std::vector<std::string> allow;    // only these providers
  std::vector<std::string> exclude;  // never these
  std::optional<int64_t> max_credits;
};

struct Request {
  std::string kind;  // image | video
  std::string tier;
  int tier_level = 0;
  std::string topic;
  std::string aspect_ratio = "1:1";
  std::string user_id;
  std::string email;
  std::string prompt;
  Hints hints;
  // Providers the user has a key for, and whether the tier may use them.
  std::vector<std::string> byok_keys;
  bool byok_allowed = false;
};

struct Choice {
  std::string provider;
  std::string model;                   // "" = the provider's default
  std::string credential = "operator";  // or "byok"
  int timeout_s = 0;
  int attempts = 0;
  int64_t credits = 0;  // what the user pays if this entry serves
  std::string reason;
};

struct Skipped {
  std::string provider;
  std::string reason;
};

struct Plan {
  enum class Problem { kNone, kBadHint, kUnavailable };
  std::string rule;   // the matching rule's name
  std::string where;  // its file:line
  Strategy strategy = Strategy::kFallback;
  ByokPolicy byok = ByokPolicy::kPrefer;
  std::vector<Choice> chain;
  std::vector<Skipped> skipped;
  Problem problem = Problem::kNone;
  std::string field;    // kBadHint: which request field
  std::string message;  // why there is no chain

  // The most any entry of the chain costs: what is held.
  int64_t maxCredits() const;
};

// `random` seeds the weighted order (pass a fresh random number per request;
// a fixed one in tests).
Plan choose(const Table& table, const Request& request, const Health& health, int64_t now_ms,
            uint64_t random);

// Does `rule` match `request`? (for tests and explain)
bool matches(const Rule& rule, const Request& request);

nlohmann::json planJson(const Plan& plan);
std::string explainText(const Plan& plan);

}  // namespace aigate::routing
