// The SSRF guard: every form of a loopback, private or otherwise internal
// address is refused, through the system resolver and through a fake one for
// names that resolve inside; the allow list; and the pin that makes curl
// connect to the vetted address whatever DNS says later.
#include "core/http/ssrf.h"
#include "core/http/transfer.h"
#include "tests/fakes/fake_server.h"

#include <catch2/catch.hpp>
#include <curl/curl.h>

#include <map>

using aigate::http::IpAddress;
using aigate::http::SsrfPolicy;
using aigate::http::vetUrl;

namespace {

// A resolver that knows only the names of `table`.
SsrfPolicy fakeDns(std::map<std::string, std::vector<std::string>> table,
                   std::vector<std::string> allow = {}) {
  SsrfPolicy policy;
  policy.allow_hosts = std::move(allow);
  policy.resolve = [table = std::move(table)](
                       const std::string& host) -> aigate::Result<std::vector<IpAddress>> {
    auto it = table.find(host);
    if (it == table.end())
      return aigate::Error(aigate::ErrorCode::kInvalidRequest, "no such host " + host);
    std::vector<IpAddress> out;
    for (const auto& text : it->second) out.push_back(*IpAddress::parse(text));
    return out;
  };
  return policy;
}

}  // namespace

TEST_CASE("loopback, private and internal addresses are refused in every spelling", "[ssrf]") {
  const SsrfPolicy system;  // the real resolver: literals and localhost need no network
  for (const char* url : {
           "http://127.0.0.1/hook",
           "http://localhost/hook",
           "http://LOCALHOST./hook",
           "http://api.localhost:8080/",
           "http://0x7f000001/",
           "http://2130706433/",
           "http://0177.0.0.1/",
           "http://127.1/",
           "http://[::1]/",
           "http://[::ffff:127.0.0.1]/",
           "http://[::ffff:a00:1]/",
           "http://[::]/",
           "http://0.0.0.0/",
           "http://10.0.0.1/",
           "http://172.16.5.4/",
           "http://192.168.1.1/",
           "http://169.254.169.254/latest/meta-data/",
           "http://100.64.0.1/",
           "http://224.0.0.1/",
           "http://255.255.255.255/",
           "http://[fe80::1]/",
           "http://[fc00::1]/",
           "http://[ff02::1]/",
           "http://[64:ff9b::7f00:1]/",
       }) {
    INFO(url);
    auto v = vetUrl(url, system);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code() == aigate::ErrorCode::kInvalidRequest);
    CHECK(v.error().message().find("refused") != std::string::npos);
  }
}

TEST_CASE("only absolute http and https URLs are accepted", "[ssrf]") {
  const auto dns = fakeDns({{"example.com", {"93.184.216.34"}}});
  for (const char* url : {"ftp://example.com/", "file:///etc/passwd", "gopher://example.com/",
                          "example.com/hook", "//example.com/", "", "http://exa mple.com/"}) {
    INFO(url);
    CHECK_FALSE(vetUrl(url, dns).ok());
  }
  auto ok = vetUrl("https://Example.com/hooks?x=1", dns);
  REQUIRE(ok.ok());
  CHECK(ok->scheme == "https");
  CHECK(ok->host == "example.com");
  CHECK(ok->port == 443);
  CHECK(ok->address.toString() == "93.184.216.34");
  CHECK(vetUrl("http://example.com:8080/", dns)->port == 8080);
}

TEST_CASE("a name is refused when any of its addresses is internal", "[ssrf]") {
  const auto dns = fakeDns({{"internal.example", {"10.1.2.3"}},
                            {"metadata.example", {"169.254.169.254"}},
                            {"mixed.example", {"93.184.216.34", "192.168.0.10"}},
                            {"v6.example", {"2606:2800:220:1:248:1893:25c8:1946"}},
                            {"mapped.example", {"::ffff:127.0.0.1"}}});
  for (const char* url :
       {"http://internal.example/", "http://metadata.example/", "http://mixed.example/",
        "http://mapped.example/", "http://unknown.example/"}) {
    INFO(url);
    CHECK_FALSE(vetUrl(url, dns).ok());
  }
  auto v6 = vetUrl("https://v6.example/", dns);
  REQUIRE(v6.ok());
  CHECK(v6->address.v6);
}

TEST_CASE("the operator's allow list lets named hosts through", "[ssrf]") {
  const auto dns = fakeDns({{"receiver.test", {"127.0.0.1"}}, {"other.test", {"127.0.0.1"}}},
                           {"127.0.0.1", "receiver.test"});
  CHECK(vetUrl("http://127.0.0.1:9/", dns).ok());
  CHECK(vetUrl("http://receiver.test:9/", dns).ok());
  // Allowed by its address: other.test resolves to an allowed address.
  CHECK(vetUrl("http://other.test:9/", dns).ok());
  CHECK_FALSE(vetUrl("http://[::1]:9/", dns).ok());
  CHECK_FALSE(vetUrl("http://localhost:9/", dns).ok());
  CHECK_FALSE(vetUrl("http://10.0.0.1/", dns).ok());
}

TEST_CASE("the pin connects to the vetted address, never follows redirects", "[ssrf]") {
  aigate::testing::FakeServer target([](const aigate::testing::FakeRequest&) {
    return aigate::testing::jsonResponse(200, nlohmann::json::object());
  });
  aigate::testing::FakeServer redirector([&](const aigate::testing::FakeRequest&) {
    aigate::testing::FakeResponse r;
    r.status = 302;
    r.headers = {{"Location", target.baseUrl() + "/stolen"}};
    return r;
  });
  // The name resolves nowhere real: only the pin can take curl to the server.
  const auto dns = fakeDns({{"receiver.test", {"127.0.0.1"}}}, {"receiver.test"});
  for (auto* server : {&target, &redirector}) {
    auto vetted = vetUrl("http://receiver.test:" + std::to_string(server->port()) + "/hook", dns);
    REQUIRE(vetted.ok());
    aigate::http::HttpRequest request;
    request.method = "POST";
    request.url = vetted->url;
    request.body = "{}";
    aigate::http::Transfer t(request, 1 << 16);
    aigate::http::ConnectionPin pin(t.handle(), *vetted);
    auto response = t.finish(curl_easy_perform(t.handle()));
    REQUIRE(response.ok());
    CHECK(response->status == (server == &target ? 200 : 302));
  }
  REQUIRE(target.received().size() == 1);
  CHECK(target.received()[0].header("host") == "receiver.test:" + std::to_string(target.port()));
  CHECK(target.received()[0].path == "/hook");
}
