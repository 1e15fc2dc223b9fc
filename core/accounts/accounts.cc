#include "core/accounts/accounts.h"

#include "core/common/clock.h"
#include "core/common/crypto.h"

#include <nlohmann/json.hpp>

namespace aigate::accounts {
namespace {

constexpr size_t kSecretLength = 32;  // base62: 190 bits

User readUser(SQLite::Statement& q, int first) {
  User u;
  u.id = q.getColumn(first).getString();
  u.email = q.getColumn(first + 1).getString();
  u.tier = q.getColumn(first + 2).getString();
  u.tier_level = q.getColumn(first + 3).getInt();
  u.created_at = q.getColumn(first + 4).getInt64();
  return u;
}

// Packs rank by the level of their tier, then by price.
std::pair<int, double> rank(const config::Config& cfg, const config::PackConfig& pack) {
  const auto* tier = cfg.findTier(pack.tier);
  return {tier ? tier->level : 0, pack.price_usd};
}

bool isBase62(std::string_view s) {
  for (char ch : s) {
    const bool ok = (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
    if (!ok) return false;
  }
  return true;
}

Sha256 keyHash(std::string_view secret) { return sha256(secret); }

}  // namespace

std::string emailProblem(std::string_view email) {
  if (email.empty()) return "is required";
  if (email.size() > 254) return "must be at most 254 characters";
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos)
    return "must be an email address like name@example.com";
  const auto domain = email.substr(at + 1);
  const auto dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || dot == 0 || domain.back() == '.')
    return "must be an email address like name@example.com";
  for (unsigned char ch : email) {
    if (ch <= ' ' || ch == 0x7f) return "must not contain spaces or control characters";
  }
  return {};
}

Result<NewUser> createUser(store::Conn& c, const config::Config& cfg, const std::string& email,
                           const std::optional<std::string>& pack) {
  if (auto problem = emailProblem(email); !problem.empty())
    return Error::invalidField("email", "email " + problem + ".");
  if (pack && !cfg.findPack(*pack))
    return Error::invalidField("pack", "Unknown pack \"" + *pack + "\".");

  auto& exists = c.statement("SELECT 1 FROM users WHERE email = ?");
  exists.bind(1, email);
  const bool taken = exists.executeStep();
  exists.reset();
  if (taken)
    return Error(ErrorCode::kEmailTaken, "A user with this email already exists.",
                 {{"field", "email"}});

  const auto* free_tier = cfg.findTier(cfg.free_tier);
  NewUser out;
  out.user = {newId("usr"), email, free_tier->name, free_tier->level, unixSeconds()};
  auto& insert = c.statement(
      "INSERT INTO users (id, email, tier, tier_level, created_at) VALUES (?,?,?,?,?)");
  insert.bind(1, out.user.id);
  insert.bind(2, out.user.email);
  insert.bind(3, out.user.tier);
  insert.bind(4, out.user.tier_level);
  insert.bind(5, out.user.created_at);
  insert.exec();
  credits::openAccount(c, out.user.id);
  if (cfg.registration.free_credits > 0) {
    auto granted = credits::grant(c, out.user.id, cfg.registration.free_credits,
                                  {"", "free credits at registration"});
    if (!granted) return granted.error();
  }
  if (pack) {
    auto bought = buyPack(c, cfg, out.user.id, *pack);
    if (!bought) return bought.error();
    out.user = *bought;
  }
  auto key = issueKey(c, out.user.id, "default");
  if (!key) return key.error();
  out.key = *key;
  auto balance = credits::balanceOf(c, out.user.id);
  if (!balance) return balance.error();
  out.balance = *balance;
  return out;
}

Result<User> buyPack(store::Conn& c, const config::Config& cfg, const std::string& user_id,
                     const std::string& pack_name) {
  const auto* pack = cfg.findPack(pack_name);
  if (!pack) return Error::invalidField("pack", "Unknown pack \"" + pack_name + "\".");
  auto user = findUser(c, user_id);
  if (!user) return user.error();

  auto granted = credits::grant(c, user->id, pack->credits, {"", "pack " + pack->name});
  if (!granted) return granted.error();
  auto& record = c.statement(
      "INSERT INTO purchases (user_id, pack, credits, price_usd, created_at) VALUES (?,?,?,?,?)");
  record.bind(1, user->id);
  record.bind(2, pack->name);
  record.bind(3, pack->credits);
  record.bind(4, pack->price_usd);
  record.bind(5, unixSeconds());
  record.exec();

  // The tier follows the highest-ranked pack in the user's whole history.
  const config::PackConfig* best = nullptr;
  auto& bought = c.statement("SELECT DISTINCT pack FROM purchases WHERE user_id = ?");
  bought.bind(1, user->id);
  while (bought.executeStep()) {
    const auto* p = cfg.findPack(bought.getColumn(0).getString());
    if (p && (!best || rank(cfg, *p) > rank(cfg, *best))) best = p;
  }
  bought.reset();
  if (best) {
    const auto* tier = cfg.findTier(best->tier);
    if (tier->name != user->tier) {
      auto& update = c.statement("UPDATE users SET tier = ?, tier_level = ? WHERE id = ?");
      update.bind(1, tier->name);
      update.bind(2, tier->level);
      update.bind(3, user->id);
      update.exec();
      user->tier = tier->name;
      user->tier_level = tier->level;
    }
  }
  return *user;
}

