#include "routing/router.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace aigate::routing {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// "*" matches any run of characters; case-insensitive (emails).
bool globMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && lower(pattern[p]) == lower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::string formatMs(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  return buf;
}

std::string formatUsd(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.4g", usd);
  return buf;
}

struct Candidate {
  Choice choice;
  int weight = 1;
  double cost = 0;
  std::optional<double> latency;
  size_t position = 0;
};

}  // namespace

int64_t Plan::maxCredits() const {
  int64_t most = 0;
  for (const auto& c : chain) most = std::max(most, c.credits);
  return most;
}

bool matches(const Rule& rule, const Request& r) {
  const Match& m = rule.match;
  if (!m.kind.empty() && !contains(m.kind, r.kind)) return false;
  if (!m.tier.empty() && !contains(m.tier, r.tier)) return false;
  if (m.min_level >= 0 && r.tier_level < m.min_level) return false;
  if (!m.topic.empty() && !contains(m.topic, r.topic)) return false;
  if (!m.aspect_ratio.empty() && !contains(m.aspect_ratio, r.aspect_ratio)) return false;
  if (!m.user.empty() && !contains(m.user, r.user_id)) return false;
  if (!m.email.empty() &&
      std::none_of(m.email.begin(), m.email.end(), [&](const auto& p) { return globMatch(p, r.email); }))
    return false;
  if (!m.provider.empty() && (!r.hints.provider || !contains(m.provider, *r.hints.provider)))
    return false;
  if (!m.model.empty() && (!r.hints.model || !contains(m.model, *r.hints.model))) return false;
  if (m.prompt && !m.prompt->search(r.prompt)) return false;
  return true;
}

Plan choose(const Table& table, const Request& req, const Health& health, int64_t now_ms,
            uint64_t random) {
  Plan plan;
  const Rule* rule = nullptr;
  for (const auto& r : table.rules())
    if (matches(r, req)) {
      rule = &r;
      break;
    }
  if (!rule) {
    plan.problem = Plan::Problem::kUnavailable;
    plan.message = "no routing rule matches this request";
    return plan;
  }
  plan.rule = rule->name;
  plan.where = rule->where;
  plan.byok = rule->byok;
  plan.strategy = req.hints.strategy.value_or(rule->strategy);
  const Hints& hints = req.hints;

  bool provider_in_rule = false, model_possible = false, hint_filtered = false;
  std::vector<Candidate> candidates;
  for (size_t i = 0; i < rule->chain.size(); ++i) {
    const Entry& e = rule->chain[i];
    auto skip = [&](std::string why) { plan.skipped.push_back({e.provider, std::move(why)}); };
    const ProviderInfo* info = table.provider(e.provider);
    if (!info) {
      skip("not configured on this gateway");
      continue;
    }
    if (!contains(info->kinds, req.kind)) {
      skip("cannot make " + req.kind + "s");
      continue;
    }
    const ProviderPolicy& policy = table.policy(e.provider);
    if (!policy.enabled) {
      skip("disabled by the operator");
      continue;
    }
    if (hints.provider) {
      if (e.provider != *hints.provider) {
        skip("the request asked for " + *hints.provider);
        continue;
      }
      provider_in_rule = true;
    }
    std::string model = e.model;
    if (hints.model) {
      if (!e.model.empty() ? e.model != *hints.model
                           : !(info->models.empty() || contains(info->models, *hints.model))) {
        skip("does not offer the requested model " + *hints.model);
        continue;
      }
      model = *hints.model;
      model_possible = true;
    }
    if (!hints.allow.empty() && !contains(hints.allow, e.provider)) {
      skip("not in the request's routing.allow");
      hint_filtered = true;
      continue;
    }
    if (contains(hints.exclude, e.provider)) {
      skip("excluded by the request's routing.exclude");
      hint_filtered = true;
      continue;
    }
    const bool has_key = req.byok_allowed && info->takes_key && contains(req.byok_keys, e.provider);
    std::string credential = "operator";
    std::string why_credential;
    if (rule->byok == ByokPolicy::kNever) {
      if (policy.byok_only) {
        skip("takes only users' own keys, and this rule says byok: never");
        continue;
      }
      if (has_key) why_credential = "the operator's key (the rule says byok: never)";
    } else if (has_key) {
      credential = "byok";
      why_credential = "your own key (platform fee only)";
    } else if (rule->byok == ByokPolicy::kOnly || policy.byok_only) {
      skip(rule->byok == ByokPolicy::kOnly
               ? "the rule serves only with users' own keys, and there is none for " + e.provider
               : e.provider + " serves only with users' own keys, and there is none");
      continue;
    }
    const int64_t credits =
        credential == "byok" ? table.byokCredits(req.kind) : table.credits(e.provider, req.kind);
    if (hints.max_credits && credits > *hints.max_credits) {
      skip("costs " + std::to_string(credits) + " credits, above the request's routing.max_credits " +
           std::to_string(*hints.max_credits));
      hint_filtered = true;
      continue;
    }
    const std::string key =
        breakerKey(e.provider, credential == "byok" ? "byok:" + req.user_id : "operator");
    if (!health.allows(key, now_ms)) {
      auto state = health.state(key, now_ms);
      skip("circuit open after " + std::to_string(state ? state->consecutive_failures : 0) +
           " failures in a row");
      continue;
    }
    Candidate c;
    c.choice = {e.provider, model, credential, e.timeout_s, e.attempts, credits, ""};
    if (health.circuit(key, now_ms) == Circuit::kHalfOpen) c.choice.reason = "circuit half-open (trial); ";
    if (!why_credential.empty()) c.choice.reason += why_credential + "; ";
    c.weight = e.weight;
    c.cost = table.cost(e.provider, req.kind);
    c.latency = health.latencyMs(e.provider, req.kind);
    c.position = i;
    candidates.push_back(std::move(c));
  }

  switch (plan.strategy) {
    case Strategy::kFallback:
      for (auto& c : candidates) c.choice.reason += "chain position " + std::to_string(c.position + 1);
      break;
    case Strategy::kWeighted: {
      int64_t total = 0;
      for (const auto& c : candidates) total += std::max(0, c.weight);
      for (auto& c : candidates)
        c.choice.reason += "weight " + std::to_string(c.weight) + " of " + std::to_string(total);
      // Weighted order without replacement; weight 0 goes last.
      uint64_t state = random;
      std::vector<Candidate> ordered;
      while (!candidates.empty()) {
        int64_t sum = 0;
        for (const auto& c : candidates) sum += std::max(0, c.weight);
        size_t pick = 0;
        if (sum > 0) {
          int64_t ticket = static_cast<int64_t>(splitmix(state) % static_cast<uint64_t>(sum));
          for (size_t i = 0; i < candidates.size(); ++i) {
            ticket -= std::max(0, candidates[i].weight);
            if (ticket < 0) {
              pick = i;
              break;
            }
          }
        }
        ordered.push_back(std::move(candidates[pick]));
        candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(pick));
      }
      candidates = std::move(ordered);
      break;
    }
    case Strategy::kCheapest:
      std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        if (a.choice.credits != b.choice.credits) return a.choice.credits < b.choice.credits;
        return a.cost < b.cost;
      });
      for (auto& c : candidates)
        c.choice.reason += std::to_string(c.choice.credits) + " credits, costs " + formatUsd(c.cost);
      break;
    case Strategy::kFastest:
      std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        if (a.latency.has_value() != b.latency.has_value()) return a.latency.has_value();
        return a.latency && *a.latency < *b.latency;
      });
      for (auto& c : candidates)
        c.choice.reason += c.latency ? "observed latency ~" + formatMs(*c.latency)
                                     : std::string("no latency observed yet");
      break;
  }
  // With `prefer`, the user's own keys come first: they cost the user least.
  if (plan.byok == ByokPolicy::kPrefer)
    std::stable_partition(candidates.begin(), candidates.end(),
                          [](const auto& c) { return c.choice.credential == "byok"; });
  for (auto& c : candidates) plan.chain.push_back(std::move(c.choice));

  if (!plan.chain.empty()) return plan;
  if (hints.provider && !provider_in_rule) {
    plan.problem = Plan::Problem::kBadHint;
    plan.field = "provider";
    plan.message = "The routing rules do not allow the provider " + *hints.provider +
                   " for this request (rule \"" + rule->name + "\").";
  } else if (hints.model && !model_possible) {
    plan.problem = Plan::Problem::kBadHint;
    plan.field = "model";
    plan.message = "No provider the routing rules allow for this request offers the model " +
                   *hints.model + " (rule \"" + rule->name + "\").";
  } else if (hint_filtered) {
    plan.problem = Plan::Problem::kBadHint;
    plan.field = "routing";
    plan.message = "The request's routing hints leave no provider of the rule \"" + rule->name +
                   "\" to serve it.";
  } else {
    plan.problem = Plan::Problem::kUnavailable;
    std::string why;
    for (const auto& s : plan.skipped) why += (why.empty() ? "" : "; ") + s.provider + ": " + s.reason;
    plan.message = "No provider can serve this request now (rule \"" + rule->name + "\"" +
                   (why.empty() ? std::string(")") : "): " + why) + ".";
  }
  return plan;
}

