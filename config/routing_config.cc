#include "config/routing_config.h"
#include "config/yaml_reader.h"

#include <fstream>
#include <sstream>

namespace aigate::config {
namespace {

using yaml::join;
using yaml::MapReader;
using yaml::Problems;

int lineOf(const YAML::Node& node) { return node.Mark().line >= 0 ? node.Mark().line + 1 : 0; }

// A string or a list of strings.
void readOneOrMany(MapReader& r, const std::string& key, std::vector<std::string>& out,
                   Problems& problems, int* line = nullptr) {
  YAML::Node value = r.child(key);
  if (!value) return;
  if (line) *line = lineOf(value);
  const std::string path = join(r.path(), key);
  if (value.IsScalar()) {
    out = {value.Scalar()};
    return;
  }
  if (!value.IsSequence() || value.size() == 0) {
    problems.add(value.Mark(), path, "must be a string or a non-empty list of strings");
    return;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].IsScalar()) {
      problems.add(value[i].Mark(), path + "[" + std::to_string(i) + "]", "must be a string");
      continue;
    }
    out.push_back(value[i].Scalar());
  }
}

void oneOf(const YAML::Node& node, const std::string& path, const std::string& value,
           std::initializer_list<const char*> allowed, Problems& problems) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += std::string(list.empty() ? "" : ", ") + a;
  }
  problems.add(node.Mark(), path, "must be one of " + list + ", got \"" + value + "\"");
}

void readPerKind(MapReader& parent, const std::string& key, PerKind& out, Problems& problems) {
  YAML::Node node = parent.child(key);
  if (!node) return;
  MapReader r(node, join(parent.path(), key), problems);
  for (auto [kind, slot] : {std::pair{"image", &out.image}, std::pair{"video", &out.video}}) {
    YAML::Node v = r.child(kind);
    if (!v) continue;
    double value = -1;
    r.read(kind, value);
    if (value < 0 && v.IsScalar())
      problems.add(v.Mark(), join(r.path(), kind), "must not be negative");
    else if (v.IsScalar())
      *slot = value;
  }
}

void readMatch(MapReader& rule, RouteMatchConfig& m, Problems& problems) {
  YAML::Node node = rule.child("match");
  if (!node) return;
  m.line = lineOf(node);
  MapReader r(node, join(rule.path(), "match"), problems);
  int kind_line = 0;
  readOneOrMany(r, "kind", m.kind, problems, &kind_line);
  for (const auto& k : m.kind)
    if (k != "image" && k != "video")
      oneOf(r.child("kind"), join(r.path(), "kind"), k, {"image", "video"}, problems);
  readOneOrMany(r, "tier", m.tier, problems, &m.tier_line);
  if (YAML::Node v = r.child("min_tier")) m.min_tier_line = lineOf(v);
  r.read("min_tier", m.min_tier);
  readOneOrMany(r, "topic", m.topic, problems);
  readOneOrMany(r, "aspect_ratio", m.aspect_ratio, problems, &m.aspect_ratio_line);
  readOneOrMany(r, "user", m.user, problems);
  readOneOrMany(r, "email", m.email, problems);
  if (YAML::Node v = r.child("prompt")) m.prompt_line = lineOf(v);
  r.read("prompt", m.prompt);
  readOneOrMany(r, "provider", m.provider, problems, &m.provider_line);
  readOneOrMany(r, "model", m.model, problems, &m.model_line);
}

void readEntry(const YAML::Node& node, const std::string& path, RouteEntryConfig& e,
               Problems& problems) {
  e.line = lineOf(node);
  if (node.IsScalar()) {
    e.provider = node.Scalar();
    return;
  }
  MapReader r(node, path, problems);
  r.read("provider", e.provider);
  r.read("model", e.model);
  r.read("weight", e.weight);
  r.read("timeout_s", e.timeout_s);
  r.read("attempts", e.attempts);
  if (!r.child("provider")) problems.add(node.Mark(), path, "needs a provider");
  if (e.weight < 0) problems.add(r.child("weight").Mark(), path + ".weight", "must not be negative");
  if (e.timeout_s < 0)
    problems.add(r.child("timeout_s").Mark(), path + ".timeout_s", "must not be negative");
  if (e.attempts < 0 || e.attempts > 10)
    problems.add(r.child("attempts").Mark(), path + ".attempts", "must be 0 (the default) to 10");
}

