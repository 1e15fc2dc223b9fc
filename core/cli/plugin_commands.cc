// `aigate plugins list|check`, and loading the configured plugins.
#include "core/cli/commands.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

namespace aigate::cli {
namespace {

namespace fs = std::filesystem;

// The folder of the running aigate binary.
fs::path binaryDir() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : self.parent_path();
}

nlohmann::json pluginJson(const plugin_host::Plugin& p) {
  return {{"name", p.name()},
          {"path", p.path()},
          {"abi", p.abiVersion()},
          {"description", p.description()}};
}

}  // namespace

std::unique_ptr<plugin_host::PluginRegistry> loadPlugins(const config::Config& cfg) {
  auto registry = std::make_unique<plugin_host::PluginRegistry>();
  for (const auto& configured : cfg.plugins.paths) {
    const fs::path path = fs::path(configured).is_absolute() ? fs::path(configured)
                                                              : binaryDir() / configured;
    if (Status s = registry->add(path.string()); !s.ok())
      throw std::runtime_error(cfg.source + ": plugins.paths: " + s.error().message());
  }
  return registry;
}

int listPlugins(const CommonOptions& common) {
  const config::Config cfg = loadConfig(common);
  auto registry = loadPlugins(cfg);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : registry->all()) list.push_back(pluginJson(*p));
  if (common.json) {
    std::cout << nlohmann::json{{"plugins", list}}.dump(2) << std::endl;
  } else if (list.empty()) {
    std::cout << "no plugins configured (plugins.paths in " << cfg.source << ")" << std::endl;
  } else {
    for (const auto& p : registry->all())
      std::cout << p->name() << "  " << p->description().value("version", "?") << "  ABI "
                << p->abiVersion() << "  " << p->path() << std::endl;
  }
  return 0;
}

int checkPlugin(const CommonOptions& common, const std::string& file) {
  auto plugin = plugin_host::loadPlugin(file);
  if (!plugin) {
    if (common.json)
      std::cout << nlohmann::json{{"ok", false}, {"path", file}, {"problem", plugin.error().message()}}
                       .dump(2)
                << std::endl;
    else
      std::cerr << "aigate: " << plugin.error().message() << std::endl;
    return 1;
  }
  nlohmann::json out = pluginJson(**plugin);
  out["ok"] = true;
  if (common.json)
    std::cout << out.dump(2) << std::endl;
  else
    std::cout << file << ": ok: plugin " << (*plugin)->name() << " "
              << (*plugin)->description().value("version", "?") << ", ABI " << (*plugin)->abiVersion()
              << std::endl;
  return 0;
}

}  // namespace aigate::cli