nlohmann::json planJson(const Plan& plan) {
  nlohmann::json chain = nlohmann::json::array();
  for (const auto& c : plan.chain)
    chain.push_back({{"provider", c.provider},
                     {"model", c.model.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.model)},
                     {"credential", c.credential},
                     {"credits", c.credits},
                     {"timeout_s", c.timeout_s},
                     {"attempts", c.attempts},
                     {"reason", c.reason}});
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& s : plan.skipped) skipped.push_back({{"provider", s.provider}, {"reason", s.reason}});
  nlohmann::json out = {{"rule", plan.rule.empty() ? nlohmann::json(nullptr) : nlohmann::json(plan.rule)},
                        {"where", plan.where},
                        {"strategy", strategyName(plan.strategy)},
                        {"byok", byokPolicyName(plan.byok)},
                        {"chain", std::move(chain)},
                        {"skipped", std::move(skipped)}};
  if (plan.problem != Plan::Problem::kNone) out["problem"] = plan.message;
  return out;
}

std::string explainText(const Plan& plan) {
  std::string out;
  if (plan.rule.empty()) return "no rule matches: " + plan.message + "\n";
  out += "rule: " + plan.rule + " (" + plan.where + ")\n";
  out += "strategy: " + std::string(strategyName(plan.strategy)) +
         ", byok: " + byokPolicyName(plan.byok) + "\n";
  out += "chain:\n";
  int n = 0;
  for (const auto& c : plan.chain) {
    out += "  " + std::to_string(++n) + ". " + c.provider;
    if (!c.model.empty()) out += " (" + c.model + ")";
    out += " — " + std::to_string(c.credits) + " credits, " +
           (c.credential == "byok" ? "user's key" : "operator's key") + " — " + c.reason + "\n";
  }
  if (plan.chain.empty()) out += "  (none)\n";
  if (!plan.skipped.empty()) {
    out += "skipped:\n";
    for (const auto& s : plan.skipped) out += "  - " + s.provider + ": " + s.reason + "\n";
  }
  if (plan.problem != Plan::Problem::kNone) out += "problem: " + plan.message + "\n";
  return out;
}

}  // namespace aigate::routing
