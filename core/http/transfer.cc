#include "core/http/transfer.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace aigate::http {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool validMethod(const std::string& m) {
  return m == "GET" || m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE" ||
         m == "HEAD";
}

}  // namespace

std::string encodeBase64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> decodeBase64(std::string_view text) {
  static const std::array<int8_t, 256> kValue = [] {
    std::array<int8_t, 256> v{};
    v.fill(-1);
    for (size_t i = 0; i < kAlphabet.size(); ++i) v[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
    v['-'] = 62;  // URL-safe alphabet too
    v['_'] = 63;
    return v;
  }();
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  for (char ch : text) {
    if (ch == '\n' || ch == '\r' || ch == ' ') continue;
    if (ch == '=') {
      ++padding;
      continue;
    }
    if (padding) return std::nullopt;  // data after padding
    const int8_t v = kValue[static_cast<uint8_t>(ch)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (padding > 2 || bits >= 6) return std::nullopt;
  return out;
}

Result<HttpRequest> requestFromJson(const nlohmann::json& j) {
  auto bad = [](const std::string& what) {
    return Error(ErrorCode::kInvalidRequest, "The plugin's http request is invalid: " + what);
  };
  if (!j.is_object()) return bad("not an object");
  HttpRequest r;
  if (auto it = j.find("method"); it != j.end()) {
    if (!it->is_string()) return bad("method must be a string");
    r.method = it->get<std::string>();
  }
  for (char& ch : r.method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (!validMethod(r.method)) return bad("unsupported method \"" + r.method + "\"");
  auto url = j.find("url");
  if (url == j.end() || !url->is_string()) return bad("url is required");
  r.url = url->get<std::string>();
  if (r.url.rfind("http://", 0) != 0 && r.url.rfind("https://", 0) != 0)
    return bad("url must be http:// or https://");
  if (auto it = j.find("headers"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return bad("headers must be an object");
    for (const auto& [name, value] : it->items()) {
      if (!value.is_string()) return bad("header " + name + " must be a string");
      const std::string v = value.get<std::string>();
      if (name.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos)
        return bad("header " + name + " contains a line break");
      r.headers[lower(name)] = v;
    }
  }
  if (auto it = j.find("body"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return bad("body must be a string");
    r.body = it->get<std::string>();
    if (j.value("body_base64", false)) {
      auto decoded = decodeBase64(r.body);
      if (!decoded) return bad("body is not valid base64");
      r.body = std::move(*decoded);
    }
  }
  if (auto it = j.find("timeout_ms"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer()) return bad("timeout_ms must be a whole number");
    r.timeout_ms = std::clamp(it->get<int>(), 1, 3'600'000);
  }
  return r;
}

Transfer::Transfer(const HttpRequest& request, int64_t max_body_bytes)
    : request_body_(request.body), max_body_bytes_(max_body_bytes), timeout_ms_(request.timeout_ms) {
  curl_ = curl_easy_init();
  if (!curl_) return;
  curl_easy_setopt(curl_, CURLOPT_PRIVATE, this);
  curl_easy_setopt(curl_, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(request.timeout_ms, 10'000)));
  curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Transfer::onBody);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Transfer::onHeader);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(curl_, CURLOPT_USERAGENT, "aigate/0.1");
  if (request.method == "HEAD") {
    curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.method != "GET" && request.method != "HEAD" &&
      (!request_body_.empty() || request.method != "DELETE")) {
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, request_body_.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_body_.size()));
  }
  bool has_expect = false;
  for (const auto& [name, value] : request.headers) {
    if (name == "expect") has_expect = true;
    header_list_ = curl_slist_append(header_list_, (name + ": " + value).c_str());
  }
  if (!has_expect) header_list_ = curl_slist_append(header_list_, "Expect:");
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, header_list_);
}

Transfer::~Transfer() {
  if (curl_) curl_easy_cleanup(curl_);
  if (header_list_) curl_slist_free_all(header_list_);
}

size_t Transfer::onBody(char* data, size_t size, size_t count, void* self) {
  auto* t = static_cast<Transfer*>(self);
  const size_t n = size * count;
  if (static_cast<int64_t>(t->response_.body.size() + n) > t->max_body_bytes_) {
    t->too_large_ = true;
    return 0;  // aborts the transfer
  }
  t->response_.body.append(data, n);
  return n;
}

size_t Transfer::onHeader(char* data, size_t size, size_t count, void* self) {
  auto* t = static_cast<Transfer*>(self);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect or 100)
    t->response_.headers.clear();
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name = lower(std::string(line.substr(0, colon)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  t->response_.headers[std::move(name)] = std::string(value);
  return n;
}

void Transfer::followRedirects(long max) {
  if (!curl_) return;
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl_, CURLOPT_MAXREDIRS, max);
}

Result<HttpResponse> Transfer::finish(int curl_code) {
  if (!curl_) return Error(ErrorCode::kInternalError, "cannot create a curl handle");
  const auto code = static_cast<CURLcode>(curl_code);
  if (too_large_)
    return Error(ErrorCode::kUpstreamError,
                 "the response is larger than " + std::to_string(max_body_bytes_) + " bytes");
  if (code == CURLE_OPERATION_TIMEDOUT)
    return Error(ErrorCode::kUpstreamError,
                 "no complete response within " + std::to_string(timeout_ms_) + " ms");
  if (code != CURLE_OK) return Error(ErrorCode::kUpstreamError, curl_easy_strerror(code));
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &response_.status);
  return std::move(response_);
}

Result<HttpResponse> perform(const HttpRequest& request, int64_t max_body_bytes) {
  Transfer t(request, max_body_bytes);
  if (!t.handle()) return Error(ErrorCode::kInternalError, "cannot create a curl handle");
  const CURLcode code = curl_easy_perform(t.handle());
  return t.finish(code);
}

}  // namespace aigate::http
