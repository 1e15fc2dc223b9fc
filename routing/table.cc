#include "routing/table.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace aigate::routing {
namespace {

constexpr const char* kAspectRatios[] = {"1:1", "9:16", "16:9", "4:5", "3:4",
                                         "4:3", "2:3",  "3:2",  "21:9"};

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// True when every value `narrow` allows is allowed by `wide` (an empty list
// allows everything).
bool covers(const std::vector<std::string>& wide, const std::vector<std::string>& narrow) {
  if (wide.empty()) return true;
  if (narrow.empty()) return false;
  return std::all_of(narrow.begin(), narrow.end(), [&](const auto& v) { return contains(wide, v); });
}

class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  void add(int line, const std::string& where, const std::string& problem) {
    std::string text = file_;
    if (line > 0) {
      text += ':';
      text += std::to_string(line);
    }
    text += ": ";
    text += where;
    text += ": ";
    text += problem;
    lines_.push_back(std::move(text));
  }
  void throwIfAny() const {
    if (lines_.empty()) return;
    std::string all;
    for (const auto& l : lines_) all += l + "\n";
    all.pop_back();
    throw config::ConfigError(all);
  }

 private:
  std::string file_;
  std::vector<std::string> lines_;
};

// Does `a` match every request that `b` matches? Conservative: false when
// unsure (a prompt regex only covers the same regex).
bool shadows(const Match& a, const Match& b, const std::vector<int>& b_tier_levels) {
  if (!covers(a.kind, b.kind) || !covers(a.topic, b.topic) ||
      !covers(a.aspect_ratio, b.aspect_ratio) || !covers(a.user, b.user) ||
      !covers(a.email, b.email) || !covers(a.provider, b.provider) || !covers(a.model, b.model))
    return false;
  if (a.prompt && (!b.prompt || a.prompt->pattern() != b.prompt->pattern())) return false;
  if (!a.tier.empty()) {
    if (b.tier.empty() || !covers(a.tier, b.tier)) return false;
  }
  if (a.min_level >= 0) {
    // b must only match tiers at or above a's minimum.
    if (b.min_level >= 0 && b.min_level >= a.min_level && b.tier.empty()) return true;
    if (b.tier.empty()) return false;
    return std::all_of(b_tier_levels.begin(), b_tier_levels.end(),
                       [&](int level) { return level >= a.min_level; });
  }
  return true;
}

}  // namespace

const char* strategyName(Strategy s) {
  switch (s) {
    case Strategy::kFallback: return "fallback";
    case Strategy::kWeighted: return "weighted";
    case Strategy::kCheapest: return "cheapest";
    case Strategy::kFastest: return "fastest";
  }
  return "fallback";
}

const char* byokPolicyName(ByokPolicy p) {
  switch (p) {
    case ByokPolicy::kPrefer: return "prefer";
    case ByokPolicy::kOnly: return "only";
    case ByokPolicy::kNever: return "never";
  }
  return "prefer";
}

std::optional<Strategy> parseStrategy(const std::string& s) {
  if (s == "fallback") return Strategy::kFallback;
  if (s == "weighted") return Strategy::kWeighted;
  if (s == "cheapest") return Strategy::kCheapest;
  if (s == "fastest") return Strategy::kFastest;
  return std::nullopt;
}

Regex::Regex(const std::string& pattern) : pattern_(pattern) {
  const int rc = regcomp(&re_, pattern.c_str(), REG_EXTENDED | REG_ICASE | REG_NOSUB);
  if (rc != 0) {
    char message[256];
    regerror(rc, &re_, message, sizeof message);
    regfree(&re_);
    throw std::invalid_argument(message);
  }
}

Regex::~Regex() { regfree(&re_); }

bool Regex::search(const std::string& text) const {
  return regexec(&re_, text.c_str(), 0, nullptr, 0) == 0;
}

bool Match::any() const {
  return kind.empty() && tier.empty() && topic.empty() && aspect_ratio.empty() && user.empty() &&
         email.empty() && provider.empty() && model.empty() && min_level < 0 && !prompt;
}

