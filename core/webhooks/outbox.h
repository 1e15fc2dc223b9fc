// Webhook endpoints and the delivery outbox as stored (migration 6).
//
// A finished job gets one outbox row per destination (each enabled endpoint of
// its owner subscribed to the event, and the job's own webhook_url) in the
// transaction that finishes it, so an event is never lost: the Dispatcher
// (dispatcher.h) sends the rows at least once.
//
// Writes REQUIRE a Store write (the writer's connection); reads take any
// connection.
#pragma once

#include "core/store/store.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigate::jobs {
struct Job;
}

namespace aigate::webhooks {

inline constexpr std::string_view kSucceeded = "generation.succeeded";
inline constexpr std::string_view kFailed = "generation.failed";
bool knownEvent(std::string_view type);

struct Endpoint {
  std::string id;  // "wh_…"
  std::string user_id;
  std::string url;
  std::vector<std::string> events;
  std::string secret;  // "whsec_…"
  bool enabled = true;
  std::string disabled_reason;
  int64_t created_at = 0;
};

// Inserts an endpoint with a new secret. `url` was vetted, `events` checked.
Endpoint createEndpoint(store::Conn& c, const std::string& user_id, const std::string& url,
                        const std::vector<std::string>& events);
// The user's endpoints, oldest first.
std::vector<Endpoint> listEndpoints(store::Conn& c, const std::string& user_id);
std::optional<Endpoint> findEndpoint(store::Conn& c, const std::string& id);
// Deletes the endpoint and its deliveries; false when the user has no such one.
bool deleteEndpoint(store::Conn& c, const std::string& user_id, const std::string& id);

// The secret that signs deliveries to the user's per-request webhook_urls,
// made on first use.
std::string requestSecret(store::Conn& c, const std::string& user_id);

// Writes the outbox rows of the job's final status (succeeded or failed; a
// canceled job has no event), from the job as it is being written. Called
// once, when the job becomes final.
void enqueueForJob(store::Conn& c, const jobs::Job& job);

struct Delivery {
  std::string id;  // "whd_…"
  std::string event_id;
  std::string event_type;
  std::string user_id;
  std::optional<std::string> endpoint_id;
  std::string url;
  std::string job_id;
  std::string status;  // pending | delivered | failed
  int attempts = 0;
  std::optional<int> last_status;
  std::string last_error;
  std::optional<int64_t> last_duration_ms;
  std::optional<int64_t> last_attempt_at;
  std::optional<int64_t> next_at_ms;
  int64_t created_at = 0;
};

// A page of deliveries, newest first: an endpoint's (`endpoint_id`), or the
// user's per-request ones (nullopt).
struct DeliveryPage {
  std::vector<Delivery> items;
  int64_t total = 0;
};
DeliveryPage listDeliveries(store::Conn& c, const std::string& user_id,
                            const std::optional<std::string>& endpoint_id, int64_t limit,
                            int64_t offset);

// The API's views. endpointJson never includes the secret.
nlohmann::json endpointJson(const Endpoint& endpoint);
nlohmann::json deliveryJson(const Delivery& delivery);

}  // namespace aigate::webhooks