Result<Granted> grantToUser(store::Conn& c, const config::Config& cfg, const std::string& user_ref,
                            const std::optional<std::string>& pack,
                            const std::optional<int64_t>& amount, const std::string& note) {
  if (pack.has_value() == amount.has_value())
    return Error::invalidField("pack", "Give exactly one of pack or credits.");
  auto user = findUser(c, user_ref);
  if (!user) return user.error();
  if (pack) {
    auto bought = buyPack(c, cfg, user->id, *pack);
    if (!bought) return bought.error();
    user = *bought;
  } else {
    auto granted = credits::grant(c, user->id, *amount, {"", note});
    if (!granted) return granted.error();
  }
  auto balance = credits::balanceOf(c, user->id);
  if (!balance) return balance.error();
  return Granted{*user, *balance};
}

Result<IssuedKey> issueKey(store::Conn& c, const std::string& user_ref, const std::string& name) {
  auto user = findUser(c, user_ref);
  if (!user) return user.error();
  IssuedKey key;
  key.key_id = newId("key");
  key.user_id = user->id;
  key.secret = std::string(kKeyPrefix) + randomBase62(kSecretLength);
  key.prefix = key.secret.substr(0, kKeyPrefix.size() + 4) + "...";
  const Sha256 hash = keyHash(key.secret);
  auto& q = c.statement(
      "INSERT INTO api_keys (id, user_id, hash, prefix, name, created_at) VALUES (?,?,?,?,?,?)");
  q.bind(1, key.key_id);
  q.bind(2, user->id);
  q.bind(3, hash.data(), static_cast<int>(hash.size()));
  q.bind(4, key.prefix);
  q.bind(5, name);
  q.bind(6, unixSeconds());
  q.exec();
  return key;
}

Result<std::string> revokeKey(store::Conn& c, const std::string& key_id_or_secret) {
  std::string key_id = key_id_or_secret;
  if (key_id_or_secret.rfind(kKeyPrefix, 0) == 0) {
    const Sha256 hash = keyHash(key_id_or_secret);
    auto& find = c.statement("SELECT id FROM api_keys WHERE hash = ?");
    find.bind(1, hash.data(), static_cast<int>(hash.size()));
    if (!find.executeStep()) return Error(ErrorCode::kNotFound, "No such API key.");
    key_id = find.getColumn(0).getString();
    find.reset();
  }
  auto& q = c.statement(
      "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING id");
  q.bind(1, unixSeconds());
  q.bind(2, key_id);
  const bool found = q.executeStep();
  q.reset();
  if (!found) return Error(ErrorCode::kNotFound, "No API key " + key_id + ".");
  return key_id;
}

Result<User> findUser(store::Conn& c, const std::string& id_or_email) {
  const bool by_email = id_or_email.find('@') != std::string::npos;
  auto& q = by_email
                ? c.statement("SELECT id, email, tier, tier_level, created_at FROM users"
                              " WHERE email = ?")
                : c.statement("SELECT id, email, tier, tier_level, created_at FROM users"
                              " WHERE id = ?");
  q.bind(1, id_or_email);
  if (!q.executeStep()) return Error(ErrorCode::kNotFound, "No user " + id_or_email + ".");
  User u = readUser(q, 0);
  q.reset();
  return u;
}

std::optional<KeyOwner> authenticate(store::Conn& c, std::string_view secret) {
  if (secret.size() != kKeyPrefix.size() + kSecretLength || secret.rfind(kKeyPrefix, 0) != 0 ||
      !isBase62(secret.substr(kKeyPrefix.size())))
    return std::nullopt;
  const Sha256 hash = keyHash(secret);
  auto& q = c.statement(
      "SELECT k.id, u.id, u.email, u.tier, u.tier_level, u.created_at, a.balance, a.held"
      " FROM api_keys k JOIN users u ON u.id = k.user_id JOIN accounts a ON a.user_id = u.id"
      " WHERE k.hash = ? AND k.revoked_at IS NULL");
  q.bind(1, hash.data(), static_cast<int>(hash.size()));
  if (!q.executeStep()) {
    q.reset();
    return std::nullopt;
  }
  KeyOwner owner;
  owner.key_id = q.getColumn(0).getString();
  owner.user = readUser(q, 1);
  owner.balance = {q.getColumn(6).getInt64(), q.getColumn(7).getInt64()};
  q.reset();
  return owner;
}

}  // namespace aigate::accounts
