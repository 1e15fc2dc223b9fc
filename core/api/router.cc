#include "core/api/router.h"

#include "core/api/url.h"

#include <algorithm>

namespace aigate::api {

std::vector<std::string_view> Router::split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    const size_t end = std::min(path.find('/', start), path.size());
    out.push_back(path.substr(start, end - start));
    start = end;
  }
  return out;
}

void Router::add(const Route& route) { routes_.push_back({route, split(route.pattern)}); }

RouteMatch Router::match(Method method, std::string_view path,
                         std::vector<std::string>& params) const {
  RouteMatch result;
  const auto segments = split(path);
  for (const auto& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    bool same = true;
    for (size_t i = 0; i < segments.size() && same; ++i) {
      const auto& s = r.segments[i];
      const bool capture = s.size() >= 2 && s.front() == '{' && s.back() == '}';
      same = capture ? !segments[i].empty() : s == segments[i];
    }
    if (!same) continue;
    if (r.route.method != method) {
      result.allowed.push_back(r.route.method);
      continue;
    }
    params.clear();
    for (size_t i = 0; i < segments.size(); ++i) {
      const auto& s = r.segments[i];
      if (s.size() >= 2 && s.front() == '{') params.push_back(urlDecode(segments[i], false));
    }
    result.route = &r.route;
    return result;
  }
  return result;
}

}  // namespace aigate::api
