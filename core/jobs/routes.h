// The live routing of this gateway: the compiled rules (swapped whole on
// reload, so a request sees either the old table or the new one) and the
// providers' health that the executor reports into.
//
// Threading: every member is thread-safe. choose() takes no lock beyond
// loading the current table.
#pragma once

#include "config/config.h"
#include "core/common/errors.h"
#include "core/metrics/registry.h"
#include "routing/health.h"
#include "routing/router.h"
#include "routing/table.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace aigate::jobs {

// Compiles the rules in `file` ("" = the default rule alone) for `catalog`.
// Throws config::ConfigError listing every problem, each with its file:line.
std::shared_ptr<const routing::Table> compileRoutes(const config::Config& cfg,
                                                    const std::string& file,
                                                    const std::vector<routing::ProviderInfo>& catalog);

class Routes {
 public:
  // Loads cfg.routingFile(). Throws config::ConfigError.
  Routes(const config::Config& cfg, std::vector<routing::ProviderInfo> catalog);

  std::shared_ptr<const routing::Table> table() const { return table_.load(); }
  const std::shared_ptr<routing::Health>& health() const { return health_; }
  const std::string& file() const { return file_; }

  routing::Plan choose(const routing::Request& request) const;

  // Re-reads the rules file. On success the new table replaces the old one
  // for every later request; otherwise the old table stays and the error
  // lists the problems (one per line).
  Status reload();

 private:
  const config::Config cfg_;
  const std::vector<routing::ProviderInfo> catalog_;
  const std::string file_;
  std::atomic<std::shared_ptr<const routing::Table>> table_;
  std::shared_ptr<routing::Health> health_;
  std::mutex reload_mutex_;  // one reload at a time
  metrics::CollectorHandle circuit_metrics_;  // the operator's breakers, at each scrape
};

}  // namespace aigate::jobs
