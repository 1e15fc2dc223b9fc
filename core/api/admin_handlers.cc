// /admin/v1 routes for the operator: users, packs and grants, keys.
#include "core/api/app.h"
#include "core/api/json_body.h"
#include "core/api/user_json.h"
#include "core/library/catalog.h"

namespace aigate::api {
namespace {

Outcome createUser(Context& ctx) {
  const auto& cfg = ctx.app.config();
  auto body = parseJsonObject(ctx.req.body);
  if (!body) return body.error();
  Fields f(*body);
  auto email = f.string("email", true, 254);
  auto pack = f.string("pack", false, 64);
  if (!f.ok()) return f.error();
  return TxnHandler([&cfg, email = *email, pack](store::Conn& c) -> Result<Reply> {
    auto created = accounts::createUser(c, cfg, email, pack);
    if (!created) return created.error();
    auto json = userJson(cfg, created->user, created->balance);
    json["api_key"] = created->key.secret;
    json["key_id"] = created->key.key_id;
    return Reply::json(201, std::move(json));
  });
}

Outcome getUser(Context& ctx) {
  auto& c = ctx.app.store().reader();
  auto user = accounts::findUser(c, ctx.param(0));
  if (!user) return user.error();
  auto balance = credits::balanceOf(c, user->id);
  if (!balance) return balance.error();
  return Reply::json(200, userJson(ctx.app.config(), *user, *balance));
}

Outcome grantCredits(Context& ctx) {
  const auto& cfg = ctx.app.config();
  auto body = parseJsonObject(ctx.req.body);
  if (!body) return body.error();
  Fields f(*body);
  auto pack = f.string("pack", false, 64);
  auto amount = f.integer("credits", false, 1, 1'000'000'000);
  auto note = f.string("note", false, 500);
  if (!f.ok()) return f.error();
  return TxnHandler([&cfg, user_ref = ctx.param(0), pack, amount,
                     note = note.value_or("admin grant")](store::Conn& c) -> Result<Reply> {
    auto granted = accounts::grantToUser(c, cfg, user_ref, pack, amount, note);
    if (!granted) return granted.error();
    return Reply::json(200, userJson(cfg, granted->user, granted->balance));
  });
}

Outcome createKey(Context& ctx) {
  auto body = parseJsonObject(ctx.req.body);
  if (!body) return body.error();
  Fields f(*body);
  auto name = f.string("name", false, 100);
  if (!f.ok()) return f.error();
  return TxnHandler([user_ref = ctx.param(0), name = name.value_or("")](store::Conn& c)
                        -> Result<Reply> {
    auto key = accounts::issueKey(c, user_ref, name);
    if (!key) return key.error();
    return Reply::json(201, {{"key_id", key->key_id},
                             {"user_id", key->user_id},
                             {"api_key", key->secret},
                             {"prefix", key->prefix}});
  });
}

Outcome revokeKey(Context& ctx) {
  return TxnHandler([key_ref = ctx.param(0)](store::Conn& c) -> Result<Reply> {
    auto revoked = accounts::revokeKey(c, key_ref);
    if (!revoked) return revoked.error();
    return Reply::json(200, {{"key_id", *revoked}, {"revoked", true}});
  });
}

nlohmann::json adminAssetJson(const library::Asset& asset, const std::string& base_url) {
  auto json = library::assetJson(asset, base_url);
  json["sha256"] = asset.sha256;
  json["owner_id"] = asset.owner_id ? nlohmann::json(*asset.owner_id) : nlohmann::json(nullptr);
  json["prompt"] = asset.prompt ? nlohmann::json(*asset.prompt) : nlohmann::json(nullptr);
  return json;
}

Outcome getAsset(Context& ctx) {
  auto asset = library::findAsset(ctx.app.store().reader(), ctx.param(0));
  if (!asset) return Error(ErrorCode::kNotFound, "No asset " + ctx.param(0) + ".");
  return Reply::json(200, adminAssetJson(*asset, ctx.app.baseUrl(ctx.req)));
}

// Removes an asset from the library and its file from storage (files are
// content-addressed, one asset each).
Outcome deleteAsset(Context& ctx) {
  return TxnHandler([&app = ctx.app, id = ctx.param(0)](store::Conn& c) -> Result<Reply> {
    auto deleted = library::deleteAsset(c, id);
    if (!deleted) return Error(ErrorCode::kNotFound, "No asset " + id + ".");
    if (Status removed = app.storage().remove(deleted->file); !removed.ok()) return removed.error();
    return Reply::json(200, {{"id", id}, {"deleted", true}});
  });
}

}  // namespace

void addAdminRoutes(Router& router) {
  router.add({Method::kPost, "/admin/v1/users", Access::kAdmin, createUser});
  router.add({Method::kGet, "/admin/v1/users/{id}", Access::kAdmin, getUser});
  router.add({Method::kPost, "/admin/v1/users/{id}/credits", Access::kAdmin, grantCredits});
  router.add({Method::kPost, "/admin/v1/users/{id}/keys", Access::kAdmin, createKey});
  router.add({Method::kDelete, "/admin/v1/keys/{id}", Access::kAdmin, revokeKey});
  router.add({Method::kGet, "/admin/v1/assets/{id}", Access::kAdmin, getAsset});
  router.add({Method::kDelete, "/admin/v1/assets/{id}", Access::kAdmin, deleteAsset});
}

}  // namespace aigate::api
