#include "tests/fakes/fake_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace aigate::testing {
namespace {

constexpr size_t kMaxLine = 16 * 1024;
constexpr size_t kMaxHeaders = 100;
constexpr size_t kMaxBody = 64 * 1024 * 1024;

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

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string::npos ? path.size() : slash;
    if (end > start) segments.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

std::string percentDecode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      const auto result = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (result.ec == std::errc() && result.ptr == text.data() + i + 3) {
        out += static_cast<char>(value);
        i += 2;
      } else {
        out += '%';
      }
    } else {
      out += text[i];
    }
  }
  return out;
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
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

bool parseSize(const std::string& text, int base, size_t& out) {
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, out, base);
  return !text.empty() && result.ec == std::errc() && result.ptr == end;
}

}  // namespace

std::string FakeRequest::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string FakeRequest::bearerToken() const {
  const std::string value = trim(header("authorization"));
  if (value.size() < 7 || lower(value.substr(0, 7)) != "bearer ") return "";
  return trim(value.substr(7));
}

std::string FakeRequest::queryParam(const std::string& name) const {
  size_t start = 0;
  while (start <= query.size()) {
    const auto amp = query.find('&', start);
    const std::string pair =
        query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    const auto equals = pair.find('=');
    if (percentDecode(pair.substr(0, equals)) == name)
      return equals == std::string::npos ? "" : percentDecode(pair.substr(equals + 1));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return "";
}

FakeResponse jsonResponse(int status, const nlohmann::json& body, FakeHeaders headers) {
  FakeResponse response;
  response.status = status;
  response.body = body.dump();
  response.headers = std::move(headers);
  return response;
}

FakeResponse errorResponse(int status, const std::string& message, FakeHeaders headers) {
  return jsonResponse(status, {{"error", {{"message", message}}}}, std::move(headers));
}

bool matchPath(const std::string& pattern, const std::string& path, FakeRoutes::Params* params) {
  const auto want = splitPath(pattern);
  const auto have = splitPath(path);
  FakeRoutes::Params found;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "*" && i + 1 == want.size()) {
      std::string rest;
      for (size_t j = i; j < have.size(); ++j) rest += (j > i ? "/" : "") + have[j];
      found["*"] = rest;
      if (params) *params = std::move(found);
      return true;
    }
    if (i >= have.size()) return false;
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}')
      found[want[i].substr(1, want[i].size() - 2)] = have[i];
    else if (want[i] != have[i])
      return false;
  }
  if (want.size() != have.size()) return false;
  if (params) *params = std::move(found);
  return true;
}

FakeRoutes& FakeRoutes::on(std::string method, std::string pattern, Route route) {
  routes_.push_back({std::move(method), std::move(pattern), std::move(route)});
  return *this;
}

FakeResponse FakeRoutes::operator()(const FakeRequest& request) const {
  for (const Entry& entry : routes_) {
    Params params;
    if ((entry.method == "*" || entry.method == request.method) &&
        matchPath(entry.pattern, request.path, &params))
      return entry.route(request, params);
  }
  return errorResponse(404, "no such route");
}

