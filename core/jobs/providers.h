// The configured providers: each a loaded plugin, the operator's settings and
// key for it, and a pool of plugin instances (an instance serves one thread at
// a time; local renderers run on several workers at once).
//
// Threading: a built Providers is read-only and safe to share; lease() is
// thread-safe.
#pragma once

#include "config/config.h"
#include "core/common/errors.h"
#include "core/plugin_host/plugin_host.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace aigate::jobs {

class Provider {
 public:
  Provider(std::string name, std::shared_ptr<plugin_host::Plugin> plugin,
           nlohmann::json settings, std::string api_key);

  const std::string& name() const { return name_; }
  const plugin_host::Plugin& plugin() const { return *plugin_; }
  bool local() const { return local_; }
  bool canCancel() const { return can_cancel_; }
  bool supports(const std::string& kind) const;
  // {"api_key": …} for the plugin's start event, or null.
  nlohmann::json credential() const;

  // An instance for the caller's exclusive use until the lease ends.
  class Lease {
   public:
    Lease(const Provider* owner, std::unique_ptr<plugin_host::PluginInstance> instance)
        : owner_(owner), instance_(std::move(instance)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    plugin_host::PluginInstance& operator*() const { return *instance_; }
    plugin_host::PluginInstance* operator->() const { return instance_.get(); }

   private:
    const Provider* owner_;
    std::unique_ptr<plugin_host::PluginInstance> instance_;
  };
  Result<Lease> lease() const;

 private:
  std::string name_;
  std::shared_ptr<plugin_host::Plugin> plugin_;
  nlohmann::json settings_;
  std::string api_key_;
  bool local_ = false;
  bool can_cancel_ = false;
  std::vector<std::string> kinds_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<plugin_host::PluginInstance>> idle_;  // Guarded by mutex_
};

class Providers {
 public:
  // Every provider of `cfg`, with its plugin from `plugins` and its key from
  // the environment. Problems (a plugin not loaded, settings the plugin
  // refuses, a key variable that is unset) are listed in `problems`, and
  // those providers left out.
  static std::shared_ptr<Providers> build(const config::Config& cfg,
                                          const plugin_host::PluginRegistry& plugins,
                                          std::vector<std::string>* problems);

  const Provider* find(const std::string& name) const;
  // The providers that may serve `kind`, in the configured order.
  std::vector<std::string> chainFor(const std::string& kind) const;
  size_t size() const { return providers_.size(); }
  // Every provider, in the configured order.
  std::vector<const Provider*> all() const;

 private:
  std::vector<std::unique_ptr<Provider>> providers_;
  std::vector<std::string> image_chain_;
  std::vector<std::string> video_chain_;
};

}  // namespace aigate::jobs
