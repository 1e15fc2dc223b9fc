// /api/v1 routes about the caller's own account: register, me, usage.
#include "core/api/app.h"
#include "core/api/json_body.h"
#include "core/api/query_params.h"
#include "core/api/user_json.h"
#include "core/common/clock.h"

namespace aigate::api {
namespace {

Outcome registerUser(Context& ctx) {
  const auto& cfg = ctx.app.config();
  if (!cfg.registration.open)
    return Error(ErrorCode::kRegistrationClosed,
                 "Registration is closed on this gateway; ask its operator for a key.");
  auto body = parseJsonObject(ctx.req.body);
  if (!body) return body.error();
  Fields f(*body);
  auto email = f.string("email", /*required=*/true, 254);
  if (!f.ok()) return f.error();
  return TxnHandler([&cfg, email = *email](store::Conn& c) -> Result<Reply> {
    auto created = accounts::createUser(c, cfg, email, std::nullopt);
    if (!created) return created.error();
    return Reply::json(201, {{"user_id", created->user.id},
                             {"email", created->user.email},
                             {"api_key", created->key.secret},
                             {"tier", created->user.tier},
                             {"credits_balance", created->balance.available()}});
  });
}

Outcome me(Context& ctx) {
  const auto& cfg = ctx.app.config();
  const auto& owner = *ctx.caller;
  return Reply::json(200, {{"user_id", owner.user.id},
                           {"email", owner.user.email},
                           {"tier", owner.user.tier},
                           {"tier_level", owner.user.tier_level},
                           {"credits_balance", owner.balance.available()},
                           {"credits_held", owner.balance.held},
                           {"features", featuresJson(cfg, owner.user.tier_level)},
                           {"limits", limitsJson(cfg, owner.user.tier)}});
}

Outcome usage(Context& ctx) {
  int64_t limit = 20;
  int64_t offset = 0;
  if (auto s = intParam(ctx.req, "limit", 1, 100, limit); !s) return s.error();
  if (auto s = intParam(ctx.req, "offset", 0, INT32_MAX, offset); !s) return s.error();
  auto& conn = ctx.app.store().reader();
  const std::string& user_id = ctx.caller->user.id;
  auto& q = conn.statement(
      "SELECT id, kind, amount, held_delta, balance_after, held_after, hold_id, ref, note,"
      " created_at FROM ledger WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?");
  q.bind(1, user_id);
  q.bind(2, limit);
  q.bind(3, offset);
  nlohmann::json items = nlohmann::json::array();
  while (q.executeStep()) {
    auto text = [&](int col) -> nlohmann::json {
      return q.getColumn(col).isNull() ? nlohmann::json(nullptr)
                                       : nlohmann::json(q.getColumn(col).getString());
    };
    items.push_back({{"id", "led_" + std::to_string(q.getColumn(0).getInt64())},
                     {"kind", q.getColumn(1).getString()},
                     {"amount", q.getColumn(2).getInt64()},
                     {"held_delta", q.getColumn(3).getInt64()},
                     {"balance_after", q.getColumn(4).getInt64()},
                     {"held_after", q.getColumn(5).getInt64()},
                     {"hold_id", text(6)},
                     {"ref", text(7)},
                     {"note", text(8)},
                     {"created_at", isoTime(q.getColumn(9).getInt64())}});
  }
  q.reset();
  auto& count = conn.statement("SELECT COUNT(*) FROM ledger WHERE user_id = ?");
  count.bind(1, user_id);
  count.executeStep();
  const int64_t total = count.getColumn(0).getInt64();
  count.reset();
  return Reply::json(200, {{"items", std::move(items)},
                           {"total", total},
                           {"limit", limit},
                           {"offset", offset}});
}

}  // namespace

void addAccountRoutes(Router& router) {
  router.add({Method::kPost, "/api/v1/register", Access::kPublic, registerUser});
  router.add({Method::kGet, "/api/v1/me", Access::kUser, me});
  router.add({Method::kGet, "/api/v1/usage", Access::kUser, usage});
}

}  // namespace aigate::api
