// POST /api/v1/generate/image and /video: library first. A good library match
// is charged at the library price and returned at once. Otherwise the cost is
// held and a job is created in one transaction; the job runs through the
// provider chain on the executor, and the request waits for it (images, up
// to generation.image_wait_s; or `wait_s`) or answers 202 with the job.
// Also the shared generation path of generate.h.
#include "core/api/generate.h"
#include "core/api/json_body.h"
#include "core/api/query_params.h"
#include "core/credits/ledger.h"
#include "core/http/ssrf.h"
#include "core/jobs/executor.h"
#include "core/jobs/routes.h"
#include "core/library/asset.h"
#include "core/library/catalog.h"
#include "core/library/matcher.h"
#include "core/limits/limits.h"
#include "core/metrics/gateway_metrics.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

namespace aigate::api {
namespace {

size_t utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) ++n;
  return n;
}

int64_t randomSeed() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return static_cast<int64_t>(rng() >> 33);  // 0 .. 2^31-1: every provider takes it
}

// The `routing` object of a request: smart-routing hints.
Status readRoutingHints(const nlohmann::json& body, routing::Hints& hints) {
  auto it = body.find("routing");
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_object()) return Error::invalidField("routing", "routing must be an object.");
  for (const auto& [key, value] : it->items()) {
    const std::string field = "routing." + key;
    if (key == "strategy") {
      auto strategy = value.is_string() ? routing::parseStrategy(value.get<std::string>()) : std::nullopt;
      if (!strategy)
        return Error::invalidField(field, "routing.strategy must be one of fallback, weighted, cheapest, fastest.");
      hints.strategy = strategy;
    } else if (key == "allow" || key == "exclude") {
      if (!value.is_array() || value.size() > 64)
        return Error::invalidField(field, field + " must be a list of provider names.");
      auto& out = key == "allow" ? hints.allow : hints.exclude;
      for (const auto& name : value) {
        if (!name.is_string() || name.get_ref<const std::string&>().size() > 64)
          return Error::invalidField(field, field + " must be a list of provider names.");
        out.push_back(name.get<std::string>());
      }
    } else if (key == "max_credits") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0)
        return Error::invalidField(field, "routing.max_credits must be a whole number of credits, 0 or more.");
      hints.max_credits = value.get<int64_t>();
    } else {
      return Error::invalidField(field, "Unknown routing hint \"" + key +
                                            "\"; known: strategy, allow, exclude, max_credits.");
    }
  }
  return Status::Ok();
}

// Reads and checks the body; Scale-only fields below Scale are 403.
Result<GenerateRequest> readRequest(Context& ctx) {
  const auto& cfg = ctx.app.config();
  auto body = parseJsonObject(ctx.req.body);
  if (!body) return body.error();
  Fields f(*body);
  GenerateRequest g;
  auto prompt = f.string("prompt", true, 4 * kMaxPromptChars);
  auto ratio = f.string("aspect_ratio", false, 8);
  auto topic = f.string("topic", false, 64);
  auto force = f.boolean("force_gen", false);
  auto provider = f.string("provider", false, 64);
  auto model = f.string("model", false, 128);
  auto webhook_url = f.string("webhook_url", false, 2048);
  auto async = f.boolean("async", false);
  auto wait_s = f.integer("wait_s", false, 0, 600);
  auto seed = f.integer("seed", false, 0, (int64_t{1} << 53) - 1);
  if (!f.ok()) return f.error();
  if (auto s = readRoutingHints(*body, g.hints); !s) return s.error();
  if (auto checked = checkPromptLength(*prompt); !checked) return checked.error();
  g.prompt = *prompt;
  if (ratio) {
    if (auto s = checkAspectRatio(*ratio); !s) return s.error();
    g.aspect_ratio = *ratio;
  }
  if (topic && !topic->empty()) g.topic = *topic;
  g.force_gen = force.value_or(false);
  g.async = async.value_or(false);
  if (wait_s) g.wait_s = static_cast<int>(*wait_s);
  g.seed = seed;
  if (provider && !provider->empty()) g.hints.provider = *provider;
  if (model && !model->empty()) g.hints.model = *model;

  const int level = ctx.caller->user.tier_level;
  auto scaleOnly = [&](const char* field, const char* feature, int required) -> std::optional<Error> {
    auto it = body->find(field);
    if (it == body->end() || it->is_null() || level >= required) return std::nullopt;
    return featureNotIncluded(cfg, feature, required, field);
  };
  for (auto [field, feature, required] :
       {std::tuple{"provider", "smart_routing", cfg.features.smart_routing},
        std::tuple{"model", "smart_routing", cfg.features.smart_routing},
        std::tuple{"routing", "smart_routing", cfg.features.smart_routing},
        std::tuple{"webhook_url", "webhooks", cfg.features.webhooks}}) {
    if (auto refused = scaleOnly(field, feature, required)) return *refused;
  }
  if (webhook_url && !webhook_url->empty()) {
    http::SsrfPolicy policy;
    policy.allow_hosts = cfg.webhooks.allow_hosts;
    auto vetted = http::vetUrl(*webhook_url, policy);
    if (!vetted) return Error::invalidField("webhook_url", vetted.error().message());
    g.webhook_url = vetted->url;
  }
  return g;
}

