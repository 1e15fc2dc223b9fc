#include "core/api/router.h"

#include "core/api/url.h"

#include <catch2/catch.hpp>

using namespace aigate::api;

namespace {
Outcome noop(Context&) { return Reply::json(200, nullptr); }
}  // namespace

TEST_CASE("routes match by method and path with captures", "[router]") {
  Router r;
  r.add({Method::kGet, "/api/v1/jobs/{id}", Access::kUser, noop});
  r.add({Method::kDelete, "/api/v1/jobs/{id}", Access::kUser, noop});
  r.add({Method::kGet, "/api/v1/me", Access::kUser, noop});
  std::vector<std::string> params;

  auto m = r.match(Method::kGet, "/api/v1/jobs/job_123", params);
  REQUIRE(m.route);
  CHECK(m.route->pattern == "/api/v1/jobs/{id}");
  REQUIRE(params.size() == 1);
  CHECK(params[0] == "job_123");

  CHECK(r.match(Method::kDelete, "/api/v1/jobs/x", params).route->method == Method::kDelete);
  CHECK(r.match(Method::kGet, "/api/v1/me/", params).route);  // a trailing slash is the same path

  auto not_allowed = r.match(Method::kPost, "/api/v1/jobs/x", params);
  CHECK_FALSE(not_allowed.route);
  CHECK(not_allowed.allowed.size() == 2);

  auto missing = r.match(Method::kGet, "/api/v1/jobs", params);
  CHECK_FALSE(missing.route);
  CHECK(missing.allowed.empty());
  CHECK_FALSE(r.match(Method::kGet, "/api/v1/jobs/a/b", params).route);
}

TEST_CASE("captures are percent-decoded", "[router]") {
  Router r;
  r.add({Method::kGet, "/admin/v1/users/{id}", Access::kAdmin, noop});
  std::vector<std::string> params;
  REQUIRE(r.match(Method::kGet, "/admin/v1/users/a%40b.io", params).route);
  CHECK(params[0] == "a@b.io");
}

TEST_CASE("urlDecode decodes escapes and keeps malformed ones", "[router]") {
  CHECK(urlDecode("a%20b+c", true) == "a b c");
  CHECK(urlDecode("a+b", false) == "a+b");
  CHECK(urlDecode("100%", true) == "100%");
  CHECK(urlDecode("%zz%4", true) == "%zz%4");
  CHECK(urlDecode("%E2%9C%93", true) == "\xE2\x9C\x93");
}
