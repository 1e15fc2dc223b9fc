#include "core/credits/ledger.h"

#include "core/common/clock.h"
#include "core/common/crypto.h"
#include "core/metrics/gateway_metrics.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace aigate::credits {
namespace {

Balance readBalance(store::Conn& c, const std::string& user_id, bool* found) {
  auto& q = c.statement("SELECT balance, held FROM accounts WHERE user_id = ?");
  q.bind(1, user_id);
  Balance b;
  *found = q.executeStep();
  if (*found) {
    b.balance = q.getColumn(0).getInt64();
    b.held = q.getColumn(1).getInt64();
  }
  q.reset();
  return b;
}

void appendEntry(store::Conn& c, const std::string& user_id, const char* kind, int64_t amount,
                 int64_t held_delta, const Balance& after, const std::string* hold_id,
                 const EntryInfo& info) {
  auto& q = c.statement(
      "INSERT INTO ledger (user_id, kind, amount, held_delta, balance_after, held_after,"
      " hold_id, ref, note, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)");
  q.bind(1, user_id);
  q.bind(2, kind);
  q.bind(3, amount);
  q.bind(4, held_delta);
  q.bind(5, after.balance);
  q.bind(6, after.held);
  if (hold_id) q.bind(7, *hold_id);
  if (!info.ref.empty()) q.bind(8, info.ref);
  if (!info.note.empty()) q.bind(9, info.note);
  q.bind(10, unixSeconds());
  q.exec();
}

// Applies deltas with `guard` (an extra WHERE condition on the row) and
// returns the new balance, or nullopt when the guard held no row.
std::optional<Balance> updateAccount(store::Conn& c, const std::string& user_id,
                                     int64_t balance_delta, int64_t held_delta,
                                     int64_t need_available) {
  auto& q = c.statement(
      "UPDATE accounts SET balance = balance + ?1, held = held + ?2"
      " WHERE user_id = ?3 AND balance - held >= ?4 RETURNING balance, held");
  q.bind(1, balance_delta);
  q.bind(2, held_delta);
  q.bind(3, user_id);
  q.bind(4, need_available);
  if (!q.executeStep()) {
    q.reset();
    return std::nullopt;
  }
  Balance b{q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
  q.reset();
  return b;
}

Error noAccount(const std::string& user_id) {
  return Error(ErrorCode::kNotFound, "No account for user " + user_id + ".");
}

Error badAmount() {
  return Error(ErrorCode::kInvalidRequest, "A credit amount must be greater than 0.",
               {{"field", "credits"}});
}

struct OpenHold {
  std::string user_id;
  int64_t amount;
};

Result<OpenHold> takeOpenHold(store::Conn& c, const std::string& hold_id, const char* new_state) {
  auto& q = c.statement(
      "UPDATE holds SET state = ?1, settled_at = ?2 WHERE id = ?3 AND state = 'open'"
      " RETURNING user_id, amount");
  q.bind(1, new_state);
  q.bind(2, unixSeconds());
  q.bind(3, hold_id);
  if (q.executeStep()) {
    OpenHold h{q.getColumn(0).getString(), q.getColumn(1).getInt64()};
    q.reset();
    return h;
  }
  q.reset();
  auto& exists = c.statement("SELECT state FROM holds WHERE id = ?");
  exists.bind(1, hold_id);
  if (!exists.executeStep()) return Error(ErrorCode::kNotFound, "No hold " + hold_id + ".");
  const std::string state = exists.getColumn(0).getString();
  exists.reset();
  return Error(ErrorCode::kInvalidRequest, "Hold " + hold_id + " is already " + state + ".");
}

}  // namespace

Error insufficientCredits(int64_t needed, int64_t available) {
  return Error(ErrorCode::kInsufficientCredits,
               "This request costs " + std::to_string(needed) + " credits; you have " +
                   std::to_string(available) + ".",
               {{"credits_needed", needed},
                {"credits_balance", available},
                {"hint", "Buy a credit pack at /#pricing"}});
}

void openAccount(store::Conn& c, const std::string& user_id) {
  auto& q = c.statement("INSERT INTO accounts (user_id, balance, held) VALUES (?, 0, 0)");
  q.bind(1, user_id);
  q.exec();
}

Result<Balance> balanceOf(store::Conn& c, const std::string& user_id) {
  bool found = false;
  Balance b = readBalance(c, user_id, &found);
  if (!found) return noAccount(user_id);
  return b;
}

Result<Balance> grant(store::Conn& c, const std::string& user_id, int64_t amount,
                      const EntryInfo& info) {
  if (amount <= 0) return badAmount();
  auto after = updateAccount(c, user_id, amount, 0, INT64_MIN);
  if (!after) return noAccount(user_id);
  appendEntry(c, user_id, "grant", amount, 0, *after, nullptr, info);
  return *after;
}

Result<Balance> charge(store::Conn& c, const std::string& user_id, int64_t amount,
                       const EntryInfo& info) {
  if (amount <= 0) return badAmount();
  auto after = updateAccount(c, user_id, -amount, 0, amount);
  if (!after) {
    auto current = balanceOf(c, user_id);
    if (!current) return current.error();
    return insufficientCredits(amount, current->available());
  }
  appendEntry(c, user_id, "charge", -amount, 0, *after, nullptr, info);
  metrics::countCreditsCharged("charge", amount);
  return *after;
}

Result<Hold> hold(store::Conn& c, const std::string& user_id, int64_t amount,
                  const EntryInfo& info) {
  if (amount <= 0) return badAmount();
  auto after = updateAccount(c, user_id, 0, amount, amount);
  if (!after) {
    auto current = balanceOf(c, user_id);
    if (!current) return current.error();
    return insufficientCredits(amount, current->available());
  }
  Hold h{newId("hld"), *after};
  auto& q = c.statement(
      "INSERT INTO holds (id, user_id, amount, state, ref, created_at)"
      " VALUES (?, ?, ?, 'open', ?, ?)");
  q.bind(1, h.id);
  q.bind(2, user_id);
  q.bind(3, amount);
  if (!info.ref.empty()) q.bind(4, info.ref);
  q.bind(5, unixSeconds());
  q.exec();
  appendEntry(c, user_id, "hold", 0, amount, *after, &h.id, info);
  return h;
}

Result<Balance> capture(store::Conn& c, const std::string& hold_id, std::optional<int64_t> amount) {
  auto h = takeOpenHold(c, hold_id, "captured");
  if (!h) return h.error();
  const int64_t taken = std::clamp<int64_t>(amount.value_or(h->amount), 0, h->amount);
  auto after = updateAccount(c, h->user_id, -taken, -h->amount, INT64_MIN);
  if (!after) return noAccount(h->user_id);
  appendEntry(c, h->user_id, "capture", -taken, -h->amount, *after, &hold_id, {});
  metrics::countCreditsCharged("capture", taken);
  return *after;
}

Result<Balance> release(store::Conn& c, const std::string& hold_id) {
  auto h = takeOpenHold(c, hold_id, "released");
  if (!h) return h.error();
  auto after = updateAccount(c, h->user_id, 0, -h->amount, INT64_MIN);
  if (!after) return noAccount(h->user_id);
  appendEntry(c, h->user_id, "release", 0, -h->amount, *after, &hold_id, {});
  return *after;
}

int64_t totalHeld(store::Conn& c) {
  auto& q = c.statement("SELECT COALESCE(SUM(amount), 0) FROM holds WHERE state = 'open'");
  q.executeStep();
  const int64_t held = q.getColumn(0).getInt64();
  q.reset();
  return held;
}

}  // namespace aigate::credits
