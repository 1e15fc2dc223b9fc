// A real gateway for integration tests: temp data dir, SQLite store, the HTTP
// server on a free loopback port, and helpers to call it.
#pragma once

#include "config/config.h"
#include "core/api/app.h"
#include "core/api/server.h"
#include "core/byok/master_key.h"
#include "core/jobs/executor.h"
#include "core/jobs/routes.h"
#include "core/plugin_host/plugin_host.h"
#include "core/store/store.h"
#include "core/webhooks/dispatcher.h"
#include "tests/support/http_client.h"
#include "tests/support/temp_dir.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace aigate::testing {

inline constexpr const char* kAdminToken = "test-admin-token-0123456789";

class TestGateway {
 public:
  // `tweak` may change the config before the gateway starts.
  explicit TestGateway(const std::function<void(config::Config&)>& tweak = {});
  ~TestGateway();

  std::string url(const std::string& path) const;
  uint16_t port() const { return server_->port(); }
  store::Store& store() { return *store_; }
  storage::AssetStorage& storage() { return *storage_; }
  const std::string& dataDir() const { return dir_.path(); }
  api::App& app() { return *app_; }
  api::Server& server() { return *server_; }
  jobs::Executor& executor() { return *executor_; }
  jobs::Routes& routes() { return *routes_; }
  webhooks::Dispatcher& dispatcher() { return *dispatcher_; }
  const config::Config& config() const { return config_; }
  // A random master key made for this gateway (BYOK).
  const byok::MasterKey& byokKey() const { return byok_key_; }

  // A new user (and its key) made through the store, as the CLI does.
  struct Account {
    std::string user_id;
    std::string api_key;
    std::string key_id;
  };
  Account createUser(const std::string& email, const std::optional<std::string>& pack = {});

  // Requests on one kept-alive connection; `key` adds a Bearer header.
  HttpResponse get(const std::string& path, const std::string& key = "");
  HttpResponse post(const std::string& path, const std::string& body, const std::string& key = "",
                    std::vector<std::string> headers = {});
  HttpResponse del(const std::string& path, const std::string& key = "");
  HttpResponse send(const std::string& method, const std::string& path, const std::string& body,
                    std::vector<std::string> headers);

 private:
  TempDir dir_;
  config::Config config_;
  byok::MasterKey byok_key_ = byok::MasterKey::generate();
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<storage::AssetStorage> storage_;
  std::unique_ptr<plugin_host::PluginRegistry> plugins_;
  std::unique_ptr<jobs::Routes> routes_;
  std::unique_ptr<jobs::Executor> executor_;
  std::unique_ptr<api::App> app_;
  std::unique_ptr<api::Server> server_;
  std::unique_ptr<webhooks::Dispatcher> dispatcher_;
  HttpClient client_;
};

}  // namespace aigate::testing
