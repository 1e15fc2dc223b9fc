#include "core/metrics/gateway_metrics.h"

#include "core/metrics/registry.h"

#include <charconv>
#include <map>
#include <mutex>

namespace aigate::metrics {
namespace {

Family<Counter>& httpRequests() {
  static auto& f = registry().counter("aigate_http_requests_total",
                                      "HTTP requests answered, by route pattern and status.",
                                      {"method", "route", "status"});
  return f;
}

Family<Histogram>& httpDuration() {
  static auto& f = registry().histogram(
      "aigate_http_request_duration_seconds",
      "Time from reading a request to handing its reply to the server, in seconds.",
      {"method", "route"});
  return f;
}

Family<Counter>& generations() {
  static auto& f = registry().counter(
      "aigate_generations_total",
      "Generate requests served from the library and generation jobs ended, by outcome.",
      {"kind", "source", "provider", "outcome"});
  return f;
}

Family<Counter>& generationRequests() {
  static auto& f = registry().counter(
      "aigate_generation_requests_total",
      "Generate requests answered from the library (source=library) or given a job "
      "(source=generated).",
      {"kind", "source"});
  return f;
}

Family<Counter>& creditsCharged() {
  static auto& f = registry().counter(
      "aigate_credits_charged_total",
      "Credits taken from users: library charges and captured generation holds.", {"entry"});
  return f;
}

Family<Counter>& rateLimited() {
  static auto& f = registry().counter("aigate_rate_limited_total",
                                      "Requests refused with 429 rate_limit, by limit.", {"limit"});
  return f;
}

Family<Counter>& webhookDeliveries() {
  static auto& f = registry().counter("aigate_webhook_deliveries_total",
                                      "Webhook delivery attempts, by outcome.", {"outcome"});
  return f;
}

// aigate_library_hit_ratio{kind} from aigate_generation_requests_total.
void collectHitRatio(Collection& out) {
  std::map<std::string, std::pair<double, double>> by_kind;  // kind -> (library, all)
  generationRequests().forEach([&](const std::vector<std::string>& labels, const Counter& c) {
    auto& [library, all] = by_kind[labels[0]];
    if (labels[1] == "library") library += c.value();
    all += c.value();
  });
  for (const auto& [kind, counts] : by_kind) {
    if (counts.second <= 0) continue;
    out.gauge("aigate_library_hit_ratio",
              "Share of generate requests answered from the library since the gateway started.",
              {{"kind", kind}}, counts.first / counts.second);
  }
}

}  // namespace

void registerGatewayMetrics() {
  static std::once_flag once;
  std::call_once(once, [] {
    httpRequests();
    httpDuration();
    generations();
    generationRequests();
    creditsCharged();
    rateLimited();
    webhookDeliveries();
    static CollectorHandle ratio = registry().addCollector(collectHitRatio);
  });
}

void countRequest(std::string_view method, std::string_view route, int status, double seconds) {
  char buf[12];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, status);
  const std::string_view code(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
  httpRequests().with({method, route, code}).inc();
  httpDuration().with({method, route}).observe(seconds);
}

void countLibraryHit(std::string_view kind) {
  generations().with({kind, "library", "none", "succeeded"}).inc();
  generationRequests().with({kind, "library"}).inc();
}

void countJobCreated(std::string_view kind) { generationRequests().with({kind, "generated"}).inc(); }

void countJobEnded(std::string_view kind, std::string_view provider, std::string_view outcome) {
  generations().with({kind, "generated", provider, outcome}).inc();
}

void countCreditsCharged(std::string_view entry, int64_t credits) {
  creditsCharged().with({entry}).inc(static_cast<double>(credits));
}

void countRateLimited(std::string_view limit) { rateLimited().with({limit}).inc(); }

void countWebhookDelivery(std::string_view outcome) { webhookDeliveries().with({outcome}).inc(); }

}  // namespace aigate::metrics
