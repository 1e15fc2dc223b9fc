// The client examples (examples/clients/) run against a real gateway: each
// one as a user with credits (me, search, a library image, a generated video
// polled to the end), as a user without (402 and 403 handled), and through a
// proxy that answers the first request 429 (waited out, then sent again).
// The interpreters come from Debian (./dev.sh installs them): a missing one
// fails the test rather than skipping it.
#include "tests/fakes/fake_server.h"
#include "tests/support/sample_library.h"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using aigate::testing::FakeRequest;
using aigate::testing::FakeResponse;
using aigate::testing::FakeServer;
using aigate::testing::HttpClient;
using aigate::testing::TestGateway;

namespace {

struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
};

// Runs `command` in examples/clients/ with the key and base URL in the environment.
Run runExample(const std::string& command, const std::string& base_url, const std::string& key) {
  const std::string line = std::string("cd ") + AIGATE_SOURCE_DIR + "/examples/clients && " +
                           "AIGATE_BASE_URL=" + base_url + " AIGATE_API_KEY=" + key + " " +
                           command + " 2>&1";
  Run run;
  FILE* pipe = ::popen(line.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) run.output += buffer;
  const int status = ::pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

bool has(const Run& run, const std::string& text) {
  return run.output.find(text) != std::string::npos;
}

// Forwards a request to the gateway at `target` and answers what it answered.
FakeResponse forward(const std::string& target, const FakeRequest& request) {
  std::vector<std::string> headers;
  for (const auto& [name, value] : request.headers)
    if (name == "authorization" || name == "content-type" || name == "idempotency-key")
      headers.push_back(name + ": " + value);
  HttpClient client;
  const std::string query = request.query.empty() ? "" : "?" + request.query;
  auto reply = client.request(request.method, target + request.path + query, request.body, headers);
  FakeResponse response;
  response.status = static_cast<int>(reply.status);
  response.body = reply.body;
  response.content_type = reply.header("content-type");
  return response;
}

void checkExample(const std::string& interpreter, const std::string& command) {
  if (std::system(("command -v " + interpreter + " >/dev/null 2>&1").c_str()) != 0)
    FAIL(interpreter << " is not installed (./dev.sh test installs it)");
  TestGateway gw([](aigate::config::Config& c) {
    c.registration.free_credits = 0;
    c.library.match_threshold = 0.6;
  });
  aigate::testing::TempDir dir;
  aigate::testing::writeLibraryFolder(dir.path(), aigate::testing::standardLibrary());
  REQUIRE(aigate::testing::importInto(gw, dir.path()).imported == 8);
  auto rich = gw.createUser("rich@example.com", "starter");
  auto broke = gw.createUser("broke@example.com");
  const std::string base = gw.url("");

  // With credits: everything works.
  Run run = runExample(command, base, rich.api_key);
  INFO(run.output);
  CHECK(run.code == 0);
  CHECK(has(run, "me: rich@example.com tier=starter balance=1200\n"));
  CHECK(has(run, "search: 2 results for \"sunset\" (first: "));
  CHECK(has(run, "image: " + base + "/files/"));
  CHECK(has(run, ".png (source=library, charged=10)\n"));
  CHECK(has(run, "video: job job_"));
  CHECK(has(run, " succeeded: " + base + "/files/"));
  CHECK(has(run, "done: balance=1090\n"));

  // Without: 402 for the image, 403 for the video (free tier), nothing charged.
  Run poor = runExample(command, base, broke.api_key);
  INFO(poor.output);
  CHECK(poor.code == 0);
  CHECK(has(poor, "me: broke@example.com tier=free balance=0\n"));
  CHECK(has(poor, "image: 402 insufficient_credits handled (needs 10, have 0; "
                  "Buy a credit pack at /#pricing)\n"));
  CHECK(has(poor, "video: 403 video_not_included handled (needs the starter tier)\n"));
  CHECK(has(poor, "done: balance=0\n"));

  // Through a proxy whose first answer is 429 with Retry-After: 1.
  FakeServer proxy([&](const FakeRequest& r) { return forward(base, r); });
  proxy.failNext(1, 429,
                 R"({"error":"rate_limit","message":"Slow down.","retry_after":1})",
                 {{"Retry-After", "1"}});
  Run limited = runExample(command, proxy.baseUrl(), rich.api_key);
  INFO(limited.output);
  CHECK(limited.code == 0);
  CHECK(has(limited, "429: retried after 1 s\nme: rich@example.com tier=starter"));
  CHECK(has(limited, "done: balance="));
  CHECK(proxy.count("GET", "/api/v1/me") >= 3);  // the 429, its retry, the last one
}

}  // namespace

TEST_CASE("the curl example runs against the gateway", "[examples][clients]") {
  checkExample("jq", "./curl.sh");
}

TEST_CASE("the Python example runs against the gateway", "[examples][clients]") {
  checkExample("python3", "python3 python_requests.py");
}

TEST_CASE("the JavaScript example runs against the gateway", "[examples][clients]") {
  checkExample("node", "node node_fetch.mjs");
}

TEST_CASE("the PHP example runs against the gateway", "[examples][clients]") {
  checkExample("php", "php php_curl.php");
}
