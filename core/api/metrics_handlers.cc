// GET /metrics: the gateway's metrics in the Prometheus text format 0.0.4
// (core/metrics/gateway_metrics.h lists them), for the operator's scraper.
#include "core/api/app.h"
#include "core/metrics/registry.h"

namespace aigate::api {
namespace {

Outcome metricsText(Context&) {
  Reply reply;
  reply.raw_body = metrics::registry().expose();
  reply.content_type = "text/plain; version=0.0.4";
  return reply;
}

}  // namespace

void addMetricsRoutes(Router& router, bool require_token) {
  router.add({Method::kGet, "/metrics", require_token ? Access::kAdmin : Access::kPublic,
              metricsText});
}

}  // namespace aigate::api
