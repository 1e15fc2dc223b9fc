#include "tests/fakes/hello_api.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace aigate::testing {
namespace {

using nlohmann::json;

constexpr size_t kMaxLine = 16 * 1024;
constexpr size_t kMaxHeaders = 100;
constexpr size_t kMaxBody = 64 * 1024 * 1024;

// The smallest valid PNG: one transparent pixel.
constexpr unsigned char kPixelPng[] = {
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") + 1 - first);
}

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Waits until `fd` is ready for `events`. False when the wake pipe fired
// (shutdown) or poll failed.
bool waitReady(int fd, short events, int wake_fd) {
  pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
  for (;;) {
    const int rc = ::poll(fds, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    return rc > 0 && fds[1].revents == 0;
  }
}

bool sendAll(int fd, const std::string& data, int wake_fd) {
  size_t sent = 0;
  while (sent < data.size()) {
    if (!waitReady(fd, POLLOUT, wake_fd)) return false;
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

bool parseSize(const std::string& text, int base, size_t& out) {
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, out, base);
  return !text.empty() && result.ec == std::errc() && result.ptr == end;
}

std::string errorBody(const std::string& message) {
  return json{{"error", {{"message", message}}}}.dump();
}

// The job id in "/v1/images/{id}", or "" for any other path.
std::string imageId(const std::string& path) {
  const std::string prefix = "/v1/images/";
  if (!startsWith(path, prefix)) return "";
  const std::string id = path.substr(prefix.size());
  return id.find('/') == std::string::npos ? id : "";
}

}  // namespace

FakeHelloApi::FakeHelloApi(uint16_t port) : image_(reinterpret_cast<const char*>(kPixelPng), sizeof kPixelPng) {
  const auto fail = [this](const std::string& what) {
    const std::string message = "FakeHelloApi: " + what + ": " + std::strerror(errno);
    for (int fd : {listen_fd_, wake_fds_[0], wake_fds_[1]})
      if (fd >= 0) ::close(fd);
    throw std::runtime_error(message);
  };
  if (::pipe2(wake_fds_, O_CLOEXEC) != 0) fail("pipe");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail("socket");
  const int reuse = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind");
  if (::listen(listen_fd_, 64) != 0) fail("listen");
  socklen_t length = sizeof address;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    fail("getsockname");
  port_ = ntohs(address.sin_port);
  accept_thread_ = std::thread(&FakeHelloApi::acceptLoop, this);
}

FakeHelloApi::~FakeHelloApi() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  const char byte = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_fds_[1], &byte, 1);
  accept_thread_.join();
  ::close(listen_fd_);
  for (Connection& connection : connections_) connection.thread.join();
  ::close(wake_fds_[0]);
  ::close(wake_fds_[1]);
}

std::string FakeHelloApi::baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeHelloApi::acceptLoop() {
  while (waitReady(listen_fd_, POLLIN, wake_fds_[0])) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::list<Connection> finished;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto it = connections_.begin(); it != connections_.end();) {
        auto next = std::next(it);
        if (it->finished) finished.splice(finished.end(), connections_, it);
        it = next;
      }
    }
    for (Connection& connection : finished) connection.thread.join();
    Connection& connection = connections_.emplace_back();
    connection.thread = std::thread(&FakeHelloApi::serve, this, fd, &connection);
  }
}

// Reads requests from one client socket; gives up on EOF, error or shutdown.
class FakeHelloApi::RequestReader {
 public:
  enum Result { kRequest, kClosed, kMalformed };

  RequestReader(int fd, int wake_fd) : fd_(fd), wake_fd_(wake_fd) {}

