#include "core/api/app.h"

#include "core/api/openai_errors.h"
#include "core/byok/keystore.h"
#include "core/common/crypto.h"
#include "core/common/log.h"
#include "core/credits/idempotency.h"
#include "core/credits/ledger.h"
#include "core/jobs/executor.h"
#include "core/library/search_index.h"
#include "core/limits/limits.h"
#include "core/metrics/gateway_metrics.h"

#include <cctype>
#include <cmath>

namespace aigate::api {
namespace {

constexpr size_t kMaxIdempotencyKey = 255;

std::optional<std::string_view> bearerToken(std::string_view header) {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size()) return std::nullopt;
  for (size_t i = 0; i < kBearer.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kBearer[i])))
      return std::nullopt;
  }
  auto token = header.substr(kBearer.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return token;
}

Error missingKey() {
  return Error(ErrorCode::kMissingApiKey,
               "Send your API key as \"Authorization: Bearer sk-aigate-...\".");
}

Error methodNotAllowed(const Request& req, const std::vector<Method>& allowed, Reply& reply) {
  std::string allow;
  for (Method m : allowed) {
    if (!allow.empty()) allow += ", ";
    allow += methodName(m);
  }
  reply.headers.emplace_back("Allow", allow);
  return Error(ErrorCode::kMethodNotAllowed,
               std::string(methodName(req.method)) + " is not allowed on " + req.path + ".",
               {{"allowed", allow}});
}

// The scrape-time gauges read from the store.
void collectStoreMetrics(store::Store& store, metrics::Collection& out) {
  auto& reader = store.reader();
  const auto active = jobs::countActive(reader);
  const char* help =
      "Generation jobs queued or running (ended jobs are counted by aigate_generations_total).";
  out.gauge("aigate_jobs", help, {{"state", "queued"}}, static_cast<double>(active.queued));
  out.gauge("aigate_jobs", help, {{"state", "running"}}, static_cast<double>(active.running));
  out.gauge("aigate_credits_held", "Credits held for generations that have not ended.", {},
            static_cast<double>(credits::totalHeld(reader)));
}

// A reply's body as JSON, also when it is stored text (an idempotent replay).
nlohmann::json replyJson(const Reply& reply) {
  if (reply.raw_body.empty()) return reply.body;
  if (reply.content_type != "application/json") return nullptr;
  return nlohmann::json::parse(reply.raw_body, nullptr, false);
}

nlohmann::json fieldOrNull(const nlohmann::json& body, const char* name) {
  if (!body.is_object()) return nullptr;
  auto it = body.find(name);
  return it == body.end() ? nlohmann::json(nullptr) : *it;
}

Sha256 requestHash(const Request& req) {
  std::string material(methodName(req.method));
  material += ' ';
  material += req.path;
  material += '\n';
  material += req.body;
  return sha256(material);
}

}  // namespace

std::string_view methodName(Method m) {
  switch (m) {
    case Method::kGet: return "GET";
    case Method::kHead: return "HEAD";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kPatch: return "PATCH";
    case Method::kDelete: return "DELETE";
    case Method::kOptions: return "OPTIONS";
    case Method::kOther: break;
  }
  return "OTHER";
}

const std::string* Request::queryParam(std::string_view name) const {
  for (const auto& [key, value] : query)
    if (key == name) return &value;
  return nullptr;
}

void finishReply(Reply& reply, const Request& req, const int64_t* credits_balance) {
  reply.headers.emplace_back("X-Request-Id", req.request_id);
  if (isOpenAiPath(req.path)) toOpenAiShape(reply);
  if (credits_balance && reply.raw_body.empty() && reply.body.is_object() &&
      !reply.body.contains("credits_balance"))
    reply.body["credits_balance"] = *credits_balance;
  if (reply.status == 429 && reply.raw_body.empty() && reply.body.is_object()) {
    auto it = reply.body.find("retry_after");
    if (it != reply.body.end() && it->is_number_integer())
      reply.headers.emplace_back("Retry-After", std::to_string(it->get<int64_t>()));
  }
}

App::App(config::Config config, store::Store& store, storage::AssetStorage& storage,
         std::string admin_token)
    : config_(std::move(config)),
      store_(store),
      storage_(storage),
      admin_token_(std::move(admin_token)) {
  library::setMemoryIndexMinAssets(store_.reader(), config_.library.memory_index_min_assets);
  addHealthRoutes(router_);
  addAccountRoutes(router_);
  addAdminRoutes(router_);
  addLibraryRoutes(router_);
  addGenerateRoutes(router_);
  addRoutingRoutes(router_);
  addJobRoutes(router_);
  addByokRoutes(router_);
  addWebhookRoutes(router_);
  addMetricsRoutes(router_, config_.metrics.require_token);
  addOpenAiRoutes(router_);
  log::setFormat(log::formatFromName(config_.log.format));
  metrics::registerGatewayMetrics();
  store_metrics_ = metrics::registry().addCollector(
      [&store = store_](metrics::Collection& out) { collectStoreMetrics(store, out); });
}

