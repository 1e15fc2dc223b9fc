#include "core/jobs/routes.h"

#include "core/jobs/job.h"

#include <random>

namespace aigate::jobs {
namespace {

routing::BreakerOptions breakerOptions(const routing::Table& t) {
  return {t.breakerFailures(), int64_t{t.breakerCooldownS()} * 1000};
}

}  // namespace

std::shared_ptr<const routing::Table> compileRoutes(const config::Config& cfg,
                                                    const std::string& file,
                                                    const std::vector<routing::ProviderInfo>& catalog) {
  config::RoutingConfig rules;
  if (!file.empty()) rules = config::loadRouting(file);
  return routing::Table::compile(cfg, rules, catalog);
}

Routes::Routes(const config::Config& cfg, std::vector<routing::ProviderInfo> catalog)
    : cfg_(cfg), catalog_(std::move(catalog)), file_(cfg.routingFile()) {
  auto table = compileRoutes(cfg_, file_, catalog_);
  health_ = std::make_shared<routing::Health>(breakerOptions(*table));
  table_.store(std::move(table));
  // Per provider, the operator's circuit (users' own keys have theirs, not
  // exported: one series per user would not scale).
  circuit_metrics_ = metrics::registry().addCollector([this](metrics::Collection& out) {
    const int64_t now = unixMillis();
    for (const auto& p : table_.load()->providers()) {
      const auto circuit = health_->circuit(routing::breakerKey(p.name, "operator"), now);
      const double value = circuit == routing::Circuit::kOpen       ? 2
                           : circuit == routing::Circuit::kHalfOpen ? 1
                                                                    : 0;
      out.gauge("aigate_routing_circuit_state",
                "The operator's circuit breaker per provider: 0 closed, 1 half-open, 2 open.",
                {{"provider", p.name}}, value);
    }
  });
}

routing::Plan Routes::choose(const routing::Request& request) const {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return routing::choose(*table_.load(), request, *health_, unixMillis(), rng());
}

Status Routes::reload() {
  std::lock_guard lock(reload_mutex_);
  try {
    auto table = compileRoutes(cfg_, file_, catalog_);
    health_->setOptions(breakerOptions(*table));
    table_.store(std::move(table));
    return Status::Ok();
  } catch (const config::ConfigError& e) {
    return Error(ErrorCode::kInvalidRequest, e.what());
  }
}

}  // namespace aigate::jobs