FakeServer::FakeServer(Handler handler, uint16_t port) : handler_(std::move(handler)) {
  const auto fail = [this](const std::string& what) {
    const std::string message = "FakeServer: " + what + ": " + std::strerror(errno);
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
  accept_thread_ = std::thread(&FakeServer::acceptLoop, this);
}

FakeServer::~FakeServer() {
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

std::string FakeServer::baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeServer::acceptLoop() {
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
    connection.thread = std::thread(&FakeServer::serve, this, fd, &connection);
  }
}

// Reads requests from one client socket; gives up on EOF, error or shutdown.
class FakeServer::RequestReader {
 public:
  enum Result { kRequest, kClosed, kMalformed };

  RequestReader(int fd, int wake_fd) : fd_(fd), wake_fd_(wake_fd) {}

  Result next(FakeRequest& out) {
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
    const auto question = target.find('?');
    out.path = target.substr(0, question);
    out.query = question == std::string::npos ? "" : target.substr(question + 1);
    for (;;) {
      if (!readLine(line)) return kClosed;
      if (line.empty()) break;
      const auto colon = line.find(':');
      if (colon == std::string::npos || out.headers.size() >= kMaxHeaders) return kMalformed;
      out.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    }
    const std::string connection = lower(out.header("connection"));
    out.keep_alive = version == "HTTP/1.1" ? connection != "close" : connection == "keep-alive";
    if (lower(out.header("expect")) == "100-continue" &&
        !sendAll(fd_, "HTTP/1.1 100 Continue\r\n\r\n", wake_fd_))
      return kClosed;
    if (lower(out.header("transfer-encoding")).find("chunked") != std::string::npos)
      return readChunked(out.body);
    const std::string length_text = out.header("content-length");
    if (length_text.empty()) return kRequest;
    size_t length = 0;
    if (!parseSize(length_text, 10, length) || length > kMaxBody) return kMalformed;
    return readExactly(length, out.body) ? kRequest : kClosed;
  }

 private:
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

void FakeServer::serve(int fd, Connection* connection) {
  const int wake_fd = wake_fds_[0];
  RequestReader reader(fd, wake_fd);
  for (;;) {
    FakeRequest request;
    const auto result = reader.next(request);
    if (result == RequestReader::kMalformed)
      sendAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
              wake_fd);
    if (result != RequestReader::kRequest || !admit(request)) break;
    const FakeResponse response = answer(request);
    if (response.drop) break;
    std::string head =
        "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) + "\r\n";
    if (!response.content_type.empty()) head += "Content-Type: " + response.content_type + "\r\n";
    for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
    head += "Content-Length: " + std::to_string(response.body.size()) +
            "\r\nConnection: " + (request.keep_alive ? "keep-alive" : "close") + "\r\n\r\n";
    if (!sendAll(fd, head + response.body, wake_fd) || !request.keep_alive) break;
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mutex_);
  connection->finished = true;
}

bool FakeServer::admit(const FakeRequest& request) {
  std::unique_lock<std::mutex> lock(mutex_);
  received_.push_back(request);
  if (hang_) {
    changed_.wait(lock, [this] { return stopping_ || !hang_; });
    return false;
  }
  if (delay_ms_ > 0)
    changed_.wait_for(lock, std::chrono::milliseconds(delay_ms_), [this] { return stopping_; });
  return !stopping_;
}

FakeResponse FakeServer::answer(const FakeRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fail_count_ > 0) {
      --fail_count_;
      return fail_response_;
    }
    if (garbage_ && request.path.compare(0, garbage_prefix_.size(), garbage_prefix_) == 0)
      return {200, "<html>not json", "text/html", {}, false};
  }
  try {
    return handler_(request);
  } catch (const std::exception& e) {  // a fake's bug must not take the test process down
    return errorResponse(500, std::string("fake handler threw: ") + e.what());
  }
}

void FakeServer::setHang(bool on) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hang_ = on;
  }
  changed_.notify_all();
}

void FakeServer::setResponseDelayMs(int ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  delay_ms_ = ms;
}

void FakeServer::failNext(int count, int status, std::string body, FakeHeaders headers) {
  std::lock_guard<std::mutex> lock(mutex_);
  fail_count_ = count;
  fail_response_ =
      FakeResponse{status, std::move(body), "application/json", std::move(headers), false};
}

void FakeServer::setGarbage(bool on, std::string path_prefix) {
  std::lock_guard<std::mutex> lock(mutex_);
  garbage_ = on;
  garbage_prefix_ = std::move(path_prefix);
}

int FakeServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(received_.size());
}

std::vector<std::string> FakeServer::log() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> lines;
  lines.reserve(received_.size());
  for (const FakeRequest& request : received_) lines.push_back(request.method + " " + request.path);
  return lines;
}

std::vector<FakeRequest> FakeServer::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

int FakeServer::count(const std::string& method, const std::string& pattern) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(std::count_if(received_.begin(), received_.end(), [&](const auto& r) {
    return r.method == method && matchPath(pattern, r.path);
  }));
}

bool FakeServer::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace aigate::testing