  Result next(Request& out) {
    std::string line;
    do {
      if (!readLine(line)) return kClosed;
    } while (line.empty());  // stray CRLFs between requests
    const auto space1 = line.find(' ');
    const auto space2 = line.rfind(' ');
    if (space1 == std::string::npos || space2 == space1) return kMalformed;
    out.method = line.substr(0, space1);
    const std::string target = line.substr(space1 + 1, space2 - space1 - 1);
    const std::string version = line.substr(space2 + 1);
    out.path = target.substr(0, target.find('?'));
    for (;;) {
      if (!readLine(line)) return kClosed;
      if (line.empty()) break;
      const auto colon = line.find(':');
      if (colon == std::string::npos || out.headers.size() >= kMaxHeaders) return kMalformed;
      out.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    }
    const std::string connection = lower(header(out, "connection"));
    out.keep_alive = version == "HTTP/1.1" ? connection != "close" : connection == "keep-alive";
    if (lower(header(out, "expect")) == "100-continue" &&
        !sendAll(fd_, "HTTP/1.1 100 Continue\r\n\r\n", wake_fd_))
      return kClosed;
    if (lower(header(out, "transfer-encoding")).find("chunked") != std::string::npos)
      return readChunked(out.body);
    const std::string length_text = header(out, "content-length");
    if (length_text.empty()) return kRequest;
    size_t length = 0;
    if (!parseSize(length_text, 10, length) || length > kMaxBody) return kMalformed;
    return readExactly(length, out.body) ? kRequest : kClosed;
  }

 private:
  static std::string header(const Request& request, const std::string& name) {
    const auto it = request.headers.find(name);
    return it == request.headers.end() ? std::string() : it->second;
  }

  Result readChunked(std::string& body) {
    std::string line;
    for (;;) {
      if (!readLine(line)) return kClosed;
      size_t size = 0;
      if (!parseSize(trim(line.substr(0, line.find(';'))), 16, size) ||
          size > kMaxBody - body.size())
        return kMalformed;
      if (size == 0) break;
      if (!readExactly(size, body) || !readLine(line)) return kClosed;
      if (!line.empty()) return kMalformed;
    }
    do {  // trailers
      if (!readLine(line)) return kClosed;
    } while (!line.empty());
    return kRequest;
  }

  // A line without its CRLF (or LF). False if the connection ended first or
  // the line is longer than kMaxLine.
  bool readLine(std::string& out) {
    for (;;) {
      const auto end = buffer_.find('\n');
      if (end != std::string::npos) {
        out = buffer_.substr(0, end);
        buffer_.erase(0, end + 1);
        if (!out.empty() && out.back() == '\r') out.pop_back();
        return true;
      }
      if (buffer_.size() > kMaxLine || !fill()) return false;
    }
  }

  // Appends the next `n` bytes to `out`.
  bool readExactly(size_t n, std::string& out) {
    while (buffer_.size() < n)
      if (!fill()) return false;
    out.append(buffer_, 0, n);
    buffer_.erase(0, n);
    return true;
  }

  bool fill() {
    if (!waitReady(fd_, POLLIN, wake_fd_)) return false;
    char chunk[16 * 1024];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  const int fd_;
  const int wake_fd_;
  std::string buffer_;
};

void FakeHelloApi::serve(int fd, Connection* connection) {
  const int wake_fd = wake_fds_[0];
  RequestReader reader(fd, wake_fd);
  for (;;) {
    Request request;
    const auto result = reader.next(request);
    if (result == RequestReader::kMalformed)
      sendAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
              wake_fd);
    if (result != RequestReader::kRequest || !admit(request)) break;
    const Response response = answer(request);
    const std::string head =
        "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) +
        "\r\nContent-Type: " + response.content_type +
        "\r\nContent-Length: " + std::to_string(response.body.size()) +
        "\r\nConnection: " + (request.keep_alive ? "keep-alive" : "close") + "\r\n\r\n";
    if (!sendAll(fd, head + response.body, wake_fd) || !request.keep_alive) break;
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mutex_);
  connection->finished = true;
}

bool FakeHelloApi::admit(const Request& request) {
  std::unique_lock<std::mutex> lock(mutex_);
  log_.push_back(request.method + " " + request.path);
  const std::string id = imageId(request.path);
  if (request.method == "POST" && request.path == "/v1/images") ++submits_;
  if (request.method == "GET" && !id.empty()) ++polls_;
  if (request.method == "DELETE" && !id.empty()) ++cancels_;
  if (request.method == "GET" && startsWith(request.path, "/files/")) ++downloads_;
  if (startsWith(request.path, "/v1/")) {
    const auto it = request.headers.find("authorization");
    last_authorization_ = it == request.headers.end() ? std::string() : it->second;
  }
  if (hang_) {
    changed_.wait(lock, [this] { return stopping_ || !hang_; });
    return false;
  }
  if (delay_ms_ > 0)
    changed_.wait_for(lock, std::chrono::milliseconds(delay_ms_), [this] { return stopping_; });
  return !stopping_;
}

