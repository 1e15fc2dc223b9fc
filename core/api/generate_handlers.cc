// POST /api/v1/generate/image and /video: library first. A good library match
// is charged at the library price and returned at once; generation comes with
// the provider plugins, so until then a miss is 503 generation_unavailable and
// nothing is charged.
#include "core/api/app.h"
#include "core/api/json_body.h"
#include "core/api/query_params.h"
#include "core/credits/ledger.h"
#include "core/library/asset.h"
#include "core/library/matcher.h"

#include <cmath>

namespace aigate::api {
namespace {

constexpr size_t kMaxPromptChars = 4000;

size_t utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char ch : s)
    if ((ch & 0xC0) != 0x80) ++n;
  return n;
}

// The lowest tier whose level is at least `level`, for error messages.
std::string tierFor(const config::Config& cfg, int level) {
  const config::TierConfig* best = nullptr;
  for (const auto& t : cfg.tiers)
    if (t.level >= level && (!best || t.level < best->level)) best = &t;
  return best ? best->name : std::string();
}

struct GenerateRequest {
  std::string prompt;
  std::string aspect_ratio = "1:1";
  std::optional<std::string> topic;
  bool force_gen = false;
};

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
  f.string("provider", false, 64);
  f.string("model", false, 128);
  f.string("webhook_url", false, 2048);
  f.boolean("async", false);
  f.integer("wait_s", false, 0, 600);
  if (!f.ok()) return f.error();
  if (auto it = body->find("routing"); it != body->end() && !it->is_null() && !it->is_object())
    return Error::invalidField("routing", "routing must be an object.");
  if (utf8Length(*prompt) > kMaxPromptChars)
    return Error::invalidField("prompt", "prompt must be at most 4000 characters.");
  g.prompt = *prompt;
  if (ratio) {
    if (auto s = checkAspectRatio(*ratio); !s) return s.error();
    g.aspect_ratio = *ratio;
  }
  if (topic && !topic->empty()) g.topic = *topic;
  g.force_gen = force.value_or(false);

  const int level = ctx.caller->user.tier_level;
  auto scaleOnly = [&](const char* field, const char* feature, int required) -> std::optional<Error> {
    auto it = body->find(field);
    if (it == body->end() || it->is_null() || level >= required) return std::nullopt;
    return Error(ErrorCode::kFeatureNotIncluded,
                 std::string(field) + " needs the " + tierFor(cfg, required) + " tier.",
                 {{"feature", feature}, {"required_tier", tierFor(cfg, required)}});
  };
  for (auto [field, feature, required] :
       {std::tuple{"provider", "smart_routing", cfg.features.smart_routing},
        std::tuple{"model", "smart_routing", cfg.features.smart_routing},
        std::tuple{"routing", "smart_routing", cfg.features.smart_routing},
        std::tuple{"webhook_url", "webhooks", cfg.features.webhooks}}) {
    if (auto refused = scaleOnly(field, feature, required)) return *refused;
  }
  return g;
}

Outcome generate(Context& ctx, const std::string& kind) {
  const auto& cfg = ctx.app.config();
  if (kind == "video" && ctx.caller->user.tier_level < cfg.features.video) {
    const std::string tier = tierFor(cfg, cfg.features.video);
    return Error(ErrorCode::kVideoNotIncluded,
                 "Video needs the " + tier + " tier or above; buy a credit pack to unlock it.",
                 {{"required_tier", tier}});
  }
  auto request = readRequest(ctx);
  if (!request) return request.error();

  if (!request->force_gen) {
    library::MatchRequest m{request->prompt, kind, request->aspect_ratio, request->topic,
                            ctx.caller->user.id};
    auto match = library::bestMatch(ctx.app.store().reader(), m);
    if (match && match->score >= cfg.library.match_threshold) {
      const int64_t price = kind == "video" ? cfg.prices.library_video : cfg.prices.library_image;
      return TxnHandler([user_id = ctx.caller->user.id, price, request_id = ctx.req.request_id,
                         asset = library::assetJson(match->asset, ctx.app.baseUrl(ctx.req)),
                         score = match->score](store::Conn& c) -> Result<Reply> {
        auto charged = credits::charge(c, user_id, price,
                                       {request_id, "library " + asset["id"].get<std::string>()});
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
  }
  return Error(ErrorCode::kGenerationUnavailable,
               request->force_gen
                   ? "force_gen asks for a generation, and no generation provider is configured."
                   : "No library asset matches this prompt well enough, and no generation "
                     "provider is configured.",
               {{"request_id", ctx.req.request_id}});
}

Outcome generateImage(Context& ctx) { return generate(ctx, "image"); }
Outcome generateVideo(Context& ctx) { return generate(ctx, "video"); }

}  // namespace

void addGenerateRoutes(Router& router) {
  router.add({Method::kPost, "/api/v1/generate/image", Access::kUser, generateImage});
  router.add({Method::kPost, "/api/v1/generate/video", Access::kUser, generateVideo});
}

}  // namespace aigate::api
