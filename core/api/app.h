// The gateway's request handling, independent of the HTTP server: routing,
// authentication, idempotency, and the reply every client sees.
//
// Threading: handle() runs on a server thread; the reply is sent on that
// thread or, for requests that write, on the store's writer thread.
#pragma once

#include "config/config.h"
#include "core/accounts/accounts.h"
#include "core/api/http_types.h"
#include "core/api/router.h"
#include "core/limits/rate_limiter.h"
#include "core/metrics/registry.h"
#include "core/storage/storage.h"
#include "core/store/store.h"

#include <atomic>

namespace aigate::jobs {
class Executor;
class Routes;
}
namespace aigate::byok {
class MasterKey;
}
#include <functional>
#include <string>

namespace aigate::api {

class App;

// What a route handler gets.
struct Context {
  const Request& req;
  App& app;
  const accounts::KeyOwner* caller;  // set on Access::kUser routes

  const std::string& param(size_t i) const { return req.params[i]; }
};

// What the request log and the HTTP metrics say about one exchange.
struct Exchange {
  Method method = Method::kOther;
  std::string_view route = "unmatched";  // the matched route's pattern, never the raw path
  std::string request_id;
  std::string user_id;  // "" before authentication, and on public routes
  std::chrono::steady_clock::time_point received_at;
};

class App {
 public:
  App(config::Config config, store::Store& store, storage::AssetStorage& storage,
      std::string admin_token);

  using Send = std::function<void(Reply)>;
  // Answers `req` by calling `send` exactly once.
  void handle(Request req, Send send);

  // After this, new requests get 503 shutting_down, and requests waiting
  // for a job are answered with its current state.
  void startDraining();
  bool draining() const { return draining_; }

  const config::Config& config() const { return config_; }
  store::Store& store() { return store_; }
  storage::AssetStorage& storage() { return storage_; }
  // The job executor; null when this gateway generates nothing.
  jobs::Executor* executor() { return executor_; }
  void setExecutor(jobs::Executor* executor) { executor_ = executor; }
  // The routing rules and provider health; null when this gateway generates nothing.
  jobs::Routes* routes() { return routes_; }
  void setRoutes(jobs::Routes* routes) { routes_ = routes; }
  // Providers `user_id` has stored an own key for (BYOK).
  std::vector<std::string> byokProviders(const std::string& user_id);
  // The key that encrypts users' provider keys; null until set (BYOK then
  // answers 500). REQUIRES: `key` outlives this App.
  const byok::MasterKey* byokKey() const { return byok_key_; }
  void setByokKey(const byok::MasterKey* key) { byok_key_ = key; }
  // Where clients reach this gateway: server.public_url, else http://<Host>.
  std::string baseUrl(const Request& req) const;

  // Counts `reply` in the HTTP metrics and writes its request log line (when
  // log.requests is on). handle() calls it for every reply it sends; the
  // server calls it for replies it makes itself (413).
  void record(const Exchange& exchange, const Reply& reply) const;

 private:
  void runWrite(std::shared_ptr<Request> req, Access access,
                std::optional<accounts::KeyOwner> caller, TxnHandler txn, Send send);

  const config::Config config_;
  store::Store& store_;
  storage::AssetStorage& storage_;
  const std::string admin_token_;  // empty: the admin API is off
  Router router_;
  jobs::Executor* executor_ = nullptr;
  jobs::Routes* routes_ = nullptr;
  const byok::MasterKey* byok_key_ = nullptr;
  std::atomic<bool> draining_{false};
  limits::RateLimiter limiter_;            // requests per minute, by API key id
  metrics::CollectorHandle store_metrics_;  // jobs by state, credits held
};

// Adds the reply fields every client sees: X-Request-Id always,
// credits_balance on a caller's JSON object replies, and on a 429 the
// Retry-After header from its retry_after field.
void finishReply(Reply& reply, const Request& req, const int64_t* credits_balance);

void addAccountRoutes(Router& router);
void addAdminRoutes(Router& router);
void addHealthRoutes(Router& router);
void addLibraryRoutes(Router& router);
void addGenerateRoutes(Router& router);
void addRoutingRoutes(Router& router);
void addJobRoutes(Router& router);
void addByokRoutes(Router& router);
void addWebhookRoutes(Router& router);
// GET /metrics; behind the operator token when `require_token`.
void addMetricsRoutes(Router& router, bool require_token);
void addOpenAiRoutes(Router& router);  // /v1/images/generations, /v1/models

}  // namespace aigate::api
