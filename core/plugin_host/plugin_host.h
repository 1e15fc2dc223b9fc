// Loading provider plugins (Boost.DLL) and checking them before use.
//
// A plugin is refused, with a message naming the file (and both versions
// where they differ), when: the library cannot be loaded; it exports no
// aigate_plugin_entry; its ABI major differs from ours or its minor is newer;
// its function table is smaller than its ABI version's; a function is
// missing; its name is invalid or already loaded; its description is invalid.
//
// Threading: a loaded PluginRegistry is read-only and safe to share.
#pragma once

#include "core/common/errors.h"

#include <aigate/plugin_abi.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace aigate::plugin_host {

class PluginInstance;

// A checked plugin library. The library stays loaded while this object or
// any instance made from it lives.
class Plugin : public std::enable_shared_from_this<Plugin> {
 public:
  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }
  const nlohmann::json& description() const { return description_; }
  // The ABI version the plugin was built for, "major.minor".
  std::string abiVersion() const;

  // Creates an instance with the operator's settings for this provider.
  Result<std::unique_ptr<PluginInstance>> create(const nlohmann::json& settings);

 private:
  friend Result<std::shared_ptr<Plugin>> loadPlugin(const std::string& path);
  friend class PluginInstance;
  std::shared_ptr<boost::dll::shared_library> library_;
  const aigate_plugin_v1* table_ = nullptr;
  std::string name_;
  std::string path_;
  nlohmann::json description_;
};

// One live plugin object (one configured provider). Used by one thread at a time.
class PluginInstance {
 public:
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  // One step of the plugin's state machine: event in, action out. An answer
  // that is not a JSON object with an "action" becomes a non-retryable fail.
  nlohmann::json step(const nlohmann::json& event);

 private:
  friend class Plugin;
  PluginInstance(std::shared_ptr<Plugin> plugin, void* handle)
      : plugin_(std::move(plugin)), handle_(handle) {}
  std::shared_ptr<Plugin> plugin_;
  void* handle_;
};

// Loads and checks one plugin file.
Result<std::shared_ptr<Plugin>> loadPlugin(const std::string& path);

// The plugins of a gateway, by name.
class PluginRegistry {
 public:
  // Loads `path` and adds it; refuses a second plugin with the same name.
  Status add(const std::string& path);
  std::shared_ptr<Plugin> find(const std::string& name) const;
  std::vector<std::shared_ptr<Plugin>> all() const;

 private:
  std::map<std::string, std::shared_ptr<Plugin>> plugins_;
};

}  // namespace aigate::plugin_host