void App::record(const Exchange& exchange, const Reply& reply) const {
  using namespace std::chrono;
  const double seconds = duration<double>(steady_clock::now() - exchange.received_at).count();
  const std::string_view method = methodName(exchange.method);
  metrics::countRequest(method, exchange.route, reply.status, seconds);
  if (!config_.log.requests) return;
  const nlohmann::json body = replyJson(reply);
  nlohmann::ordered_json fields = {
      {"request_id", exchange.request_id},
      {"user_id", exchange.user_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(exchange.user_id)},
      {"method", method},
      {"route", exchange.route},
      {"status", reply.status},
      {"latency_ms", std::round(seconds * 1e6) / 1e3},
      {"source", fieldOrNull(body, "source")},
      {"provider", fieldOrNull(body, "provider")},
      {"credits", fieldOrNull(body, "credits_charged")}};
  if (reply.status >= 400) fields["error"] = fieldOrNull(body, "error");
  log::eventNow("request", fields);  // out before the reply
}

void App::startDraining() {
  draining_ = true;
  if (executor_) executor_->releaseWatchers();
}

std::vector<std::string> App::byokProviders(const std::string& user_id) {
  return byok::providersWithKeys(store_.reader(), user_id);
}

std::string App::baseUrl(const Request& req) const {
  if (!config_.server.public_url.empty()) {
    std::string url = config_.server.public_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
  }
  return "http://" + (req.host.empty() ? config_.server.listen : req.host);
}

void App::handle(Request req, Send send) {
  if (req.received_at == std::chrono::steady_clock::time_point{})
    req.received_at = std::chrono::steady_clock::now();
  // Every reply, whichever path sends it, is counted and logged once.
  auto exchange = std::make_shared<Exchange>(
      Exchange{req.method, "unmatched", req.request_id, "", req.received_at});
  send = [this, exchange, inner = std::move(send)](Reply reply) {
    record(*exchange, reply);
    inner(std::move(reply));
  };
  auto answer = [&](Reply reply, const int64_t* balance) {
    finishReply(reply, req, balance);
    send(std::move(reply));
  };
  if (draining_) {
    Reply reply = Reply::fromError(
        Error(ErrorCode::kShuttingDown, "The gateway is shutting down; retry shortly."));
    reply.headers.emplace_back("Retry-After", "1");
    return answer(std::move(reply), nullptr);
  }

  const RouteMatch match = router_.match(req.method, req.path, req.params);
  if (!match.route) {
    Reply reply;
    Error error = match.allowed.empty()
                      ? Error(ErrorCode::kNotFound, "No route " + req.path + ".")
                      : methodNotAllowed(req, match.allowed, reply);
    reply.status = error.status();
    reply.body = error.toJson();
    return answer(std::move(reply), nullptr);
  }
  exchange->route = match.route->pattern;

  std::optional<accounts::KeyOwner> caller;
  if (match.route->access != Access::kPublic) {
    auto token = bearerToken(req.authorization);
    if (!token) return answer(Reply::fromError(missingKey()), nullptr);
    if (match.route->access == Access::kAdmin) {
      if (admin_token_.empty() || !constantTimeEquals(*token, admin_token_))
        return answer(Reply::fromError(Error(ErrorCode::kInvalidApiKey,
                                             admin_token_.empty()
                                                 ? "The admin API is off: set the admin token."
                                                 : "The admin token is not valid.")),
                      nullptr);
    } else {
      caller = accounts::authenticate(store_.reader(), *token);
      if (!caller)
        return answer(Reply::fromError(Error(ErrorCode::kInvalidApiKey,
                                             "This API key is not valid or was revoked.")),
                      nullptr);
      exchange->user_id = caller->user.id;
      const auto& tier = limits::tierLimits(config_, caller->user.tier);
      const auto decision =
          limiter_.check(caller->key_id, tier.requests_per_minute, limits::Clock::now());
      if (!decision.allowed) {
        metrics::countRateLimited("requests_per_minute");
        const int64_t balance = caller->balance.available();
        return answer(
            Reply::fromError(limits::requestRateError(decision, tier.requests_per_minute)),
            &balance);
      }
    }
  }
  if (req.idempotency_key.size() > kMaxIdempotencyKey) {
    return answer(Reply::fromError(Error::invalidField(
                      "Idempotency-Key", "The Idempotency-Key header must be at most 255 "
                                         "characters.")),
                  nullptr);
  }

  Context ctx{req, *this, caller ? &*caller : nullptr};
  Outcome outcome = match.route->handler(ctx);
  const int64_t balance = caller ? caller->balance.available() : 0;
  const int64_t* balance_ptr = caller ? &balance : nullptr;
  if (auto* reply = std::get_if<Reply>(&outcome)) return answer(std::move(*reply), balance_ptr);
  if (auto* error = std::get_if<Error>(&outcome)) return answer(Reply::fromError(*error), balance_ptr);
  if (auto* deferred = std::get_if<Deferred>(&outcome)) {
    auto shared_req = std::make_shared<Request>(std::move(req));
    (*deferred)([shared_req, send = std::move(send)](Reply reply) {
      finishReply(reply, *shared_req, nullptr);
      send(std::move(reply));
    });
    return;
  }
  runWrite(std::make_shared<Request>(std::move(req)), match.route->access, std::move(caller),
           std::move(std::get<TxnHandler>(outcome)), std::move(send));
}

