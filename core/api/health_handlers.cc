// Liveness and readiness probes.
#include "core/api/app.h"

namespace aigate::api {
namespace {

Outcome healthz(Context&) { return Reply::json(200, {{"status", "ok"}}); }

Outcome readyz(Context& ctx) {
  try {
    ctx.app.store().reader().db().execAndGet("SELECT 1");
  } catch (const std::exception& e) {
    return Reply::json(503, {{"status", "unavailable"}, {"reason", "store: " + std::string(e.what())}});
  }
  return Reply::json(200, {{"status", "ready"}});
}

}  // namespace

void addHealthRoutes(Router& router) {
  router.add({Method::kGet, "/healthz", Access::kPublic, healthz});
  router.add({Method::kGet, "/readyz", Access::kPublic, readyz});
}

}  // namespace aigate::api