// The reply of a finished (or still running) generation job.
// What the executor's end of the job brought (job.asset, balance_after) is
// used as it is; the rest is read.
Reply jobReply(App& app, const std::string& base_url, const jobs::Job& job) {
  int64_t available = 0;
  if (job.balance_after) {
    available = *job.balance_after;
  } else if (auto balance = credits::balanceOf(app.store().reader(), job.user_id)) {
    available = balance->available();
  }
  if (job.status == "succeeded" && job.asset_id) {
    std::optional<library::Asset> asset;
    if (job.asset) asset = *job.asset;
    else asset = library::findAsset(app.store().reader(), *job.asset_id);
    if (asset) {
      return Reply::json(200, {{"source", "generated"},
                               {"asset", library::assetJson(*asset, base_url)},
                               {"credits_charged", job.cost},
                               {"credits_balance", available},
                               {"request_id", job.request_id},
                               {"provider", job.provider()},
                               {"byok", job.byok},
                               {"match_score", nullptr},
                               {"job_id", job.id}});
    }
  }
  if (job.status == "failed") {
    const bool upstream = job.error_code == "upstream_error";
    Error error(upstream ? ErrorCode::kUpstreamError : ErrorCode::kGenerationUnavailable,
                job.error_message.empty() ? "The generation failed." : job.error_message,
                {{"provider", job.provider()},
                 {"provider_error", job.provider_error},
                 {"job_id", job.id},
                 {"request_id", job.request_id},
                 {"credits_charged", 0},
                 {"credits_balance", available}});
    return Reply::fromError(error);
  }
  return Reply::json(202, {{"source", "generated"},
                           {"job", jobs::jobJson(job, std::nullopt, base_url)},
                           {"credits_reserved", job.active() ? job.cost : 0},
                           {"credits_balance", available},
                           {"request_id", job.request_id}});
}

// A library answer: charged at the library price in the write.
TxnHandler libraryReply(Context& ctx, const std::string& kind, const library::Match& match) {
  return TxnHandler([user_id = ctx.caller->user.id, price = libraryPrice(ctx.app.config(), kind), kind,
                     request_id = ctx.req.request_id,
                     asset = library::assetJson(*match.asset, ctx.app.baseUrl(ctx.req)),
                     score = match.score](store::Conn& c) -> Result<Reply> {
    auto charged = chargeLibraryAsset(c, user_id, price, request_id, asset["id"], kind);
    if (!charged) return charged.error();
    return Reply::json(200, {{"source", "library"},
                             {"asset", asset},
                             {"credits_charged", price},
                             {"credits_balance", charged->available()},
                             {"request_id", request_id},
                             {"provider", nullptr},
                             {"byok", false},
                             {"match_score", std::round(score * 1000) / 1000}});
  });
}

