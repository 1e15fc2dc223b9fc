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
#include "core/storage/storage.h"
#include "core/store/store.h"

#include <atomic>

namespace aigate::jobs {
class Executor;
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
  // Where clients reach this gateway: server.public_url, else http://<Host>.
  std::string baseUrl(const Request& req) const;

 private:
  void runWrite(std::shared_ptr<Request> req, Access access,
                std::optional<accounts::KeyOwner> caller, TxnHandler txn, Send send);

  const config::Config config_;
  store::Store& store_;
  storage::AssetStorage& storage_;
  const std::string admin_token_;  // empty: the admin API is off
  Router router_;
  jobs::Executor* executor_ = nullptr;
  std::atomic<bool> draining_{false};
};

// Adds the reply fields every client sees: X-Request-Id always, and
// credits_balance on a caller's JSON object replies.
void finishReply(Reply& reply, const Request& req, const int64_t* credits_balance);

void addAccountRoutes(Router& router);
void addAdminRoutes(Router& router);
void addHealthRoutes(Router& router);
void addLibraryRoutes(Router& router);
void addGenerateRoutes(Router& router);
void addJobRoutes(Router& router);
void addOpenAiRoutes(Router& router);  // /v1/images/generations, /v1/models

}  // namespace aigate::api