std::shared_ptr<const Table> Table::compile(const config::Config& cfg,
                                            const config::RoutingConfig& rc,
                                            const std::vector<ProviderInfo>& providers) {
  auto t = std::make_shared<Table>();
  t->source_ = rc.source;
  t->providers_ = providers;
  t->breaker_failures_ = rc.breaker_failures;
  t->breaker_cooldown_s_ = rc.breaker_cooldown_s;
  t->generated_image_ = cfg.prices.generated_image;
  t->generated_video_ = cfg.prices.generated_video;
  t->byok_image_ = cfg.prices.byok_image;
  t->byok_video_ = cfg.prices.byok_video;
  for (const auto& tier : cfg.tiers) t->tier_levels_[tier.name] = tier.level;
  Problems problems(rc.source);

  for (const auto& p : rc.providers) {
    const ProviderInfo* info = t->provider(p.name);
    if (!info) {
      problems.add(p.line, "providers." + p.name,
                   "unknown provider (not in the main config's providers)");
      continue;
    }
    ProviderPolicy policy;
    policy.enabled = p.enabled;
    policy.byok_only = p.credential == "byok";
    if (policy.byok_only && !info->takes_key)
      problems.add(p.line, "providers." + p.name + ".credential",
                   "byok: this provider takes no key, so users cannot bring one");
    if (p.credits.image) policy.credits_image = static_cast<int64_t>(*p.credits.image);
    if (p.credits.video) policy.credits_video = static_cast<int64_t>(*p.credits.video);
    policy.cost_image = p.cost.image.value_or(0);
    policy.cost_video = p.cost.video.value_or(0);
    t->policies_[p.name] = policy;
  }

  const ByokPolicy default_byok = rc.byok == "only"    ? ByokPolicy::kOnly
                                  : rc.byok == "never" ? ByokPolicy::kNever
                                                       : ByokPolicy::kPrefer;
  std::set<std::string> names;
  for (size_t i = 0; i < rc.rules.size(); ++i) {
    const auto& in = rc.rules[i];
    const std::string where = "rules[" + std::to_string(i) + "] (" + in.name + ")";
    Rule rule;
    rule.name = in.name;
    rule.where = rc.source + ":" + std::to_string(in.line);
    if (!names.insert(in.name).second)
      problems.add(in.line, where + ".name", "another rule has the name \"" + in.name + "\"");
    rule.strategy = parseStrategy(in.strategy).value_or(Strategy::kFallback);
    rule.byok = in.byok.empty()     ? default_byok
                : in.byok == "only" ? ByokPolicy::kOnly
                : in.byok == "never" ? ByokPolicy::kNever
                                     : ByokPolicy::kPrefer;

    const auto& m = in.match;
    rule.match.kind = m.kind;
    rule.match.topic = m.topic;
    rule.match.user = m.user;
    rule.match.email = m.email;
    rule.match.provider = m.provider;
    rule.match.model = m.model;
    for (const auto& tier : m.tier) {
      if (t->tierLevel(tier) < 0)
        problems.add(m.tier_line, where + ".match.tier", "unknown tier \"" + tier + "\"");
      rule.match.tier.push_back(tier);
    }
    if (!m.min_tier.empty()) {
      rule.match.min_level = t->tierLevel(m.min_tier);
      if (rule.match.min_level < 0)
        problems.add(m.min_tier_line, where + ".match.min_tier", "unknown tier \"" + m.min_tier + "\"");
    }
    for (const auto& ratio : m.aspect_ratio) {
      if (std::find_if(std::begin(kAspectRatios), std::end(kAspectRatios),
                       [&](const char* r) { return ratio == r; }) == std::end(kAspectRatios))
        problems.add(m.aspect_ratio_line, where + ".match.aspect_ratio",
                     "unknown aspect ratio \"" + ratio + "\"");
      rule.match.aspect_ratio.push_back(ratio);
    }
    for (const auto& p : m.provider)
      if (!t->provider(p))
        problems.add(m.provider_line, where + ".match.provider", "unknown provider \"" + p + "\"");
    for (const auto& model : m.model) {
      const bool offered = std::any_of(providers.begin(), providers.end(), [&](const auto& p) {
        return p.models.empty() || contains(p.models, model);
      });
      if (!offered)
        problems.add(m.model_line, where + ".match.model", "no provider offers the model \"" + model + "\"");
    }
    if (!m.prompt.empty()) {
      try {
        rule.match.prompt = std::make_shared<const Regex>(m.prompt);
      } catch (const std::invalid_argument& e) {
        problems.add(m.prompt_line, where + ".match.prompt",
                     "the regex \"" + m.prompt + "\" does not compile: " + e.what());
      }
    }

    if (in.chain.empty())
      problems.add(in.chain_line ? in.chain_line : in.line, where + ".chain",
                   "the chain is empty: list at least one provider");
    for (size_t k = 0; k < in.chain.size(); ++k) {
      const auto& e = in.chain[k];
      const std::string ewhere = where + ".chain[" + std::to_string(k) + "]";
      const ProviderInfo* info = t->provider(e.provider);
      if (!info) {
        problems.add(e.line, ewhere, "unknown provider \"" + e.provider + "\"");
        continue;
      }
      for (const auto& kind : m.kind)
        if (!contains(info->kinds, kind))
          problems.add(e.line, ewhere, "the provider " + e.provider + " cannot make " + kind + "s");
      if (!e.model.empty() && !info->models.empty() && !contains(info->models, e.model)) {
        std::string offered;
        for (const auto& model : info->models) offered += (offered.empty() ? "" : ", ") + model;
        problems.add(e.line, ewhere + ".model",
                     "the provider " + e.provider + " does not offer the model \"" + e.model +
                         "\" (it offers: " + offered + ")");
      }
      if (rule.strategy == Strategy::kWeighted && e.weight == 0 && in.chain.size() == 1)
        problems.add(e.line, ewhere + ".weight", "the only provider of a weighted rule has weight 0");
      if (rule.byok == ByokPolicy::kOnly && !info->takes_key)
        problems.add(e.line, ewhere,
                     "the rule is byok: only, but " + e.provider + " takes no key, so it never serves");
      rule.chain.push_back({e.provider, e.model, e.weight, e.timeout_s, e.attempts, e.line});
    }
    t->rules_.push_back(std::move(rule));
  }

  // Shadowing: a rule that an earlier rule always pre-empts is a mistake.
  for (size_t j = 0; j < t->rules_.size(); ++j) {
    std::vector<int> levels;
    for (const auto& tier : t->rules_[j].match.tier) levels.push_back(t->tierLevel(tier));
    for (size_t i = 0; i < j; ++i) {
      if (!shadows(t->rules_[i].match, t->rules_[j].match, levels)) continue;
      problems.add(rc.rules[j].line, "rules[" + std::to_string(j) + "] (" + t->rules_[j].name + ")",
                   "never used: the earlier rule \"" + t->rules_[i].name + "\" at " +
                       t->rules_[i].where + " matches every request it matches");
      break;
    }
  }
  problems.throwIfAny();

  // The default rule, after the operator's: the main config's chains.
  const bool catch_all = std::any_of(t->rules_.begin(), t->rules_.end(), [](const Rule& r) {
    return r.match.any();
  });
  if (!catch_all) {
    for (const auto& [kind, list] : {std::pair{"image", &cfg.generation.image},
                                     std::pair{"video", &cfg.generation.video}}) {
      Rule rule;
      rule.name = std::string("default-") + kind;
      rule.where = cfg.source + ": generation." + kind;
      rule.match.kind = {kind};
      rule.byok = default_byok;
      for (const auto& name : *list) rule.chain.push_back({name, "", 1, 0, 0, 0});
      t->rules_.push_back(std::move(rule));
    }
  }
  return t;
}

const ProviderInfo* Table::provider(const std::string& name) const {
  for (const auto& p : providers_)
    if (p.name == name) return &p;
  return nullptr;
}

const ProviderPolicy& Table::policy(const std::string& provider) const {
  static const ProviderPolicy kDefault;
  auto it = policies_.find(provider);
  return it == policies_.end() ? kDefault : it->second;
}

int64_t Table::credits(const std::string& provider, const std::string& kind) const {
  const auto& p = policy(provider);
  if (kind == "video") return p.credits_video.value_or(generated_video_);
  return p.credits_image.value_or(generated_image_);
}

int64_t Table::byokCredits(const std::string& kind) const {
  return kind == "video" ? byok_video_ : byok_image_;
}

double Table::cost(const std::string& provider, const std::string& kind) const {
  const auto& p = policy(provider);
  return kind == "video" ? p.cost_video : p.cost_image;
}

int Table::tierLevel(const std::string& name) const {
  auto it = tier_levels_.find(name);
  return it == tier_levels_.end() ? -1 : it->second;
}

}  // namespace aigate::routing