Outcome generate(Context& ctx, const std::string& kind) {
  const auto& cfg = ctx.app.config();
  if (auto refused = refuseKind(ctx, kind)) return *refused;
  auto request = readRequest(ctx);
  if (!request) return request.error();
  auto plan = planGeneration(ctx, kind, *request, 1);
  if (!plan) return plan.error();
  PlannedResult& planned = plan->front();
  if (planned.match) return libraryReply(ctx, kind, *planned.match);

  int wait_s = kind == "image" ? cfg.generation.image_wait_s : 0;
  if (request->wait_s) wait_s = *request->wait_s;
  if (request->async) wait_s = 0;

  const int max_active = limits::tierLimits(cfg, ctx.caller->user.tier).concurrent_generations;
  return TxnHandler([job = std::move(*planned.job), wait_s, max_active, &app = ctx.app,
                     base_url = ctx.app.baseUrl(ctx.req)](store::Conn& c) -> Result<Reply> {
    auto created = jobs::createJob(c, job, max_active);
    if (!created) return created.error();
    // The row was written in this transaction; answer from it, not a reader.
    if (auto balance = credits::balanceOf(c, created->user_id)) created->balance_after = balance->available();
    Reply reply = jobReply(app, base_url, *created);
    created->balance_after.reset();
    reply.after_commit = [&app, base_url, job = *created, wait_s](
                             Reply provisional, std::function<void(Reply)> send) {
      jobs::Executor* executor = app.executor();
      executor->submit(job);
      if (wait_s <= 0) return send(std::move(provisional));
      executor->watch(job.id, std::chrono::steady_clock::now() + std::chrono::seconds(wait_s),
                      [&app, base_url, id = job.id, send](std::optional<jobs::Job> final_job) {
                        if (!final_job) final_job = jobs::findJob(app.store().reader(), id);
                        if (!final_job) return send(Reply::fromError(Error(
                            ErrorCode::kInternalError, "The job " + id + " vanished.")));
                        send(jobReply(app, base_url, *final_job));
                      });
    };
    return reply;
  });
}

Outcome generateImage(Context& ctx) { return generate(ctx, "image"); }
Outcome generateVideo(Context& ctx) { return generate(ctx, "video"); }

}  // namespace

Status checkPromptLength(const std::string& prompt) {
  if (utf8Length(prompt) > kMaxPromptChars)
    return Error::invalidField("prompt", "prompt must be at most 4000 characters.");
  return Status::Ok();
}

int64_t libraryPrice(const config::Config& cfg, const std::string& kind) {
  return kind == "video" ? cfg.prices.library_video : cfg.prices.library_image;
}

std::optional<Error> refuseKind(const Context& ctx, const std::string& kind) {
  const auto& cfg = ctx.app.config();
  if (kind != "video" || ctx.caller->user.tier_level >= cfg.features.video) return std::nullopt;
  const std::string tier = tierFor(cfg, cfg.features.video);
  return Error(ErrorCode::kVideoNotIncluded,
               "Video needs the " + tier + " tier or above; buy a credit pack to unlock it.",
               {{"required_tier", tier}});
}

Result<credits::Balance> chargeLibraryAsset(store::Conn& c, const std::string& user_id,
                                            int64_t price, const std::string& request_id,
                                            const std::string& asset_id, const std::string& kind) {
  auto charged = credits::charge(c, user_id, price, {request_id, "library " + asset_id});
  if (charged) metrics::countLibraryHit(kind);
  return charged;
}

