#include "core/webhooks/outbox.h"

#include "core/common/clock.h"
#include "core/common/crypto.h"
#include "core/jobs/job.h"
#include "core/webhooks/signature.h"

namespace aigate::webhooks {
namespace {

#define AIGATE_SELECT_ENDPOINT                                                          \
  "SELECT id, user_id, url, events, secret, enabled, disabled_reason, created_at FROM " \
  "webhook_endpoints"

Endpoint readEndpoint(SQLite::Statement& q) {
  Endpoint e;
  e.id = q.getColumn(0).getString();
  e.user_id = q.getColumn(1).getString();
  e.url = q.getColumn(2).getString();
  const auto events = nlohmann::json::parse(q.getColumn(3).getString(), nullptr, false);
  if (events.is_array())
    for (const auto& ev : events)
      if (ev.is_string()) e.events.push_back(ev.get<std::string>());
  e.secret = q.getColumn(4).getString();
  e.enabled = q.getColumn(5).getInt() != 0;
  e.disabled_reason = q.getColumn(6).isNull() ? "" : q.getColumn(6).getString();
  e.created_at = q.getColumn(7).getInt64();
  return e;
}

#define AIGATE_SELECT_DELIVERY                                                            \
  "SELECT id, event_id, event_type, user_id, endpoint_id, url, job_id, status, attempts," \
  " last_status, last_error, last_duration_ms, last_attempt_at, next_at, created_at"      \
  " FROM webhook_deliveries"

Delivery readDelivery(SQLite::Statement& q) {
  auto optInt = [&](int col) -> std::optional<int64_t> {
    if (q.getColumn(col).isNull()) return std::nullopt;
    return q.getColumn(col).getInt64();
  };
  Delivery d;
  d.id = q.getColumn(0).getString();
  d.event_id = q.getColumn(1).getString();
  d.event_type = q.getColumn(2).getString();
  d.user_id = q.getColumn(3).getString();
  if (!q.getColumn(4).isNull()) d.endpoint_id = q.getColumn(4).getString();
  d.url = q.getColumn(5).getString();
  d.job_id = q.getColumn(6).getString();
  d.status = q.getColumn(7).getString();
  d.attempts = q.getColumn(8).getInt();
  if (auto s = optInt(9)) d.last_status = static_cast<int>(*s);
  d.last_error = q.getColumn(10).isNull() ? "" : q.getColumn(10).getString();
  d.last_duration_ms = optInt(11);
  d.last_attempt_at = optInt(12);
  d.next_at_ms = optInt(13);
  d.created_at = q.getColumn(14).getInt64();
  return d;
}

void insertDelivery(store::Conn& c, const std::string& event_id, std::string_view type,
                    const jobs::Job& job, const std::optional<std::string>& endpoint_id,
                    const std::string& url, int64_t now_ms) {
  auto& q = c.statement(
      "INSERT INTO webhook_deliveries (id, event_id, event_type, user_id, endpoint_id, url,"
      " job_id, status, next_at, created_at, updated_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9, ?9)");
  q.bind(1, newId("whd"));
  q.bind(2, event_id);
  q.bind(3, std::string(type));
  q.bind(4, job.user_id);
  if (endpoint_id) q.bind(5, *endpoint_id);
  q.bind(6, url);
  q.bind(7, job.id);
  q.bind(8, now_ms);
  q.bind(9, now_ms / 1000);
  q.exec();
}

}  // namespace

bool knownEvent(std::string_view type) { return type == kSucceeded || type == kFailed; }

Endpoint createEndpoint(store::Conn& c, const std::string& user_id, const std::string& url,
                        const std::vector<std::string>& events) {
  Endpoint e;
  e.id = newId("wh");
  e.user_id = user_id;
  e.url = url;
  e.events = events;
  e.secret = newSecret();
  e.created_at = unixSeconds();
  auto& q = c.statement(
      "INSERT INTO webhook_endpoints (id, user_id, url, events, secret, enabled, created_at)"
      " VALUES (?, ?, ?, ?, ?, 1, ?)");
  q.bind(1, e.id);
  q.bind(2, e.user_id);
  q.bind(3, e.url);
  q.bind(4, nlohmann::json(e.events).dump());
  q.bind(5, e.secret);
  q.bind(6, e.created_at);
  q.exec();
  return e;
}

std::vector<Endpoint> listEndpoints(store::Conn& c, const std::string& user_id) {
  auto& q = c.statement(AIGATE_SELECT_ENDPOINT " WHERE user_id = ? ORDER BY created_at, id");
  q.bind(1, user_id);
  std::vector<Endpoint> out;
  while (q.executeStep()) out.push_back(readEndpoint(q));
  return out;
}

std::optional<Endpoint> findEndpoint(store::Conn& c, const std::string& id) {
  auto& q = c.statement(AIGATE_SELECT_ENDPOINT " WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  Endpoint e = readEndpoint(q);
  q.reset();
  return e;
}

bool deleteEndpoint(store::Conn& c, const std::string& user_id, const std::string& id) {
  auto& q = c.statement("DELETE FROM webhook_endpoints WHERE id = ? AND user_id = ?");
  q.bind(1, id);
  q.bind(2, user_id);
  return q.exec() > 0;
}

std::string requestSecret(store::Conn& c, const std::string& user_id) {
  auto& insert = c.statement(
      "INSERT OR IGNORE INTO webhook_secrets (user_id, secret, created_at) VALUES (?, ?, ?)");
  insert.bind(1, user_id);
  insert.bind(2, newSecret());
  insert.bind(3, unixSeconds());
  insert.exec();
  auto& q = c.statement("SELECT secret FROM webhook_secrets WHERE user_id = ?");
  q.bind(1, user_id);
  q.executeStep();
  std::string secret = q.getColumn(0).getString();
  q.reset();
  return secret;
}

void enqueueForJob(store::Conn& c, const jobs::Job& job) {
  const std::string_view type = job.status == "succeeded" ? kSucceeded
                                : job.status == "failed"  ? kFailed
                                                          : std::string_view();
  if (type.empty()) return;
  const auto url = job.request.find("webhook_url");
  const bool to_url = url != job.request.end() && url->is_string();
  auto endpoints = listEndpoints(c, job.user_id);
  if (endpoints.empty() && !to_url) return;
  const std::string event_id = newId("msg");
  const int64_t now_ms = jobs::unixMillis();
  for (const auto& e : endpoints) {
    if (!e.enabled) continue;
    for (const auto& wanted : e.events) {
      if (wanted != type) continue;
      insertDelivery(c, event_id, type, job, e.id, e.url, now_ms);
      break;
    }
  }
  if (to_url) {
    requestSecret(c, job.user_id);  // exists before the first attempt signs with it
    insertDelivery(c, event_id, type, job, std::nullopt, url->get<std::string>(), now_ms);
  }
}

DeliveryPage listDeliveries(store::Conn& c, const std::string& user_id,
                            const std::optional<std::string>& endpoint_id, int64_t limit,
                            int64_t offset) {
  DeliveryPage page;
  auto& q = endpoint_id ? c.statement(AIGATE_SELECT_DELIVERY
                                      " WHERE user_id = ?1 AND endpoint_id = ?2"
                                      " ORDER BY seq DESC LIMIT ?3 OFFSET ?4")
                        : c.statement(AIGATE_SELECT_DELIVERY
                                      " WHERE user_id = ?1 AND endpoint_id IS NULL"
                                      " ORDER BY seq DESC LIMIT ?3 OFFSET ?4");
  q.bind(1, user_id);
  if (endpoint_id) q.bind(2, *endpoint_id);
  q.bind(3, limit);
  q.bind(4, offset);
  while (q.executeStep()) page.items.push_back(readDelivery(q));
  auto& count = endpoint_id ? c.statement(
                                  "SELECT COUNT(*) FROM webhook_deliveries"
                                  " WHERE user_id = ?1 AND endpoint_id = ?2")
                            : c.statement(
                                  "SELECT COUNT(*) FROM webhook_deliveries"
                                  " WHERE user_id = ?1 AND endpoint_id IS NULL");
  count.bind(1, user_id);
  if (endpoint_id) count.bind(2, *endpoint_id);
  count.executeStep();
  page.total = count.getColumn(0).getInt64();
  count.reset();
  return page;
}

nlohmann::json endpointJson(const Endpoint& e) {
  return {{"id", e.id},
          {"url", e.url},
          {"events", e.events},
          {"enabled", e.enabled},
          {"disabled_reason",
           e.disabled_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.disabled_reason)},
          {"created_at", isoTime(e.created_at)}};
}

nlohmann::json deliveryJson(const Delivery& d) {
  auto orNull = [](const auto& opt) {
    return opt ? nlohmann::json(*opt) : nlohmann::json(nullptr);
  };
  return {
      {"id", d.id},
      {"event_type", d.event_type},
      {"webhook_id", d.event_id},
      {"job_id", d.job_id},
      {"url", d.url},
      {"status", d.status},
      {"attempts", d.attempts},
      {"last_status", orNull(d.last_status)},
      {"last_error", d.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.last_error)},
      {"last_duration_ms", orNull(d.last_duration_ms)},
      {"last_attempt_at",
       d.last_attempt_at ? nlohmann::json(isoTime(*d.last_attempt_at)) : nlohmann::json(nullptr)},
      {"next_at", d.next_at_ms && d.status == "pending"
                      ? nlohmann::json(isoTime(*d.next_at_ms / 1000))
                      : nlohmann::json(nullptr)},
      {"created_at", isoTime(d.created_at)}};
}

}  // namespace aigate::webhooks
