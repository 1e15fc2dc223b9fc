// A generic fake HTTP/1.1 server for integration tests: the plumbing every
// fake provider API shares (tests/fakes/<provider>_api.{h,cc} add the wire
// format on top through a Handler).
//
// It listens on 127.0.0.1 (port 0: a free one), serves each connection on its
// own thread with keep-alive, reads Content-Length and chunked request bodies,
// answers "Expect: 100-continue", and has knobs to make it fail, talk
// nonsense, hang or be slow. Every request is recorded once read, whether it
// is answered or not. Every method is thread-safe.
//
// The Handler runs on the connection threads, possibly several at once, and
// without any lock of the server held: it must guard its own state. If it
// throws, the request answers 500 {"error": {"message": "fake handler threw: …"}}.
//
//   FakeRoutes routes;
//   routes.on("POST", "/v1/things", [&](const FakeRequest& r, const FakeRoutes::Params&) {...});
//   routes.on("GET", "/v1/things/{id}", [&](auto& r, auto& params) { ... params.at("id") ... });
//   FakeServer server(routes);  // or any callable FakeResponse(const FakeRequest&)
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace aigate::testing {

using FakeHeaders = std::vector<std::pair<std::string, std::string>>;

struct FakeRequest {
  std::string method;
  std::string path;                            // without the query
  std::string query;                           // after '?', not decoded; "" if none
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  bool keep_alive = true;

  // The value of header `name` (lowercase), or "".
  std::string header(const std::string& name) const;
  // The token of "Authorization: Bearer <token>" (scheme case-insensitive,
  // trimmed), or "" when absent, blank or another scheme.
  std::string bearerToken() const;
  // The value of query parameter `name` (percent-decoded), or "".
  std::string queryParam(const std::string& name) const;
};

struct FakeResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";  // "" = no Content-Type header
  FakeHeaders headers;                            // extra headers (Retry-After…)
  bool drop = false;  // close the connection without answering (a reset upstream)
};

// Response helpers.
FakeResponse jsonResponse(int status, const nlohmann::json& body, FakeHeaders headers = {});
// {"error": {"message": message}}, the shape most providers use.
FakeResponse errorResponse(int status, const std::string& message, FakeHeaders headers = {});

// Routes requests by method ("*": any) and path pattern. A pattern segment "{name}"
// matches one non-empty path segment, captured into Params; a final "*"
// matches the rest of the path (captured as "*"). The first matching route
// wins; no match answers errorResponse(404, "no such route"). Add every route
// before the server starts.
class FakeRoutes {
 public:
  using Params = std::map<std::string, std::string>;
  using Route = std::function<FakeResponse(const FakeRequest&, const Params&)>;

  FakeRoutes& on(std::string method, std::string pattern, Route route);
  FakeResponse operator()(const FakeRequest& request) const;

 private:
  struct Entry {
    std::string method;
    std::string pattern;
    Route route;
  };
  std::vector<Entry> routes_;
};

class FakeServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  // Starts listening on 127.0.0.1:`port` (0: a free one). Throws
  // std::runtime_error if it cannot.
  explicit FakeServer(Handler handler, uint16_t port = 0);
  // Closes the listening socket and every connection (hanging or delayed
  // answers are abandoned) and joins every thread. Returns promptly.
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::string baseUrl() const;  // "http://127.0.0.1:<port>"
  uint16_t port() const { return port_; }

  // Knobs, checked in this order for each request; they may change while
  // requests are in flight.
  void setHang(bool on);            // requests are read, never answered; when the
                                    // hang ends, those connections are closed
  void setResponseDelayMs(int ms);  // every answer waits this long first
  // The next `count` requests answer `status` with `body` and `headers`.
  void failNext(int count, int status, std::string body = R"({"error":{"message":"injected"}})",
                FakeHeaders headers = {});
  // Requests whose path starts with `path_prefix` answer 200 "<html>not json"
  // (text/html); e.g. "/v1/" keeps file downloads working.
  void setGarbage(bool on, std::string path_prefix = "");

  // Observations.
  int requests() const;                       // every request read
  std::vector<std::string> log() const;       // "METHOD /path" of each, in order
  std::vector<FakeRequest> received() const;  // each request in full, in order
  // Requests whose method is `method` and path matches `pattern` (FakeRoutes
  // syntax).
  int count(const std::string& method, const std::string& pattern) const;

  // Re-checks `predicate` until it holds (true) or `timeout_ms` passes (false).
  // `predicate` may call this object's methods.
  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  class RequestReader;  // HTTP/1.1 request parsing, in fake_server.cc
  struct Connection {
    std::thread thread;
    bool finished = false;  // Guarded by mutex_
  };

  void acceptLoop();
  void serve(int fd, Connection* connection);
  // Records `request`, then waits out a hang or delay. Returns false when the
  // connection must be closed instead of answered.
  bool admit(const FakeRequest& request);
  FakeResponse answer(const FakeRequest& request);

  const Handler handler_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // written once at shutdown; read end stays readable
  uint16_t port_ = 0;
  std::thread accept_thread_;
  std::list<Connection> connections_;  // Owned by accept_thread_, then by the destructor

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // hang ended, or stopping
  // Guarded by mutex_
  bool stopping_ = false;
  bool hang_ = false;
  int delay_ms_ = 0;
  int fail_count_ = 0;
  FakeResponse fail_response_;
  bool garbage_ = false;
  std::string garbage_prefix_;
  std::vector<FakeRequest> received_;
};

// True when `path` matches `pattern` (FakeRoutes syntax); fills `params` if given.
bool matchPath(const std::string& pattern, const std::string& path,
               FakeRoutes::Params* params = nullptr);

}  // namespace aigate::testing
