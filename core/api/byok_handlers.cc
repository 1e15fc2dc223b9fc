// /api/v1/byok: a Scale user's own provider keys. PUT stores (or replaces) a
// key for a provider this gateway serves, GET lists what is stored (hints
// only), DELETE removes one. A key is never answered, logged or kept in
// clear (core/byok/keystore.h).
#include "core/api/app.h"
#include "core/api/json_body.h"
#include "core/api/user_json.h"
#include "core/byok/keystore.h"
#include "core/common/clock.h"
#include "core/jobs/executor.h"

namespace aigate::api {
namespace {

constexpr size_t kMaxProviderName = 64;

// 403 feature_not_included below the BYOK tier, else nullopt.
std::optional<Error> refuseBelowTier(const Context& ctx) {
  const auto& cfg = ctx.app.config();
  if (ctx.caller->user.tier_level >= cfg.features.byok) return std::nullopt;
  return featureNotIncluded(cfg, "byok", cfg.features.byok, "Bringing your own provider keys");
}

bool isProviderName(const std::string& name) {
  return !name.empty() && name.size() <= kMaxProviderName &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
}

Error unknownProvider(const std::string& name) {
  return Error::invalidField("provider", isProviderName(name)
                                             ? "This gateway has no provider " + name + "."
                                             : std::string("This gateway has no such provider."));
}

// The provider a key may be stored for: one this gateway serves that calls
// out with a key (not a local renderer).
Status checkKeyedProvider(App& app, const std::string& name) {
  const jobs::Executor* executor = app.executor();
  const jobs::Provider* provider =
      executor && isProviderName(name) ? executor->providers().find(name) : nullptr;
  if (!provider) return unknownProvider(name);
  if (provider->local())
    return Error::invalidField("provider", "Provider " + name +
                                               " runs on this gateway and takes no API key.");
  return Status::Ok();
}

nlohmann::json keyJson(const byok::KeyInfo& info) {
  return {{"provider", info.provider},
          {"key_hint", info.key_hint},
          {"created_at", isoTime(info.created_at)},
          {"updated_at", isoTime(info.updated_at)}};
}

Outcome putKey(Context& ctx) {
  if (auto refused = refuseBelowTier(ctx)) return *refused;
  const std::string& provider = ctx.param(0);
  if (auto ok = checkKeyedProvider(ctx.app, provider); !ok) return ok.error();
  auto body = parseJsonObject(ctx.req.body);
  if (!body) return body.error();
  Fields f(*body);
  auto api_key = f.string("api_key", /*required=*/true, byok::kMaxApiKeyBytes);
  if (!f.ok()) return f.error();
  if (auto ok = byok::checkApiKey(*api_key); !ok) return ok.error();
  const byok::MasterKey* master = ctx.app.byokKey();
  if (!master)
    return Error(ErrorCode::kInternalError, "This gateway has no BYOK master key set up.");
  return TxnHandler([master, user_id = ctx.caller->user.id, provider,
                     api_key = std::move(*api_key)](store::Conn& c) -> Result<Reply> {
    auto stored = byok::putKey(c, *master, user_id, provider, api_key);
    if (!stored) return stored.error();
    return Reply::json(200, {{"provider", stored->provider}, {"key_hint", stored->key_hint}});
  });
}

Outcome listKeys(Context& ctx) {
  if (auto refused = refuseBelowTier(ctx)) return *refused;
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& info : byok::listKeys(ctx.app.store().reader(), ctx.caller->user.id))
    keys.push_back(keyJson(info));
  return Reply::json(200, {{"keys", std::move(keys)}});
}

Outcome deleteKey(Context& ctx) {
  if (auto refused = refuseBelowTier(ctx)) return *refused;
  // A provider since removed from the config still has its key deleted.
  const std::string& provider = ctx.param(0);
  if (!isProviderName(provider)) return unknownProvider(provider);
  return TxnHandler([user_id = ctx.caller->user.id, provider](store::Conn& c) -> Result<Reply> {
    if (!byok::deleteKey(c, user_id, provider))
      return Error(ErrorCode::kNotFound, "You have no key stored for provider " + provider + ".");
    return Reply::json(200, {{"provider", provider}, {"deleted", true}});
  });
}

}  // namespace

void addByokRoutes(Router& router) {
  router.add({Method::kGet, "/api/v1/byok", Access::kUser, listKeys});
  router.add({Method::kPut, "/api/v1/byok/{provider}", Access::kUser, putKey});
  router.add({Method::kDelete, "/api/v1/byok/{provider}", Access::kUser, deleteKey});
}

}  // namespace aigate::api
