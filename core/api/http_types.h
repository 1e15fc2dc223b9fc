// The request and reply as the API layer sees them, independent of Pistache.
#pragma once

#include "core/common/errors.h"
#include "core/store/store.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace aigate::api {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

std::string_view methodName(Method m);

struct Request {
  Method method = Method::kGet;
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // URL-decoded
  std::string body;
  std::string authorization;
  std::string idempotency_key;
  std::string request_id;  // the client's X-Request-Id, or one made up
  std::string host;  // the Host header, "name[:port]"
  std::string range;              // Range
  std::string if_none_match;      // If-None-Match
  std::string if_modified_since;  // If-Modified-Since
  std::vector<std::string> params;  // route captures, in pattern order
  std::chrono::steady_clock::time_point received_at{};  // when it was read; App::handle sets it if unset

  // The first query parameter called `name`, or nullptr.
  const std::string* queryParam(std::string_view name) const;
};

struct Reply {
  int status = 200;
  nlohmann::json body;
  std::string raw_body;  // sent as is instead of `body` when not empty
  std::string content_type = "application/json";
  // For HEAD: the Content-Length a GET would have had; no body is sent.
  std::optional<uint64_t> head_length;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set by a write handler whose answer comes later: after the commit it is
  // called with this reply (completed, as a client would see it) and a
  // function to send the real answer with, exactly once, from any thread.
  // The reply recorded for an Idempotency-Key is this provisional one.
  std::function<void(Reply provisional, std::function<void(Reply)> send)> after_commit;

  static Reply json(int status, nlohmann::json body) {
    Reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static Reply fromError(const Error& e) { return json(e.status(), e.toJson()); }
};

// Work that must run in a store write; returns the reply to send.
using TxnHandler = std::function<Result<Reply>(store::Conn&)>;

// Work that answers later, from any thread, by calling `send` exactly once
// (waiting for a job, say); it must not block the calling thread.
using Deferred = std::function<void(std::function<void(Reply)> send)>;

// What a route handler decides: answer now, fail, write first, or answer later.
using Outcome = std::variant<Reply, Error, TxnHandler, Deferred>;

}  // namespace aigate::api
