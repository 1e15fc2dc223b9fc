#include "core/api/server.h"

#include "core/api/url.h"
#include "core/common/crypto.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <sys/socket.h>

#include <cstdio>
#include <thread>

namespace aigate::api {
namespace {

namespace Http = Pistache::Http;

// Set on a request whose declared body is over the limit; the body is not
// read. The name carries a random-looking suffix so no client sends it.
constexpr const char* kBodyTooLargeMark = "X-Aigate-Internal-Body-Too-Large-7Qz";

// A response header with any name (Pistache's own need a class per name).
class NamedHeader : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
  uint64_t hash() const override { return Http::Header::detail::hash(name_.c_str()); }

 private:
  std::string name_;
  std::string value_;
};

// Pistache's body step, preceded by a check of Content-Length against our
// limit: an oversized body is not read, the request is marked and completed
// so that the handler can answer a JSON 413 (Pistache's own is plain text).
class LimitedBodyStep : public Http::Private::Step {
 public:
  LimitedBodyStep(Http::Message* message, size_t max_body,
                  std::unique_ptr<Http::Private::Step> inner)
      : Step(message), max_body_(max_body), inner_(std::move(inner)) {}

  Http::Private::StepId id() const override { return Http::Private::BodyStep::Id; }

  Http::Private::State apply(Pistache::StreamCursor& cursor) override {
    auto& headers = message->headers();
    if (headers.tryGetRaw(kBodyTooLargeMark)) return Http::Private::State::Done;
    if (auto length = headers.tryGet<Http::Header::ContentLength>();
        length && length->value() > max_body_) {
      headers.addRaw(Http::Header::Raw(kBodyTooLargeMark, std::to_string(length->value())));
      return Http::Private::State::Done;
    }
    return inner_->apply(cursor);
  }

 private:
  size_t max_body_;
  std::unique_ptr<Http::Private::Step> inner_;
};

class LimitedParser : public Http::RequestParser {
 public:
  LimitedParser(size_t max_request, size_t max_body)
      : Http::Private::ParserImpl<Http::Request>(max_request) {
    allSteps[2] = std::make_unique<LimitedBodyStep>(&request, max_body, std::move(allSteps[2]));
  }
};

Method toMethod(Http::Method m) {
  switch (m) {
    case Http::Method::Get: return Method::kGet;
    case Http::Method::Head: return Method::kHead;
    case Http::Method::Post: return Method::kPost;
    case Http::Method::Put: return Method::kPut;
    case Http::Method::Patch: return Method::kPatch;
    case Http::Method::Delete: return Method::kDelete;
    case Http::Method::Options: return Method::kOptions;
    default: return Method::kOther;
  }
}

// A client's X-Request-Id is echoed when it is short, printable ASCII.
bool usableRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char ch : id)
    if (ch < 0x21 || ch > 0x7e) return false;
  return true;
}

std::string rawHeader(const Http::Header::Collection& headers, const char* name) {
  auto raw = headers.tryGetRaw(name);
  return raw ? raw->value() : std::string();
}