FakeHelloApi::Response FakeHelloApi::answer(const Request& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fail_count_ > 0) {
    --fail_count_;
    return {fail_status_, errorBody("injected")};
  }
  const bool api = startsWith(request.path, "/v1/");
  if (api && garbage_) return {200, "<html>not json", "text/html"};
  if (api) {
    const auto it = request.headers.find("authorization");
    const std::string authorization = it == request.headers.end() ? "" : lower(it->second);
    if (authorization.empty() || trim(authorization) == "bearer")
      return {401, errorBody("missing api key")};
  }
  const std::string id = imageId(request.path);
  if (request.method == "POST" && request.path == "/v1/images") return submit(request);
  if (request.method == "GET" && !id.empty()) return poll(id);
  if (request.method == "DELETE" && !id.empty()) return cancel(id);
  if (request.method == "GET" && startsWith(request.path, "/files/")) return download(request.path);
  return {404, errorBody("no such route")};
}

FakeHelloApi::Response FakeHelloApi::submit(const Request& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("prompt") || !body["prompt"].is_string() ||
      body["prompt"].get_ref<const std::string&>().empty())
    return {400, errorBody("the body must be JSON with a non-empty \"prompt\"")};
  const std::string id = "img_" + std::to_string(jobs_.size() + 1);
  jobs_[id] = Job{};
  return {200, json{{"id", id}, {"status", "queued"}}.dump()};
}

FakeHelloApi::Response FakeHelloApi::poll(const std::string& id) {
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return {404, errorBody("no such image")};
  Job& job = it->second;
  if (job.canceled)
    return {200, json{{"id", id}, {"status", "failed"}, {"error", "canceled"}}.dump()};
  if (job.polls < polls_before_done_) {
    ++job.polls;
    const double progress = static_cast<double>(job.polls) / (polls_before_done_ + 1);
    return {200, json{{"id", id}, {"status", "running"}, {"progress", progress}}.dump()};
  }
  if (!final_failure_.empty())
    return {200, json{{"id", id}, {"status", "failed"}, {"error", final_failure_}}.dump()};
  return {200, json{{"id", id},
                    {"status", "succeeded"},
                    {"url", baseUrl() + "/files/" + id + ".png"},
                    {"width", image_width_},
                    {"height", image_height_}}
                   .dump()};
}

FakeHelloApi::Response FakeHelloApi::cancel(const std::string& id) {
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return {404, errorBody("no such image")};
  it->second.canceled = true;
  return {200, json{{"id", id}, {"status", "canceled"}}.dump()};
}

FakeHelloApi::Response FakeHelloApi::download(const std::string& path) {
  const std::string prefix = "/files/";
  const std::string suffix = ".png";
  if (path.size() > prefix.size() + suffix.size() &&
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0 &&
      jobs_.count(path.substr(prefix.size(), path.size() - prefix.size() - suffix.size())))
    return {200, image_, image_mime_};
  return {404, errorBody("no such file")};
}

void FakeHelloApi::setPollsBeforeDone(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  polls_before_done_ = n;
}

void FakeHelloApi::setFinalFailure(std::string error) {
  std::lock_guard<std::mutex> lock(mutex_);
  final_failure_ = std::move(error);
}

void FakeHelloApi::failNext(int count, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  fail_count_ = count;
  fail_status_ = status;
}

void FakeHelloApi::setGarbage(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  garbage_ = on;
}

void FakeHelloApi::setHang(bool on) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hang_ = on;
  }
  changed_.notify_all();
}

void FakeHelloApi::setResponseDelayMs(int ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  delay_ms_ = ms;
}

void FakeHelloApi::setImage(std::string bytes, std::string mime, int width, int height) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
  image_mime_ = std::move(mime);
  image_width_ = width;
  image_height_ = height;
}

int FakeHelloApi::submits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return submits_;
}

int FakeHelloApi::polls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return polls_;
}

int FakeHelloApi::cancels() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancels_;
}

int FakeHelloApi::downloads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return downloads_;
}

int FakeHelloApi::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(log_.size());
}

std::vector<std::string> FakeHelloApi::log() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return log_;
}

std::string FakeHelloApi::lastAuthorization() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_authorization_;
}

bool FakeHelloApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace aigate::testing
