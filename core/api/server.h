// The HTTP server: Pistache, hardened (keep-alive, JSON 413, timeouts,
// graceful drain), handing every request to App.
#pragma once

#include "core/api/app.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace Pistache::Http {
class Endpoint;
}

namespace aigate::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port, see Server::port()
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::seconds keepalive_timeout{75};
};

ServerOptions serverOptions(const config::Config& cfg, const std::string& host, uint16_t port);

class Server {
 public:
  Server(App& app, ServerOptions options);
  ~Server();  // shuts down if still running

  // Binds and serves on background threads. Throws when it cannot bind.
  void start();
  uint16_t port() const { return port_; }  // valid after start()

  // Refuses new requests, lets in-flight ones finish (at most `grace`), then
  // closes every connection.
  void shutdown(std::chrono::milliseconds grace);

 private:
  App& app_;
  const ServerOptions options_;
  std::shared_ptr<std::atomic<int>> in_flight_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
  uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace aigate::api
