#include "core/cli/commands.h"

#include "core/library/catalog.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace aigate::cli {

config::Config loadConfig(const CommonOptions& common) {
  std::string path = common.config_path;
  if (path.empty()) {
    if (const char* env = std::getenv("AIGATE_CONFIG"); env && *env) path = env;
  }
  config::Config cfg = path.empty() ? config::Config() : config::load(path);
  if (!common.data_dir.empty()) cfg.data_dir = common.data_dir;
  return cfg;
}

std::unique_ptr<store::Store> openStore(const config::Config& cfg) {
  std::filesystem::create_directories(cfg.data_dir);
  store::StoreOptions options;
  options.path = (std::filesystem::path(cfg.data_dir) / "aigate.db").string();
  options.synchronous_full = cfg.store.synchronous == "full";
  options.group_commit_max = cfg.store.group_commit_max;
  options.busy_timeout_ms = cfg.store.busy_timeout_ms;
  options.reader_mmap_bytes = int64_t{cfg.store.reader_mmap_mb} << 20;
  auto store = std::make_unique<store::Store>(options);
  // An import that died while bulk loading left the search index incomplete.
  Status repaired = store->writeSync([](store::Conn& c) {
    if (library::repairIndex(c))
      std::cerr << "aigate: rebuilt the search index after an interrupted bulk import" << std::endl;
    return Status::Ok();
  });
  if (!repaired.ok()) throw std::runtime_error(repaired.error().message());
  return store;
}

std::unique_ptr<storage::AssetStorage> openStorage(const config::Config& cfg) {
  return std::make_unique<storage::LocalStorage>(
      (std::filesystem::path(cfg.data_dir) / "assets").string());
}

void printResult(const CommonOptions& common, const nlohmann::json& result) {
  if (common.json) {
    std::cout << result.dump(2) << std::endl;
    return;
  }
  for (const auto& [key, value] : result.items())
    std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump())
              << '\n';
  std::cout.flush();
}

}  // namespace aigate::cli