void readRule(MapReader& r, RouteRuleConfig& rule, Problems& problems) {
  rule.line = 0;
  r.read("name", rule.name);
  readMatch(r, rule.match, problems);
  if (YAML::Node s = r.child("strategy")) {
    r.read("strategy", rule.strategy);
    if (s.IsScalar())
      oneOf(s, join(r.path(), "strategy"), rule.strategy,
            {"fallback", "weighted", "cheapest", "fastest"}, problems);
  }
  if (YAML::Node b = r.child("byok")) {
    r.read("byok", rule.byok);
    if (b.IsScalar()) oneOf(b, join(r.path(), "byok"), rule.byok, {"prefer", "only", "never"}, problems);
  }
  YAML::Node chain = r.child("chain");
  const std::string chain_path = join(r.path(), "chain");
  if (!chain) return;
  rule.chain_line = lineOf(chain);
  if (!chain.IsSequence()) {
    problems.add(chain.Mark(), chain_path, "must be a list of providers");
    return;
  }
  for (size_t i = 0; i < chain.size(); ++i) {
    RouteEntryConfig e;
    readEntry(chain[i], chain_path + "[" + std::to_string(i) + "]", e, problems);
    rule.chain.push_back(std::move(e));
  }
}

}  // namespace

RoutingConfig parseRouting(const std::string& yaml_text, const std::string& source_name) {
  Problems problems(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    problems.add(e.mark, "", e.msg);
    throw ConfigError(problems.joined());
  }
  RoutingConfig c;
  c.source = source_name;
  {
    MapReader top(root, "", problems);
    {
      MapReader r(top.child("breaker"), "breaker", problems);
      r.read("failures", c.breaker_failures);
      r.read("cooldown_s", c.breaker_cooldown_s);
      if (c.breaker_failures < 1)
        problems.add(r.child("failures").Mark(), "breaker.failures", "must be at least 1");
      if (c.breaker_cooldown_s < 1)
        problems.add(r.child("cooldown_s").Mark(), "breaker.cooldown_s", "must be at least 1");
    }
    if (YAML::Node b = top.child("byok")) {
      top.read("byok", c.byok);
      if (b.IsScalar()) oneOf(b, "byok", c.byok, {"prefer", "only", "never"}, problems);
    }
    if (YAML::Node providers = top.child("providers")) {
      if (!providers.IsMap()) {
        problems.add(providers.Mark(), "providers", "must be a mapping of provider names");
      } else {
        for (const auto& item : providers) {
          RouteProviderConfig p;
          p.name = item.first.as<std::string>();
          p.line = lineOf(item.first);
          const std::string path = "providers." + p.name;
          MapReader r(item.second, path, problems);
          r.read("enabled", p.enabled);
          if (YAML::Node cred = r.child("credential")) {
            r.read("credential", p.credential);
            if (cred.IsScalar())
              oneOf(cred, path + ".credential", p.credential, {"operator", "byok"}, problems);
          }
          readPerKind(r, "credits", p.credits, problems);
          readPerKind(r, "cost", p.cost, problems);
          for (const char* secret : {"api_key", "key", "token"})
            if (YAML::Node s = r.child(secret))
              problems.add(s.Mark(), path + "." + secret,
                           "secrets do not belong in the routing file; set the provider's "
                           "api_key_env in the main config");
          c.providers.push_back(std::move(p));
        }
      }
    }
    YAML::Node rules = top.child("rules");
    if (rules && !rules.IsSequence()) {
      problems.add(rules.Mark(), "rules", "must be a list");
    } else if (rules) {
      for (size_t i = 0; i < rules.size(); ++i) {
        const std::string path = "rules[" + std::to_string(i) + "]";
        MapReader r(rules[i], path, problems);
        RouteRuleConfig rule;
        readRule(r, rule, problems);
        rule.line = lineOf(rules[i]);
        if (rule.name.empty()) rule.name = "rule " + std::to_string(i + 1);
        if (!r.child("chain"))
          problems.add(rules[i].Mark(), path + ".chain", "a rule needs a chain of providers");
        c.rules.push_back(std::move(rule));
      }
    }
  }
  if (!problems.empty()) throw ConfigError(problems.joined());
  return c;
}

RoutingConfig loadRouting(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the routing file");
  std::ostringstream text;
  text << in.rdbuf();
  return parseRouting(text.str(), path);
}

}  // namespace aigate::config
