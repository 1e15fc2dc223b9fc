#include "config.h"
#include "config/yaml_reader.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace aigate::config {
namespace {

using yaml::MapReader;
using yaml::Problems;
using yaml::join;

void readServer(MapReader& r, ServerConfig& s) {
  r.read("listen", s.listen);
  r.read("threads", s.threads);
  r.read("public_url", s.public_url);
  r.read("max_body_bytes", s.max_body_bytes);
  r.read("header_timeout_ms", s.header_timeout_ms);
  r.read("body_timeout_ms", s.body_timeout_ms);
  r.read("keepalive_timeout_s", s.keepalive_timeout_s);
  r.read("shutdown_grace_ms", s.shutdown_grace_ms);
}

// Reads the list `key`: each item a mapping, read by `read_item`.
template <typename T, typename ReadItem>
void readItems(const YAML::Node& node, const std::string& key, Problems& problems,
               std::vector<T>& out, ReadItem read_item) {
  if (!node) return;
  if (!node.IsSequence()) {
    problems.add(node.Mark(), key, "must be a list");
    return;
  }
  out.clear();
  for (size_t i = 0; i < node.size(); ++i) {
    T item;
    MapReader r(node[i], key + "[" + std::to_string(i) + "]", problems);
    read_item(r, item);
    out.push_back(item);
  }
}

void readTier(MapReader& r, TierConfig& tier) {
  r.read("name", tier.name);
  r.read("level", tier.level);
  r.read("requests_per_minute", tier.requests_per_minute);
  r.read("concurrent_generations", tier.concurrent_generations);
}

// A YAML value as JSON: mappings and lists recursively; a scalar becomes a
// boolean, a number or a string, as YAML would read it.
nlohmann::json yamlToJson(const YAML::Node& node) {
  if (!node || node.IsNull()) return nullptr;
  if (node.IsMap()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& entry : node) out[entry.first.Scalar()] = yamlToJson(entry.second);
    return out;
  }
  if (node.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : node) out.push_back(yamlToJson(item));
    return out;
  }
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  bool b;
  if (YAML::convert<bool>::decode(node, b)) return b;
  int64_t i;
  if (YAML::convert<int64_t>::decode(node, i)) return i;
  double d;
  if (YAML::convert<double>::decode(node, d)) return d;
  return text;
}

void readProvider(MapReader& r, ProviderConfig& provider, Problems& problems) {
  r.read("name", provider.name);
  r.read("plugin", provider.plugin);
  r.read("api_key_env", provider.api_key_env);
  if (YAML::Node settings = r.child("settings")) {
    if (!settings.IsMap())
      problems.add(settings.Mark(), r.path() + ".settings", "must be a mapping");
    else
      provider.settings_json = yamlToJson(settings).dump();
  }
  if (YAML::Node key = r.child("api_key")) {
    problems.add(key.Mark(), r.path() + ".api_key",
                 "secrets do not belong in the config file; name an environment variable in "
                 "api_key_env instead");
  }
}

void readPack(MapReader& r, PackConfig& pack) {
  r.read("name", pack.name);
  r.read("credits", pack.credits);
  r.read("price_usd", pack.price_usd);
  r.read("tier", pack.tier);
}