Result<std::vector<PlannedResult>> planGeneration(Context& ctx, const std::string& kind,
                                                  const GenerateRequest& request, size_t count) {
  const auto& cfg = ctx.app.config();
  std::vector<PlannedResult> plan;
  if (!request.force_gen) {
    library::MatchRequest m{request.prompt, kind, request.aspect_ratio, request.topic,
                            ctx.caller->user.id};
    for (auto& match : library::rankedMatches(ctx.app.store().reader(), m, count)) {
      if (match.score < cfg.library.match_threshold) break;
      plan.push_back({std::move(match), std::nullopt});
    }
  }
  if (plan.size() == count) return plan;

  const char* why = request.force_gen
                        ? "force_gen asks for a generation, and "
                        : "No library asset matches this prompt well enough, and ";
  jobs::Routes* routes = ctx.app.routes();
  if (!ctx.app.executor() || !routes)
    return Error(ErrorCode::kGenerationUnavailable,
                 std::string(why) + "this gateway has no generation providers.",
                 {{"request_id", ctx.req.request_id}});
  // Hints must name providers this gateway has.
  const auto table = routes->table();
  const routing::Hints& hints = request.hints;
  if (hints.provider) {
    const routing::ProviderInfo* p = table->provider(*hints.provider);
    if (!p)
      return Error(ErrorCode::kInvalidRequest, "Unknown provider \"" + *hints.provider + "\".",
                   {{"field", "provider"}});
    if (std::find(p->kinds.begin(), p->kinds.end(), kind) == p->kinds.end())
      return Error(ErrorCode::kInvalidRequest,
                   "The provider " + *hints.provider + " cannot make " + kind + "s.",
                   {{"field", "provider"}});
  }
  for (const auto* list : {&hints.allow, &hints.exclude})
    for (const auto& name : *list)
      if (!table->provider(name))
        return Error(ErrorCode::kInvalidRequest, "Unknown provider \"" + name + "\" in routing.",
                     {{"field", list == &hints.allow ? "routing.allow" : "routing.exclude"}});

  const auto& user = ctx.caller->user;
  routing::Request route;
  route.kind = kind;
  route.tier = user.tier;
  route.tier_level = user.tier_level;
  route.topic = request.topic.value_or("");
  route.aspect_ratio = request.aspect_ratio;
  route.user_id = user.id;
  route.email = user.email;
  route.prompt = request.prompt;
  route.hints = hints;
  route.byok_allowed = user.tier_level >= cfg.features.byok;
  if (route.byok_allowed) route.byok_keys = ctx.app.byokProviders(user.id);
  routing::Plan routed = routes->choose(route);
  if (routed.problem == routing::Plan::Problem::kBadHint)
    return Error(ErrorCode::kInvalidRequest, routed.message, {{"field", routed.field}});
  if (routed.chain.empty())
    return Error(ErrorCode::kGenerationUnavailable, std::string(why) + routed.message,
                 {{"request_id", ctx.req.request_id}});

  jobs::Job job;
  job.user_id = ctx.caller->user.id;
  job.kind = kind;
  job.request = {{"kind", kind}, {"prompt", request.prompt}, {"aspect_ratio", request.aspect_ratio}};
  if (request.topic) job.request["topic"] = *request.topic;
  if (hints.model) job.request["model"] = *hints.model;
  if (request.webhook_url) job.request["webhook_url"] = *request.webhook_url;
  for (auto& c : routed.chain)
    job.chain.push_back({std::move(c.provider), std::move(c.model), std::move(c.credential),
                         c.timeout_s, c.attempts, c.credits});
  // The dearest entry is held; the one that serves is charged (the rest released).
  job.cost = routed.maxCredits();
  job.byok = job.chain.front().credential == "byok";
  job.deadline_ms = jobs::unixMillis() + int64_t{cfg.generation.job_deadline_s} * 1000;
  job.request_id = ctx.req.request_id;
  for (int64_t i = 0; plan.size() < count; ++i) {
    // Without a seed each job draws its own, like a generator would; the job
    // keeps it, so passing it back reproduces the picture.
    job.request["seed"] = request.seed ? *request.seed + i : randomSeed();
    plan.push_back({std::nullopt, job});
  }
  return plan;
}

void addGenerateRoutes(Router& router) {
  router.add({Method::kPost, "/api/v1/generate/image", Access::kUser, generateImage});
  router.add({Method::kPost, "/api/v1/generate/video", Access::kUser, generateVideo});
}

}  // namespace aigate::api