void App::runWrite(std::shared_ptr<Request> req, Access access,
                   std::optional<accounts::KeyOwner> caller, TxnHandler txn, Send send) {
  struct State {
    Reply reply;
    std::optional<int64_t> balance;
  };
  auto state = std::make_shared<State>();
  if (caller) state->balance = caller->balance.available();  // until the write reads it anew
  // Keys are scoped to the caller: a user, or the operator. Public routes
  // (registration) have no caller to scope them to.
  const bool idempotent = req->method == Method::kPost && !req->idempotency_key.empty() &&
                          access != Access::kPublic;
  const std::string scope = caller ? caller->user.id : std::string("admin");
  const int64_t ttl = static_cast<int64_t>(config_.idempotency.ttl_hours) * 3600;

  auto apply = [=, txn = std::move(txn)](store::Conn& c) -> Status {
    if (idempotent) {
      const auto check = credits::beginIdempotent(c, scope, req->idempotency_key,
                                                  requestHash(*req), ttl);
      switch (check.kind) {
        case credits::IdempotencyCheck::kReplay:
          state->reply.status = check.stored.status;
          state->reply.raw_body = check.stored.body;
          state->reply.headers.emplace_back("Idempotent-Replayed", "true");
          return Status::Ok();
        case credits::IdempotencyCheck::kMismatch:
          state->reply = Reply::fromError(Error(
              ErrorCode::kIdempotencyConflict,
              "This Idempotency-Key was already used with a different request."));
          break;
        case credits::IdempotencyCheck::kRunning:
          state->reply = Reply::fromError(Error(
              ErrorCode::kIdempotencyConflict,
              "The first request with this Idempotency-Key is still running; retry later."));
          break;
        case credits::IdempotencyCheck::kNew:
          break;
      }
      if (check.kind != credits::IdempotencyCheck::kNew) {
        if (caller) state->balance = credits::balanceOf(c, caller->user.id)->available();
        return Status::Ok();
      }
    }
    c.statement("SAVEPOINT handler").exec();
    Result<Reply> result = txn(c);
    if (!result.ok()) c.statement("ROLLBACK TO handler").exec();
    c.statement("RELEASE handler").exec();
    state->reply = result.ok() ? std::move(result.value()) : Reply::fromError(result.error());
    if (caller) {
      // The balance for the body and the header; a reply that answers after
      // the commit (a generation waited for) has its own.
      auto& body = state->reply.body;
      const bool in_body = body.is_object() && body.contains("credits_balance");
      if (!in_body || !state->reply.after_commit) {
        state->balance = credits::balanceOf(c, caller->user.id)->available();
        if (body.is_object() && !in_body) body["credits_balance"] = *state->balance;
      }
    }
    if (isOpenAiPath(req->path)) toOpenAiShape(state->reply);  // replayed as sent
    if (idempotent) {
      // Refusals to retry later are not the key's answer: a retry runs anew.
      if (state->reply.status >= 500 || state->reply.status == 429)
        credits::forgetIdempotent(c, scope, req->idempotency_key);
      else
        credits::finishIdempotent(c, scope, req->idempotency_key,
                                  {state->reply.status, state->reply.body.dump()});
    }
    return Status::Ok();
  };

  auto done = [req, state, send = std::move(send)](const Status& status) {
    Reply reply = status.ok() ? std::move(state->reply) : Reply::fromError(status.error());
    const int64_t* balance = state->balance ? &*state->balance : nullptr;
    auto after_commit = std::move(reply.after_commit);
    reply.after_commit = nullptr;
    if (!after_commit || !status.ok()) {
      finishReply(reply, *req, balance);
      return send(std::move(reply));
    }
    after_commit(std::move(reply), [req, send](Reply final_reply) {
      finishReply(final_reply, *req, nullptr);
      send(std::move(final_reply));
    });
  };
  store_.write(std::move(apply), std::move(done));
}

}  // namespace aigate::api