// Checks the relations between fields; `marks` gives each path's position.
void validate(const Config& c, const std::map<std::string, YAML::Mark>& marks, Problems& p) {
  auto mark = [&](const std::string& path) {
    auto it = marks.find(path);
    return it == marks.end() ? YAML::Mark::null_mark() : it->second;
  };
  auto positive = [&](const std::string& path, int64_t value) {
    if (value <= 0) p.add(mark(path), path, "must be greater than 0");
  };
  auto nonNegative = [&](const std::string& path, int64_t value) {
    if (value < 0) p.add(mark(path), path, "must not be negative");
  };

  if (!parseHostPort(c.server.listen))
    p.add(mark("server.listen"), "server.listen", "must be HOST:PORT, got \"" + c.server.listen + "\"");
  positive("server.threads", c.server.threads);
  if (c.server.max_body_bytes < 1024)
    p.add(mark("server.max_body_bytes"), "server.max_body_bytes", "must be at least 1024");
  positive("server.header_timeout_ms", c.server.header_timeout_ms);
  positive("server.body_timeout_ms", c.server.body_timeout_ms);
  positive("server.keepalive_timeout_s", c.server.keepalive_timeout_s);
  nonNegative("server.shutdown_grace_ms", c.server.shutdown_grace_ms);
  if (c.data_dir.empty()) p.add(mark("data_dir"), "data_dir", "must not be empty");
  if (c.store.synchronous != "full" && c.store.synchronous != "normal")
    p.add(mark("store.synchronous"), "store.synchronous",
          "must be \"full\" or \"normal\", got \"" + c.store.synchronous + "\"");
  positive("store.group_commit_max", c.store.group_commit_max);
  nonNegative("store.busy_timeout_ms", c.store.busy_timeout_ms);
  nonNegative("store.reader_mmap_mb", c.store.reader_mmap_mb);
  nonNegative("registration.free_credits", c.registration.free_credits);
  nonNegative("prices.library_image", c.prices.library_image);
  nonNegative("prices.library_video", c.prices.library_video);
  nonNegative("prices.generated_image", c.prices.generated_image);
  nonNegative("prices.generated_video", c.prices.generated_video);
  nonNegative("prices.byok_image", c.prices.byok_image);
  nonNegative("prices.byok_video", c.prices.byok_video);
  positive("idempotency.ttl_hours", c.idempotency.ttl_hours);
  if (c.library.match_threshold < 0 || c.library.match_threshold > 1)
    p.add(mark("library.match_threshold"), "library.match_threshold",
          "must be between 0 and 1");
  nonNegative("library.memory_index_min_assets", c.library.memory_index_min_assets);
  positive("webhooks.timeout_ms", c.webhooks.timeout_ms);
  for (size_t i = 0; i < c.webhooks.retry_schedule_s.size(); ++i) {
    const std::string path = "webhooks.retry_schedule_s[" + std::to_string(i) + "]";
    nonNegative(path, c.webhooks.retry_schedule_s[i]);
  }
  if (c.log.format != "json" && c.log.format != "text")
    p.add(mark("log.format"), "log.format",
          "must be \"json\" or \"text\", got \"" + c.log.format + "\"");

  std::set<std::string> provider_names;
  for (size_t i = 0; i < c.providers.size(); ++i) {
    const auto& pr = c.providers[i];
    const std::string path = "providers[" + std::to_string(i) + "]";
    if (pr.name.empty() || pr.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
                               std::string::npos)
      p.add(mark(path), path + ".name", "must be [a-z0-9_]+, got \"" + pr.name + "\"");
    if (!provider_names.insert(pr.name).second)
      p.add(mark(path), path + ".name", "duplicate provider \"" + pr.name + "\"");
    if (pr.plugin.empty()) p.add(mark(path), path + ".plugin", "is required");
  }
  for (const auto& [kind, list] : {std::pair{"image", &c.generation.image},
                                   std::pair{"video", &c.generation.video}}) {
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string path = std::string("generation.") + kind + "[" + std::to_string(i) + "]";
      if (!c.findProvider((*list)[i]))
        p.add(mark(path), path, "unknown provider \"" + (*list)[i] + "\" (not in providers)");
    }
  }
  positive("generation.image_wait_s", c.generation.image_wait_s);
  positive("generation.job_deadline_s", c.generation.job_deadline_s);
  positive("generation.max_attempts", c.generation.max_attempts);
  nonNegative("generation.retry_base_ms", c.generation.retry_base_ms);
  positive("generation.workers", c.generation.workers);
  positive("generation.max_output_bytes", c.generation.max_output_bytes);

  if (c.tiers.empty()) p.add(mark("tiers"), "tiers", "must name at least one tier");
  std::set<std::string> tier_names;
  for (size_t i = 0; i < c.tiers.size(); ++i) {
    const auto& t = c.tiers[i];
    const std::string path = "tiers[" + std::to_string(i) + "]";
    if (t.name.empty()) p.add(mark(path), path + ".name", "is required");
    if (!tier_names.insert(t.name).second)
      p.add(mark(path), path + ".name", "duplicate tier \"" + t.name + "\"");
    nonNegative(path + ".level", t.level);
    positive(path + ".requests_per_minute", t.requests_per_minute);
    positive(path + ".concurrent_generations", t.concurrent_generations);
  }
  if (!c.findTier(c.free_tier))
    p.add(mark("free_tier"), "free_tier", "unknown tier \"" + c.free_tier + "\"");
  std::set<std::string> pack_names;
  for (size_t i = 0; i < c.packs.size(); ++i) {
    const auto& k = c.packs[i];
    const std::string path = "packs[" + std::to_string(i) + "]";
    if (k.name.empty()) p.add(mark(path), path + ".name", "is required");
    if (!pack_names.insert(k.name).second)
      p.add(mark(path), path + ".name", "duplicate pack \"" + k.name + "\"");
    positive(path + ".credits", k.credits);
    if (k.price_usd < 0) p.add(mark(path), path + ".price_usd", "must not be negative");
    if (!c.findTier(k.tier)) p.add(mark(path), path + ".tier", "unknown tier \"" + k.tier + "\"");
  }
}

