// /api/v1/webhooks (Scale): create, list and delete endpoints, their
// deliveries, and the secret that signs deliveries to a generation's own
// webhook_url ("default"). Below the webhooks tier every route is 403
// feature_not_included; another user's endpoint is 404, like a missing one.
// URLs pass the SSRF guard (core/http/ssrf.h) when created, and again at each
// delivery.
#include "core/api/app.h"
#include "core/api/json_body.h"
#include "core/api/query_params.h"
#include "core/api/user_json.h"
#include "core/http/ssrf.h"
#include "core/webhooks/outbox.h"

#include <algorithm>

namespace aigate::api {
namespace {

constexpr size_t kMaxUrlChars = 2048;
// The pseudo endpoint of deliveries to per-request webhook_urls.
constexpr const char* kDefaultEndpoint = "default";

std::optional<Error> requireWebhooks(Context& ctx) {
  const auto& cfg = ctx.app.config();
  const int required = cfg.features.webhooks;
  if (ctx.caller->user.tier_level >= required) return std::nullopt;
  return featureNotIncluded(cfg, "webhooks", required, "Using webhooks");
}

Error noSuchWebhook(const std::string& id) {
  return Error(ErrorCode::kNotFound, "No webhook " + id + ".");
}

Outcome createWebhook(Context& ctx) {
  if (auto refused = requireWebhooks(ctx)) return *refused;
  auto body = parseJsonObject(ctx.req.body);
  if (!body) return body.error();
  Fields f(*body);
  auto url = f.string("url", /*required=*/true, kMaxUrlChars);
  if (!f.ok()) return f.error();
  std::vector<std::string> events = {std::string(webhooks::kSucceeded),
                                     std::string(webhooks::kFailed)};
  if (auto it = body->find("events"); it != body->end() && !it->is_null()) {
    if (!it->is_array() || it->empty())
      return Error::invalidField("events", "events must be a non-empty list of event types.");
    events.clear();
    for (const auto& ev : *it) {
      if (!ev.is_string() || !webhooks::knownEvent(ev.get<std::string>()))
        return Error::invalidField("events", "Unknown event " + ev.dump() +
                                                 "; the events are generation.succeeded and "
                                                 "generation.failed.");
      if (std::find(events.begin(), events.end(), ev.get<std::string>()) == events.end())
        events.push_back(ev.get<std::string>());
    }
  }
  http::SsrfPolicy policy;
  policy.allow_hosts = ctx.app.config().webhooks.allow_hosts;
  auto vetted = http::vetUrl(*url, policy);
  if (!vetted) return Error::invalidField("url", vetted.error().message());
  return TxnHandler([user_id = ctx.caller->user.id, url = vetted->url,
                     events = std::move(events)](store::Conn& c) -> Result<Reply> {
    const auto endpoint = webhooks::createEndpoint(c, user_id, url, events);
    auto body = webhooks::endpointJson(endpoint);
    body["secret"] = endpoint.secret;  // shown this once
    return Reply::json(201, std::move(body));
  });
}

Outcome listWebhooks(Context& ctx) {
  if (auto refused = requireWebhooks(ctx)) return *refused;
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : webhooks::listEndpoints(ctx.app.store().reader(), ctx.caller->user.id))
    items.push_back(webhooks::endpointJson(e));
  return Reply::json(200, {{"items", std::move(items)}});
}

Outcome deleteWebhook(Context& ctx) {
  if (auto refused = requireWebhooks(ctx)) return *refused;
  return TxnHandler(
      [user_id = ctx.caller->user.id, id = ctx.param(0)](store::Conn& c) -> Result<Reply> {
        if (!webhooks::deleteEndpoint(c, user_id, id)) return noSuchWebhook(id);
        return Reply::json(200, {{"id", id}, {"deleted", true}});
      });
}

Outcome listDeliveries(Context& ctx) {
  if (auto refused = requireWebhooks(ctx)) return *refused;
  int64_t limit = 20;
  int64_t offset = 0;
  if (auto s = intParam(ctx.req, "limit", 1, 100, limit); !s) return s.error();
  if (auto s = intParam(ctx.req, "offset", 0, INT32_MAX, offset); !s) return s.error();
  auto& reader = ctx.app.store().reader();
  const std::string& id = ctx.param(0);
  std::optional<std::string> endpoint_id;
  if (id != kDefaultEndpoint) {
    auto endpoint = webhooks::findEndpoint(reader, id);
    if (!endpoint || endpoint->user_id != ctx.caller->user.id) return noSuchWebhook(id);
    endpoint_id = id;
  }
  auto page = webhooks::listDeliveries(reader, ctx.caller->user.id, endpoint_id, limit, offset);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : page.items) items.push_back(webhooks::deliveryJson(d));
  return Reply::json(
      200,
      {{"items", std::move(items)}, {"total", page.total}, {"limit", limit}, {"offset", offset}});
}

// The secret of deliveries to per-request webhook_urls; made on first use.
Outcome requestSecret(Context& ctx) {
  if (auto refused = requireWebhooks(ctx)) return *refused;
  return TxnHandler([user_id = ctx.caller->user.id](store::Conn& c) -> Result<Reply> {
    return Reply::json(200, {{"secret", webhooks::requestSecret(c, user_id)}});
  });
}

}  // namespace

void addWebhookRoutes(Router& router) {
  router.add({Method::kPost, "/api/v1/webhooks", Access::kUser, createWebhook});
  router.add({Method::kGet, "/api/v1/webhooks", Access::kUser, listWebhooks});
  router.add({Method::kGet, "/api/v1/webhooks/default/secret", Access::kUser, requestSecret});
  router.add({Method::kDelete, "/api/v1/webhooks/{id}", Access::kUser, deleteWebhook});
  router.add({Method::kGet, "/api/v1/webhooks/{id}/deliveries", Access::kUser, listDeliveries});
}

}  // namespace aigate::api
