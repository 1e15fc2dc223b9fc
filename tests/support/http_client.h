// A blocking HTTP client for tests (libcurl), one connection per client.
// It uses no Catch2 macros, so threads may use their own clients.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

typedef void CURL;

namespace aigate::testing {

struct HttpResponse {
  long status = 0;  // 0: no response; `body` then says why
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased

  nlohmann::json json() const;  // the body as JSON (a discarded value if it is not)
  std::string header(const std::string& lowercase_name) const;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request on this client's (kept-alive) connection.
  HttpResponse request(const std::string& method, const std::string& url,
                       const std::string& body = "",
                       const std::vector<std::string>& headers = {});

 private:
  CURL* curl_;
};

}  // namespace aigate::testing