// Records the position of every mapping and sequence item, by dotted path.
void collectMarks(const YAML::Node& node, const std::string& path,
                  std::map<std::string, YAML::Mark>& marks) {
  if (!node) return;
  marks[path] = node.Mark();
  if (node.IsMap()) {
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) continue;
      collectMarks(entry.second, join(path, entry.first.Scalar()), marks);
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i)
      collectMarks(node[i], path + "[" + std::to_string(i) + "]", marks);
  }
}

}  // namespace

Config::Config() {
  tiers = {
      {"free", 0, 60, 2},      {"starter", 1, 120, 3}, {"creator", 1, 180, 4},
      {"pro", 2, 300, 8},      {"scale", 3, 600, 16},
  };
  packs = {
      {"starter", 1200, 9, "starter"},
      {"creator", 4000, 29, "creator"},
      {"pro", 12000, 79, "pro"},
      {"scale", 35000, 199, "scale"},
  };
  providers = {{"local", "local", "{}", ""}};
}

const TierConfig* Config::findTier(const std::string& name) const {
  for (const auto& t : tiers)
    if (t.name == name) return &t;
  return nullptr;
}

const ProviderConfig* Config::findProvider(const std::string& name) const {
  for (const auto& p : providers)
    if (p.name == name) return &p;
  return nullptr;
}

const PackConfig* Config::findPack(const std::string& name) const {
  for (const auto& k : packs)
    if (k.name == name) return &k;
  return nullptr;
}

