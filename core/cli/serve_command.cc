// `aigate serve`: runs the gateway until SIGTERM or SIGINT, then drains;
// SIGHUP reloads the routing rules.
#include "core/api/app.h"
#include "core/api/server.h"
#include "core/byok/keystore.h"
#include "core/byok/master_key.h"
#include "core/cli/commands.h"
#include "core/jobs/executor.h"
#include "core/jobs/routes.h"
#include "core/webhooks/dispatcher.h"

#include <csignal>
#include <iostream>

namespace aigate::cli {

int serve(const CommonOptions& common, const ServeOptions& options) {
  const config::Config cfg = loadConfig(common);
  const std::string listen = options.listen.empty() ? cfg.server.listen : options.listen;
  const auto host_port = config::parseHostPort(listen);
  if (!host_port) {
    std::cerr << "aigate: --listen must be HOST:PORT, got \"" << listen << "\"" << std::endl;
    return 2;
  }
  const std::string admin_token = config::resolveAdminToken(cfg.admin);
  auto byok_key = byok::MasterKey::resolve(cfg);
  if (!byok_key) {
    std::cerr << "aigate: " << byok_key.error().message() << std::endl;
    return 1;
  }

  // Signals are taken by sigwait() below, so block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto plugins = loadPlugins(cfg);
  std::vector<std::string> problems;
  auto providers = jobs::Providers::build(cfg, *plugins, &problems);
  if (!problems.empty()) {
    for (const auto& problem : problems) std::cerr << "aigate: " << cfg.source << ": " << problem << std::endl;
    return 1;
  }
  std::unique_ptr<jobs::Routes> routes;
  try {
    routes = std::make_unique<jobs::Routes>(cfg, providers->catalog());
  } catch (const config::ConfigError& e) {
    std::cerr << "aigate: the routing rules are invalid:\n" << e.what() << std::endl;
    return 1;
  }
  auto store = openStore(cfg);
  auto storage = openStorage(cfg);
  jobs::Executor executor(jobs::executorOptions(cfg), *store, *storage, providers);
  executor.setHealth(routes->health());
  executor.setCredentialSource([&store, &byok_key](const std::string& user, const std::string& provider) {
    return byok::decryptKey(store->reader(), *byok_key, user, provider);
  });
  executor.start();
  api::App app(cfg, *store, *storage, admin_token);
  app.setExecutor(&executor);
  app.setRoutes(routes.get());
  app.setByokKey(&*byok_key);
  api::Server server(app, api::serverOptions(cfg, host_port->host, host_port->port));
  server.start();
  const std::string base_url = cfg.server.public_url.empty()
                                   ? "http://" + host_port->host + ':' + std::to_string(server.port())
                                   : cfg.server.public_url;
  webhooks::Dispatcher dispatcher(webhooks::dispatcherOptions(cfg, base_url), *store);
  dispatcher.start();
  std::cout << "aigate listening on http://" << host_port->host << ':' << server.port()
            << " (data: " << cfg.data_dir << ", config: " << cfg.source
            << ", plugins: " << plugins->all().size() << ", providers: " << providers->size()
            << ", admin API: " << (admin_token.empty() ? "off" : "on") << ")" << std::endl;

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    const Status reloaded = routes->reload();
    if (reloaded)
      std::cout << "aigate: SIGHUP: routing rules reloaded from "
                << (routes->file().empty() ? std::string("the main config") : routes->file()) << std::endl;
    else
      std::cerr << "aigate: SIGHUP: the routing rules were NOT reloaded (the old ones stay):\n"
                << reloaded.error().message() << std::endl;
  }
  std::cout << "aigate: " << (signal_number == SIGTERM ? "SIGTERM" : "SIGINT")
            << ", finishing in-flight requests" << std::endl;
  server.shutdown(std::chrono::milliseconds(cfg.server.shutdown_grace_ms));
  executor.stop();  // unfinished jobs resume at the next start
  dispatcher.stop();  // pending deliveries are sent after the next start
  std::cout << "aigate: stopped" << std::endl;
  return 0;
}

}  // namespace aigate::cli
