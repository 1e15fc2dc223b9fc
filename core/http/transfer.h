// One HTTP exchange with libcurl, as the job executor needs it: built from a
// plugin's "http" action, driven by a curl multi handle (or performed at once,
// for the command line), with the response kept in memory up to a
// size limit.
//
// Threading: a Transfer is used by one thread at a time.
#pragma once

#include "core/common/errors.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>

typedef void CURL;
struct curl_slist;

namespace aigate::http {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::map<std::string, std::string> headers;
  std::string body;
  int timeout_ms = 60'000;
};

// A plugin's request object ({"method","url","headers","body","body_base64",
// "timeout_ms"}) checked and decoded; invalid_request naming the problem.
Result<HttpRequest> requestFromJson(const nlohmann::json& request);

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

class Transfer {
 public:
  // `max_body_bytes`: a longer response body fails the transfer.
  Transfer(const HttpRequest& request, int64_t max_body_bytes);
  ~Transfer();
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // The easy handle, to add to a multi handle. Its CURLOPT_PRIVATE is this.
  CURL* handle() const { return curl_; }

  // Follows up to `max` redirects (output downloads; never a plugin's API call).
  void followRedirects(long max);

  // After completion (the multi's CURLMSG_DONE with `curl_code`):
  // the response, or why there is none (timeout, refused, too large…).
  Result<HttpResponse> finish(int curl_code);

 private:
  static size_t onBody(char* data, size_t size, size_t count, void* self);
  static size_t onHeader(char* data, size_t size, size_t count, void* self);

  CURL* curl_ = nullptr;
  curl_slist* header_list_ = nullptr;
  std::string request_body_;
  int64_t max_body_bytes_;
  bool too_large_ = false;
  int timeout_ms_;
  HttpResponse response_;
};

// Sends `request` at once (blocking; no redirects), for the command line.
Result<HttpResponse> perform(const HttpRequest& request, int64_t max_body_bytes);

// Base64 (RFC 4648, with padding) to bytes; nullopt on invalid input.
std::optional<std::string> decodeBase64(std::string_view text);
std::string encodeBase64(std::string_view bytes);

}  // namespace aigate::http
