// The gateway's own metrics, by name, and the one-line calls that update them
// from the code paths they describe. Every name starts with "aigate_".
//
//   aigate_http_requests_total{method,route,status}          counter
//   aigate_http_request_duration_seconds{method,route}       histogram
//   aigate_generations_total{kind,source,provider,outcome}   counter
//       source library|generated; outcome succeeded|failed|canceled;
//       provider "none" for library hits
//   aigate_generation_requests_total{kind,source}            counter
//       generate requests answered from the library (source="library") or
//       turned into a job (source="generated")
//   aigate_library_hit_ratio{kind}                           gauge (at scrape)
//       library / (library + generated) of the counter above since start;
//       over a window: rate() of both sources of that counter
//   aigate_credits_charged_total{entry}                      counter
//       entry charge (library) | capture (a generation's hold taken)
//   aigate_rate_limited_total{limit}                         counter
//       limit requests_per_minute | concurrent_generations
//   aigate_circuit_breaker_state{provider}                   gauge
//   aigate_webhook_deliveries_total{outcome}                 counter
// Scrape-time gauges from the store (api/app.cc registers them):
//   aigate_jobs{state} (queued, running), aigate_credits_held.
//
// Threading: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace aigate::metrics {

// Registers every family above (so that a scrape lists them from the start,
// with their help) and the library hit ratio collector. Idempotent.
void registerGatewayMetrics();

// One answered HTTP request; `route` is the route's pattern, never the raw
// path ("unmatched" when no route matched).
void countRequest(std::string_view method, std::string_view route, int status, double seconds);

void countLibraryHit(std::string_view kind);
void countJobCreated(std::string_view kind);
// A generation job reached its final status `outcome` at `provider`.
void countJobEnded(std::string_view kind, std::string_view provider, std::string_view outcome);

void countCreditsCharged(std::string_view entry, int64_t credits);
void countRateLimited(std::string_view limit);

// (Circuit breakers: aigate_routing_circuit_state, collected at each scrape
// by jobs::Routes.)

// For the webhook sender: one delivery attempt ended with `outcome`
// ("delivered", "retry", "failed", "disabled").
void countWebhookDelivery(std::string_view outcome);

}  // namespace aigate::metrics
