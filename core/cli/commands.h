// Shared pieces of the subcommands.
#pragma once

#include "config/config.h"
#include "core/plugin_host/plugin_host.h"
#include "core/storage/storage.h"
#include "core/store/store.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace aigate::cli {

struct CommonOptions {
  std::string config_path;  // "" = $AIGATE_CONFIG, else the embedded defaults
  std::string data_dir;     // "" = the config's data_dir
  bool json = false;
};

// The effective config: the file (validated) with command-line overrides.
config::Config loadConfig(const CommonOptions& common);

// Opens the store in the data dir, creating the folder if needed.
std::unique_ptr<store::Store> openStore(const config::Config& cfg);

// The asset files in the data dir ("<data>/assets").
std::unique_ptr<storage::AssetStorage> openStorage(const config::Config& cfg);

// Prints `result` as JSON, or as "key: value" lines for people.
void printResult(const CommonOptions& common, const nlohmann::json& result);

struct ServeOptions {
  std::string listen;  // "" = the config's server.listen
};
int serve(const CommonOptions& common, const ServeOptions& options);

// Loads the config's plugins; throws std::runtime_error naming the first
// plugin that is refused.
std::unique_ptr<plugin_host::PluginRegistry> loadPlugins(const config::Config& cfg);

// `aigate plugins list` and `aigate plugins check FILE`.
int listPlugins(const CommonOptions& common);
int checkPlugin(const CommonOptions& common, const std::string& file);

// `aigate routes check [FILE]`: 0 when valid, 1 with every problem printed.
int checkRoutes(const CommonOptions& common, const std::string& file);

struct ExplainOptions {
  std::string kind, tier, user, email, prompt, topic, aspect_ratio, provider, model;
  std::string file;     // "" = the config's routing file
  std::string gateway;  // ask this running gateway (admin token from the environment)
};
// `aigate routes explain`: 0 with a chain, 3 when no provider could serve.
int explainRoutes(const CommonOptions& common, const ExplainOptions& options);

// `aigate library import PATH`.
int importLibrary(const CommonOptions& common, const std::string& path);

}  // namespace aigate::cli
