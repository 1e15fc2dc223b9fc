// Maps method + path to a route, with `{name}` segments captured in order.
#pragma once

#include "core/api/http_types.h"

#include <string_view>
#include <vector>

namespace aigate::api {

struct Context;

enum class Access {
  kPublic,  // no credentials
  kUser,    // Bearer sk-aigate-… of a live key
  kAdmin,   // Bearer operator token
};

using RouteHandler = Outcome (*)(Context&);

struct Route {
  Method method;
  std::string_view pattern;  // e.g. "/admin/v1/users/{id}/keys"
  Access access;
  RouteHandler handler;
};

struct RouteMatch {
  const Route* route = nullptr;  // null: 404 when `allowed` is empty, else 405
  std::vector<Method> allowed;   // methods the path answers to
};

class Router {
 public:
  void add(const Route& route);
  // Matches `path`; fills `params` with the captured segments.
  RouteMatch match(Method method, std::string_view path, std::vector<std::string>& params) const;

 private:
  struct Compiled {
    Route route;
    std::vector<std::string_view> segments;  // "{…}" marks a capture
  };
  static std::vector<std::string_view> split(std::string_view path);
  std::vector<Compiled> routes_;
};

}  // namespace aigate::api