Config parse(const std::string& yaml_text, const std::string& source_name) {
  Problems problems(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    problems.add(e.mark, "", e.msg);
    throw ConfigError(problems.joined());
  }

  Config c;
  c.source = source_name;
  {
    MapReader top(root, "", problems);
    {
      MapReader r(top.child("server"), "server", problems);
      readServer(r, c.server);
    }
    top.read("data_dir", c.data_dir);
    {
      MapReader r(top.child("store"), "store", problems);
      r.read("synchronous", c.store.synchronous);
      r.read("group_commit_max", c.store.group_commit_max);
      r.read("busy_timeout_ms", c.store.busy_timeout_ms);
      r.read("reader_mmap_mb", c.store.reader_mmap_mb);
    }
    {
      MapReader r(top.child("registration"), "registration", problems);
      r.read("open", c.registration.open);
      r.read("free_credits", c.registration.free_credits);
    }
    {
      MapReader r(top.child("prices"), "prices", problems);
      r.read("library_image", c.prices.library_image);
      r.read("library_video", c.prices.library_video);
      r.read("generated_image", c.prices.generated_image);
      r.read("generated_video", c.prices.generated_video);
      r.read("byok_image", c.prices.byok_image);
      r.read("byok_video", c.prices.byok_video);
    }
    top.read("free_tier", c.free_tier);
    readItems(top.child("tiers"), "tiers", problems, c.tiers, readTier);
    readItems(top.child("packs"), "packs", problems, c.packs, readPack);
    {
      MapReader r(top.child("features"), "features", problems);
      r.read("video", c.features.video);
      r.read("byok", c.features.byok);
      r.read("webhooks", c.features.webhooks);
      r.read("smart_routing", c.features.smart_routing);
    }
    {
      MapReader r(top.child("library"), "library", problems);
      r.read("match_threshold", c.library.match_threshold);
      r.read("memory_index_min_assets", c.library.memory_index_min_assets);
    }
    {
      MapReader r(top.child("plugins"), "plugins", problems);
      r.readList("paths", c.plugins.paths);
    }
    readItems(top.child("providers"), "providers", problems, c.providers,
              [&](MapReader& r, ProviderConfig& p) { readProvider(r, p, problems); });
    {
      MapReader r(top.child("generation"), "generation", problems);
      r.readList("image", c.generation.image);
      r.readList("video", c.generation.video);
      r.read("image_wait_s", c.generation.image_wait_s);
      r.read("job_deadline_s", c.generation.job_deadline_s);
      r.read("max_attempts", c.generation.max_attempts);
      r.read("retry_base_ms", c.generation.retry_base_ms);
      r.read("workers", c.generation.workers);
      r.read("max_output_bytes", c.generation.max_output_bytes);
      r.read("share_generated", c.generation.share_generated);
    }
    {
      MapReader r(top.child("routing"), "routing", problems);
      r.read("file", c.routing.file);
    }
    {
      MapReader r(top.child("idempotency"), "idempotency", problems);
      r.read("ttl_hours", c.idempotency.ttl_hours);
    }
    {
      MapReader r(top.child("admin"), "admin", problems);
      r.read("token_env", c.admin.token_env);
      r.read("token_file_env", c.admin.token_file_env);
      if (r.child("token")) {
        problems.add(r.child("token").Mark(), "admin.token",
                     "secrets do not belong in the config file; set the environment variable "
                     "named by admin.token_env instead");
      }
    }
    {
      MapReader r(top.child("byok"), "byok", problems);
      r.read("master_key_env", c.byok.master_key_env);
      r.read("master_key_file_env", c.byok.master_key_file_env);
      if (r.child("master_key")) {
        problems.add(r.child("master_key").Mark(), "byok.master_key",
                     "secrets do not belong in the config file; set the environment variable "
                     "named by byok.master_key_env instead");
      }
    }
    {
      MapReader r(top.child("webhooks"), "webhooks", problems);
      r.readIntList("retry_schedule_s", c.webhooks.retry_schedule_s);
      r.read("timeout_ms", c.webhooks.timeout_ms);
      r.readList("allow_hosts", c.webhooks.allow_hosts);
    }
    {
      MapReader r(top.child("metrics"), "metrics", problems);
      r.read("require_token", c.metrics.require_token);
    }
    {
      MapReader r(top.child("log"), "log", problems);
      r.read("requests", c.log.requests);
      r.read("format", c.log.format);
    }
  }
  std::map<std::string, YAML::Mark> marks;
  collectMarks(root, "", marks);
  validate(c, marks, problems);
  if (!problems.empty()) throw ConfigError(problems.joined());
  return c;
}

std::string Config::routingFile() const {
  if (routing.file.empty() || routing.file.front() == '/') return routing.file;
  const auto slash = source.rfind('/');
  if (source.front() == '<' || slash == std::string::npos) return routing.file;
  return source.substr(0, slash + 1) + routing.file;
}

Config load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the config file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

std::optional<HostPort> parseHostPort(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
  HostPort hp;
  hp.host = text.substr(0, colon);
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']')
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  const std::string port = text.substr(colon + 1);
  if (port.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char ch : port) {
    if (ch < '0' || ch > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(ch - '0');
  }
  if (value > 65535) return std::nullopt;
  hp.port = static_cast<uint16_t>(value);
  return hp;
}

std::string resolveAdminToken(const AdminConfig& admin) {
  if (const char* token = std::getenv(admin.token_env.c_str()); token && *token) return token;
  const char* file = std::getenv(admin.token_file_env.c_str());
  if (!file || !*file) return {};
  std::ifstream in(file);
  if (!in) throw ConfigError(std::string(file) + ": cannot read the admin token file");
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) throw ConfigError(std::string(file) + ": the admin token file is empty");
  return token;
}

}  // namespace aigate::config
