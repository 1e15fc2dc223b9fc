#include "tests/support/test_gateway.h"

#include "core/accounts/accounts.h"
#include "core/byok/keystore.h"
#include "core/cli/commands.h"

#include <catch2/catch.hpp>

namespace aigate::testing {

TestGateway::TestGateway(const std::function<void(config::Config&)>& tweak) {
  config_.data_dir = dir_.path();
  config_.store.synchronous = "normal";  // tests need crash safety, not power-loss safety
  if (tweak) tweak(config_);
  store_ = cli::openStore(config_);
  storage_ = cli::openStorage(config_);
  plugins_ = cli::loadPlugins(config_);
  std::vector<std::string> problems;
  auto providers = jobs::Providers::build(config_, *plugins_, &problems);
  for (const auto& problem : problems) FAIL_CHECK(problem);
  REQUIRE(problems.empty());
  routes_ = std::make_unique<jobs::Routes>(config_, providers->catalog());
  executor_ = std::make_unique<jobs::Executor>(jobs::executorOptions(config_), *store_, *storage_,
                                               providers);
  executor_->setHealth(routes_->health());
  executor_->setCredentialSource([this](const std::string& user, const std::string& provider) {
    return byok::decryptKey(store_->reader(), byok_key_, user, provider);
  });
  executor_->start();
  app_ = std::make_unique<api::App>(config_, *store_, *storage_, kAdminToken);
  app_->setExecutor(executor_.get());
  app_->setRoutes(routes_.get());
  app_->setByokKey(&byok_key_);
  server_ = std::make_unique<api::Server>(*app_, api::serverOptions(config_, "127.0.0.1", 0));
  server_->start();
  dispatcher_ = std::make_unique<webhooks::Dispatcher>(
      webhooks::dispatcherOptions(config_, url("")), *store_);
  dispatcher_->start();
}

TestGateway::~TestGateway() {
  server_->shutdown(std::chrono::milliseconds(2000));
  server_.reset();
  executor_->stop();
  dispatcher_->stop();
  app_.reset();
  dispatcher_.reset();
  executor_.reset();
  store_.reset();
}

std::string TestGateway::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
}

TestGateway::Account TestGateway::createUser(const std::string& email,
                                             const std::optional<std::string>& pack) {
  Account account;
  Status status = store_->writeSync([&](store::Conn& c) -> Status {
    auto created = accounts::createUser(c, config_, email, pack);
    if (!created) return created.error();
    account = {created->user.id, created->key.secret, created->key.key_id};
    return Status::Ok();
  });
  INFO((status.ok() ? std::string() : status.error().message()));
  REQUIRE(status.ok());
  return account;
}

HttpResponse TestGateway::send(const std::string& method, const std::string& path,
                               const std::string& body, std::vector<std::string> headers) {
  auto response = client_.request(method, url(path), body, headers);
  INFO(response.body);
  REQUIRE(response.status != 0);
  return response;
}

HttpResponse TestGateway::get(const std::string& path, const std::string& key) {
  std::vector<std::string> headers;
  if (!key.empty()) headers.push_back("Authorization: Bearer " + key);
  return send("GET", path, "", headers);
}

HttpResponse TestGateway::post(const std::string& path, const std::string& body,
                               const std::string& key, std::vector<std::string> headers) {
  if (!key.empty()) headers.push_back("Authorization: Bearer " + key);
  headers.push_back("Content-Type: application/json");
  return send("POST", path, body, headers);
}

HttpResponse TestGateway::del(const std::string& path, const std::string& key) {
  std::vector<std::string> headers;
  if (!key.empty()) headers.push_back("Authorization: Bearer " + key);
  return send("DELETE", path, "", headers);
}

}  // namespace aigate::testing
