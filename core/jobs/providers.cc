#include "core/jobs/providers.h"

#include <algorithm>
#include <cstdlib>

namespace aigate::jobs {

Provider::Provider(std::string name, std::shared_ptr<plugin_host::Plugin> plugin,
                   nlohmann::json settings, std::string api_key)
    : name_(std::move(name)),
      plugin_(std::move(plugin)),
      settings_(std::move(settings)),
      api_key_(std::move(api_key)) {
  const auto& d = plugin_->description();
  local_ = d.value("local", false);
  can_cancel_ = d.value("can_cancel", false);
  if (auto it = d.find("kinds"); it != d.end() && it->is_array())
    for (const auto& k : *it)
      if (k.is_string()) kinds_.push_back(k.get<std::string>());
}

bool Provider::supports(const std::string& kind) const {
  return std::find(kinds_.begin(), kinds_.end(), kind) != kinds_.end();
}

nlohmann::json Provider::credential() const {
  if (api_key_.empty()) return nullptr;
  return {{"api_key", api_key_}};
}

Provider::Lease::~Lease() {
  if (!instance_) return;
  std::lock_guard lock(owner_->mutex_);
  owner_->idle_.push_back(std::move(instance_));
}

Result<Provider::Lease> Provider::lease() const {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto instance = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(instance));
    }
  }
  auto created = plugin_->create(settings_);
  if (!created) return created.error();
  return Lease(this, std::move(created.value()));
}

std::shared_ptr<Providers> Providers::build(const config::Config& cfg,
                                            const plugin_host::PluginRegistry& plugins,
                                            std::vector<std::string>* problems) {
  auto out = std::make_shared<Providers>();
  for (const auto& pc : cfg.providers) {
    auto plugin = plugins.find(pc.plugin);
    if (!plugin) {
      if (problems)
        problems->push_back("provider " + pc.name + ": plugin \"" + pc.plugin +
                            "\" is not loaded (see plugins.paths)");
      continue;
    }
    std::string api_key;
    if (!pc.api_key_env.empty()) {
      const char* value = std::getenv(pc.api_key_env.c_str());
      if (!value || !*value) {
        if (problems)
          problems->push_back("provider " + pc.name + ": environment variable " + pc.api_key_env +
                              " (its API key) is not set");
        continue;
      }
      api_key = value;
    }
    auto provider = std::make_unique<Provider>(
        pc.name, plugin, nlohmann::json::parse(pc.settings_json, nullptr, false), api_key);
    // Create one instance now, so that settings the plugin refuses stop the start.
    auto first = provider->lease();
    if (!first) {
      if (problems)
        problems->push_back("provider " + pc.name + ": plugin " + pc.plugin +
                            " refused its settings: " + first.error().message());
      continue;
    }
    out->providers_.push_back(std::move(provider));
  }
  for (const auto& [kind, list, chain] :
       {std::tuple{"image", &cfg.generation.image, &out->image_chain_},
        std::tuple{"video", &cfg.generation.video, &out->video_chain_}}) {
    for (const auto& name : *list) {
      const Provider* p = out->find(name);
      if (!p) continue;  // reported above
      if (!p->supports(kind)) {
        if (problems)
          problems->push_back(std::string("generation.") + kind + ": provider " + name +
                              " cannot make " + kind + "s");
        continue;
      }
      chain->push_back(name);
    }
  }
  return out;
}

const Provider* Providers::find(const std::string& name) const {
  for (const auto& p : providers_)
    if (p->name() == name) return p.get();
  return nullptr;
}

std::vector<const Provider*> Providers::all() const {
  std::vector<const Provider*> out;
  for (const auto& p : providers_) out.push_back(p.get());
  return out;
}

std::vector<std::string> Providers::chainFor(const std::string& kind) const {
  return kind == "video" ? video_chain_ : image_chain_;
}

}  // namespace aigate::jobs

namespace aigate::jobs {

routing::ProviderInfo providerInfo(const std::string& name, const plugin_host::Plugin& plugin) {
  routing::ProviderInfo info;
  info.name = name;
  const auto& d = plugin.description();
  if (auto it = d.find("kinds"); it != d.end() && it->is_array())
    for (const char* kind : {"image", "video"})
      if (std::find(it->begin(), it->end(), kind) != it->end()) info.kinds.push_back(kind);
  if (auto it = d.find("models"); it != d.end() && it->is_array())
    for (const auto& m : *it)
      if (m.is_string()) info.models.push_back(m.get<std::string>());
  info.default_model = d.value("default_model", std::string());
  info.takes_key = !d.value("local", false);
  return info;
}

std::vector<routing::ProviderInfo> Providers::catalog() const {
  std::vector<routing::ProviderInfo> out;
  for (const auto& p : providers_) out.push_back(providerInfo(p->name(), p->plugin()));
  return out;
}


}  // namespace aigate::jobs