class HttpHandler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(HttpHandler)

  HttpHandler(App* app, size_t max_body, std::shared_ptr<std::atomic<int>> in_flight)
      : app_(app), max_body_(max_body), in_flight_(std::move(in_flight)) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
    ++*in_flight_;
    auto shared_writer = std::make_shared<Http::ResponseWriter>(std::move(writer));
    const auto& headers = request.headers();
    auto connection = headers.tryGet<Http::Header::Connection>();
    const bool keep_alive = !(connection && connection->control() == Http::ConnectionControl::Close);

    Request req;
    req.received_at = std::chrono::steady_clock::now();
    req.method = toMethod(request.method());
    req.path = request.resource();
    req.request_id = rawHeader(headers, "X-Request-Id");
    if (!usableRequestId(req.request_id)) req.request_id = newId("req");

    auto send = [writer = shared_writer, keep_alive, in_flight = in_flight_](Reply reply) {
      sendReply(*writer, reply, keep_alive);
      --*in_flight;
    };

    if (headers.tryGetRaw(kBodyTooLargeMark)) {
      Reply reply = Reply::fromError(Error(
          ErrorCode::kPayloadTooLarge,
          "The request body is over the limit of " + std::to_string(max_body_) + " bytes.",
          {{"limit_bytes", max_body_}}));
      finishReply(reply, req, nullptr);
      app_->record({req.method, "unmatched", req.request_id, "", req.received_at}, reply);
      sendReply(*shared_writer, reply, /*keep_alive=*/false)
          .then([fd = peerFd(*shared_writer)](ssize_t) { closeSocket(fd); },
                [](std::exception_ptr) {});
      --*in_flight_;
      return;
    }

    for (auto it = request.query().parameters_begin(); it != request.query().parameters_end();
         ++it)
      req.query.emplace_back(urlDecode(it->first, true), urlDecode(it->second, true));
    req.body = request.body();
    if (req.body.size() > max_body_) {  // a chunked body has no Content-Length to check early
      Reply reply = Reply::fromError(Error(
          ErrorCode::kPayloadTooLarge,
          "The request body is over the limit of " + std::to_string(max_body_) + " bytes.",
          {{"limit_bytes", max_body_}}));
      finishReply(reply, req, nullptr);
      app_->record({req.method, "unmatched", req.request_id, "", req.received_at}, reply);
      return send(std::move(reply));
    }
    if (auto auth = headers.tryGet<Http::Header::Authorization>()) req.authorization = auth->value();
    req.idempotency_key = rawHeader(headers, "Idempotency-Key");
    if (auto host = headers.tryGet<Http::Header::Host>()) {
      req.host = host->host();
      if (host->port() != 0 && host->port() != 80) req.host += ":" + host->port().toString();
    }
    req.range = rawHeader(headers, "Range");
    req.if_none_match = rawHeader(headers, "If-None-Match");
    req.if_modified_since = rawHeader(headers, "If-Modified-Since");

    try {
      app_->handle(std::move(req), send);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "aigate: request failed: %s\n", e.what());
      Reply reply = Reply::fromError(Error(ErrorCode::kInternalError, "Internal error."));
      send(std::move(reply));
    }
  }

 private:
  static Pistache::Async::Promise<ssize_t> sendReply(Http::ResponseWriter& w, const Reply& reply,
                                                     bool keep_alive) {
    auto& out = w.headers();
    out.remove<Http::Header::Connection>();
    out.add<Http::Header::Connection>(keep_alive ? Http::ConnectionControl::KeepAlive
                                                 : Http::ConnectionControl::Close);
    for (const auto& [name, value] : reply.headers) out.add(std::make_shared<NamedHeader>(name, value));
    if (reply.head_length) return sendHead(w, reply, keep_alive);
    if (!reply.raw_body.empty() || reply.content_type != "application/json")
      return w.send(static_cast<Http::Code>(reply.status), reply.raw_body,
                    Pistache::Http::Mime::MediaType::fromString(reply.content_type));
    return w.send(static_cast<Http::Code>(reply.status),
                  reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  MIME(Application, Json));
  }

  // Pistache always writes the Content-Length of the body it sends, so a HEAD
  // answer (the length of the body it does not send) is written by hand.
  static Pistache::Async::Promise<ssize_t> sendHead(Http::ResponseWriter& w, const Reply& reply,
                                                    bool keep_alive) {
    auto peer = w.peer();
    if (!peer) return Pistache::Async::Promise<ssize_t>::rejected(std::runtime_error("gone"));
    std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                       Http::codeString(static_cast<Http::Code>(reply.status)) + "\r\n";
    head += "Content-Type: " + reply.content_type + "\r\n";
    head += "Content-Length: " + std::to_string(*reply.head_length) + "\r\n";
    head += keep_alive ? "Connection: Keep-Alive\r\n" : "Connection: Close\r\n";
    for (const auto& [name, value] : reply.headers) head += name + ": " + value + "\r\n";
    head += "\r\n";
    const size_t size = head.size();
    return peer->send(Pistache::RawBuffer(std::move(head), size));
  }

  static int peerFd(const Http::ResponseWriter& writer) {
    auto peer = writer.peer();
    return peer ? peer->fd() : -1;
  }

  // Ends a connection whose unread body we refuse to take.
  static void closeSocket(int fd) {
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  }

  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    peer->putData(ParserData, std::static_pointer_cast<Http::RequestParser>(
                                  std::make_shared<LimitedParser>(getMaxRequestSize(), max_body_)));
  }

  App* app_;
  size_t max_body_;
  std::shared_ptr<std::atomic<int>> in_flight_;
};

}  // namespace

ServerOptions serverOptions(const config::Config& cfg, const std::string& host, uint16_t port) {
  ServerOptions o;
  o.host = host;
  o.port = port;
  o.threads = cfg.server.threads;
  o.max_body_bytes = static_cast<size_t>(cfg.server.max_body_bytes);
  o.header_timeout = std::chrono::milliseconds(cfg.server.header_timeout_ms);
  o.body_timeout = std::chrono::milliseconds(cfg.server.body_timeout_ms);
  o.keepalive_timeout = std::chrono::seconds(cfg.server.keepalive_timeout_s);
  return o;
}

Server::Server(App& app, ServerOptions options)
    : app_(app), options_(std::move(options)), in_flight_(std::make_shared<std::atomic<int>>(0)) {}

Server::~Server() {
  if (running_) shutdown(std::chrono::milliseconds(0));
}

void Server::start() {
  Pistache::Address address(options_.host, Pistache::Port(options_.port));
  endpoint_ = std::make_unique<Http::Endpoint>(address);
  // Headers and chunked framing get room beyond the body limit; bodies with a
  // Content-Length are held to the limit itself by LimitedBodyStep.
  const size_t max_request = options_.max_body_bytes + 64 * 1024;
  auto opts = Http::Endpoint::options()
                  .threads(options_.threads)
                  .flags(Pistache::Tcp::Options::ReuseAddr | Pistache::Tcp::Options::NoDelay)
                  .maxRequestSize(max_request)
                  .maxResponseSize(64 * 1024 * 1024)
                  .headerTimeout(options_.header_timeout)
                  .bodyTimeout(options_.body_timeout)
                  .keepaliveTimeout(options_.keepalive_timeout);
  endpoint_->init(opts);
  endpoint_->setHandler(std::make_shared<HttpHandler>(&app_, options_.max_body_bytes, in_flight_));
  endpoint_->serveThreaded();
  port_ = static_cast<uint16_t>(endpoint_->getPort());
  running_ = true;
}

void Server::shutdown(std::chrono::milliseconds grace) {
  if (!running_) return;
  app_.startDraining();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (in_flight_->load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // Replies handed to Pistache are written by its reactor; give them a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  endpoint_->shutdown();
  endpoint_.reset();  // closes the listening socket
  running_ = false;
}

}  // namespace aigate::api
