// The fake hello API (tests/fakes/hello_api.h) speaks what the hello plugin
// expects and fails in each way integration tests ask of it.
#include "tests/fakes/hello_api.h"

#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aigate::testing {
namespace {

const std::vector<std::string> kAuth = {"Authorization: Bearer key-1",
                                        "Content-Type: application/json"};

// A bare TCP client, to send what libcurl would not and to wait with a timeout.
class RawClient {
 public:
  RawClient(const FakeHelloApi& api, int receive_timeout_ms) {
    const std::string url = api.baseUrl();
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1))));
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{receive_timeout_ms / 1000, (receive_timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  bool send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // What arrives until the server closes or the timeout passes; `closed` says which.
  std::string receive(bool* closed = nullptr) {
    std::string out;
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        if (closed) *closed = n == 0;
        return out;
      }
      out.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

const std::string kPngSignature = "\x89PNG\r\n\x1a\n";

}  // namespace

TEST_CASE("fakes/hello_api: a job is submitted, polled until it succeeds, its image downloaded",
          "[fakes]") {
  FakeHelloApi api;
  api.setPollsBeforeDone(2);
  HttpClient client;
  const std::string base = api.baseUrl();
  REQUIRE(base.rfind("http://127.0.0.1:", 0) == 0);

  const auto submitted = client.request("POST", base + "/v1/images",
                                        R"({"prompt":"a cat","aspect_ratio":"1:1"})", kAuth);
  REQUIRE(submitted.status == 200);
  CHECK(submitted.json()["id"] == "img_1");
  CHECK(submitted.json()["status"] == "queued");
  CHECK(api.lastAuthorization() == "Bearer key-1");

  for (int i = 1; i <= 2; ++i) {
    const auto running = client.request("GET", base + "/v1/images/img_1", "", kAuth);
    REQUIRE(running.status == 200);
    CHECK(running.json()["status"] == "running");
    const double progress = running.json()["progress"];
    CHECK(progress > 0.0);
    CHECK(progress < 1.0);
  }
  const auto done = client.request("GET", base + "/v1/images/img_1", "", kAuth);
  REQUIRE(done.status == 200);
  CHECK(done.json()["status"] == "succeeded");
  CHECK(done.json()["width"] == 1);
  CHECK(done.json()["height"] == 1);
  const std::string url = done.json()["url"];
  CHECK(url == base + "/files/img_1.png");

  const auto image = client.request("GET", url);
  REQUIRE(image.status == 200);
  CHECK(image.header("content-type") == "image/png");
  CHECK(image.body.size() == 67);
  CHECK(image.body.compare(0, kPngSignature.size(), kPngSignature) == 0);

  api.setImage("custom-bytes", "image/webp", 640, 480);
  const auto second = client.request("POST", base + "/v1/images", R"({"prompt":"a dog"})", kAuth);
  CHECK(second.json()["id"] == "img_2");
  api.setPollsBeforeDone(0);
  const auto second_done = client.request("GET", base + "/v1/images/img_2", "", kAuth);
  CHECK(second_done.json()["status"] == "succeeded");
  CHECK(second_done.json()["width"] == 640);
  CHECK(second_done.json()["height"] == 480);
  const auto second_image = client.request("GET", second_done.json()["url"].get<std::string>());
  CHECK(second_image.body == "custom-bytes");
  CHECK(second_image.header("content-type") == "image/webp");

  CHECK(api.submits() == 2);
  CHECK(api.polls() == 4);
  CHECK(api.downloads() == 2);
  CHECK(api.cancels() == 0);
  CHECK(api.requests() == 8);
  const std::vector<std::string> expected_start = {"POST /v1/images", "GET /v1/images/img_1",
                                                   "GET /v1/images/img_1", "GET /v1/images/img_1",
                                                   "GET /files/img_1.png"};
  const auto log = api.log();
  REQUIRE(log.size() == 8);
  CHECK(std::vector<std::string>(log.begin(), log.begin() + 5) == expected_start);
}

TEST_CASE("fakes/hello_api: jobs can end failed or canceled", "[fakes]") {
  FakeHelloApi api;
  HttpClient client;
  const std::string base = api.baseUrl();
  api.setPollsBeforeDone(0);
  api.setFinalFailure("content_policy");
  client.request("POST", base + "/v1/images", R"({"prompt":"x"})", kAuth);
  const auto failed = client.request("GET", base + "/v1/images/img_1", "", kAuth);
  CHECK(failed.json()["status"] == "failed");
  CHECK(failed.json()["error"] == "content_policy");

  api.setFinalFailure("");
  api.setPollsBeforeDone(5);
  client.request("POST", base + "/v1/images", R"({"prompt":"y"})", kAuth);
  const auto canceled = client.request("DELETE", base + "/v1/images/img_2", "", kAuth);
  CHECK(canceled.status == 200);
  CHECK(canceled.json()["id"] == "img_2");
  CHECK(canceled.json()["status"] == "canceled");
  const auto after = client.request("GET", base + "/v1/images/img_2", "", kAuth);
  CHECK(after.json()["status"] == "failed");
  CHECK(after.json()["error"] == "canceled");
  CHECK(api.cancels() == 1);
}

TEST_CASE("fakes/hello_api: refuses what the real API would", "[fakes]") {
  FakeHelloApi api;
  HttpClient client;
  const std::string base = api.baseUrl();
  const std::string prompt = R"({"prompt":"a cat"})";

  CHECK(client.request("POST", base + "/v1/images", prompt).status == 401);
  CHECK(client.request("POST", base + "/v1/images", prompt, {"Authorization: Bearer "}).status ==
        401);
  CHECK(api.lastAuthorization() == "Bearer");
  CHECK(client.request("POST", base + "/v1/images", R"({"prompt":""})", kAuth).status == 400);
  CHECK(client.request("POST", base + "/v1/images", "not json", kAuth).status == 400);
  const auto unknown = client.request("GET", base + "/v1/images/img_9", "", kAuth);
  CHECK(unknown.status == 404);
  CHECK(unknown.json()["error"]["message"] == "no such image");
  CHECK(client.request("GET", base + "/v2/other", "", kAuth).status == 404);
  CHECK(client.request("GET", base + "/files/img_9.png").status == 404);
  CHECK(api.submits() == 4);
  CHECK(api.polls() == 1);
}

TEST_CASE("fakes/hello_api: fails on demand", "[fakes]") {
  FakeHelloApi api;
  HttpClient client;
  const std::string base = api.baseUrl();
  const std::string prompt = R"({"prompt":"a cat"})";

  SECTION("failNext answers the next requests with an error status") {
    api.failNext(2, 503);
    for (int i = 0; i < 2; ++i) {
      const auto failed = client.request("POST", base + "/v1/images", prompt, kAuth);
      CHECK(failed.status == 503);
      CHECK(failed.json()["error"]["message"] == "injected");
    }
    const auto ok = client.request("POST", base + "/v1/images", prompt, kAuth);
    CHECK(ok.status == 200);
    CHECK(ok.json()["id"] == "img_1");
    CHECK(api.submits() == 3);
  }

  SECTION("garbage mode answers HTML") {
    api.setGarbage(true);
    const auto garbage = client.request("POST", base + "/v1/images", prompt, kAuth);
    CHECK(garbage.status == 200);
    CHECK(garbage.body == "<html>not json");
    CHECK(garbage.json().is_discarded());
    api.setGarbage(false);
    CHECK(client.request("POST", base + "/v1/images", prompt, kAuth).status == 200);
  }

  SECTION("a response delay holds every answer") {
    api.setResponseDelayMs(150);
    const auto start = std::chrono::steady_clock::now();
    CHECK(client.request("POST", base + "/v1/images", prompt, kAuth).status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(150));
  }
}

TEST_CASE("fakes/hello_api: when hanging, reads requests and never answers", "[fakes]") {
  const auto request = std::string("POST /v1/images HTTP/1.1\r\nHost: x\r\n") +
                       "Authorization: Bearer k\r\nContent-Length: 16\r\n\r\n" +
                       R"({"prompt":"cat"})";

  SECTION("until the hang ends; then the connection is closed") {
    FakeHelloApi api;
    api.setHang(true);
    RawClient raw(api, 300);
    REQUIRE(raw.connected());
    REQUIRE(raw.send(request));
    CHECK(api.waitFor([&] { return api.submits() == 1; }, 5000));
    bool closed = true;
    CHECK(raw.receive(&closed).empty());
    CHECK_FALSE(closed);
    api.setHang(false);
    CHECK(raw.receive(&closed).empty());
    CHECK(closed);
  }

  SECTION("until it is destroyed, which returns promptly") {
    auto api = std::make_unique<FakeHelloApi>();
    api->setHang(true);
    RawClient raw(*api, 5000);
    REQUIRE(raw.connected());
    REQUIRE(raw.send(request));
    CHECK(api->waitFor([&] { return api->requests() == 1; }, 5000));
    const auto start = std::chrono::steady_clock::now();
    api.reset();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
    bool closed = false;
    CHECK(raw.receive(&closed).empty());
    CHECK(closed);
  }

  SECTION("a delayed answer is abandoned at destruction") {
    auto api = std::make_unique<FakeHelloApi>();
    api->setResponseDelayMs(60'000);
    RawClient raw(*api, 5000);
    REQUIRE(raw.send(request));
    CHECK(api->waitFor([&] { return api->requests() == 1; }, 5000));
    const auto start = std::chrono::steady_clock::now();
    api.reset();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  }
}

TEST_CASE("fakes/hello_api: survives odd clients", "[fakes]") {
  FakeHelloApi api;
  const std::string head = "POST /v1/images HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n";

  {
    RawClient quitter(api, 1000);
    REQUIRE(quitter.send(head + "Content-Length: 100\r\n\r\n{\"prompt\""));
  }
  {
    RawClient idle(api, 1000);  // connects and sends nothing
  }

  RawClient chunked(api, 2000);
  REQUIRE(chunked.send(head + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                       "6\r\n{\"prom\r\nA;ext=1\r\npt\":\"cat\"}\r\n0\r\n\r\n"));
  bool closed = false;
  const std::string answer = chunked.receive(&closed);
  CHECK(answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(answer.find(R"({"id":"img_1","status":"queued"})") != std::string::npos);
  CHECK(closed);

  RawClient malformed(api, 2000);
  REQUIRE(malformed.send("nonsense\r\n\r\n"));
  CHECK(malformed.receive().rfind("HTTP/1.1 400", 0) == 0);

  HttpClient client;
  CHECK(client.request("GET", api.baseUrl() + "/v1/images/img_1", "", kAuth).status == 200);
  CHECK(api.submits() == 1);
}

}  // namespace aigate::testing
