#include "core/credits/idempotency.h"

#include "core/common/clock.h"

#include <cstring>

namespace aigate::credits {

IdempotencyCheck beginIdempotent(store::Conn& c, const std::string& scope, const std::string& key,
                                 const Sha256& request_hash, int64_t ttl_seconds) {
  const int64_t now = unixSeconds();
  auto& find = c.statement(
      "SELECT request_hash, state, status, body, created_at FROM idempotency"
      " WHERE scope = ? AND key = ?");
  find.bind(1, scope);
  find.bind(2, key);
  if (find.executeStep() && find.getColumn(4).getInt64() + ttl_seconds > now) {
    IdempotencyCheck check;
    const auto stored_hash = find.getColumn(0);
    const bool same = stored_hash.getBytes() == static_cast<int>(request_hash.size()) &&
                      std::memcmp(stored_hash.getBlob(), request_hash.data(), request_hash.size()) == 0;
    if (!same) {
      check.kind = IdempotencyCheck::kMismatch;
    } else if (find.getColumn(1).getString() == "running") {
      check.kind = IdempotencyCheck::kRunning;
    } else {
      check.kind = IdempotencyCheck::kReplay;
      check.stored = {find.getColumn(2).getInt(), find.getColumn(3).getString()};
    }
    find.reset();
    return check;
  }
  find.reset();
  auto& put = c.statement(
      "INSERT OR REPLACE INTO idempotency (scope, key, request_hash, state, created_at)"
      " VALUES (?, ?, ?, 'running', ?)");
  put.bind(1, scope);
  put.bind(2, key);
  put.bind(3, request_hash.data(), static_cast<int>(request_hash.size()));
  put.bind(4, now);
  put.exec();
  return {};
}

void finishIdempotent(store::Conn& c, const std::string& scope, const std::string& key,
                      const StoredResponse& response) {
  auto& q = c.statement(
      "UPDATE idempotency SET state = 'done', status = ?, body = ? WHERE scope = ? AND key = ?");
  q.bind(1, response.status);
  q.bind(2, response.body);
  q.bind(3, scope);
  q.bind(4, key);
  q.exec();
}

void forgetIdempotent(store::Conn& c, const std::string& scope, const std::string& key) {
  auto& q = c.statement("DELETE FROM idempotency WHERE scope = ? AND key = ?");
  q.bind(1, scope);
  q.bind(2, key);
  q.exec();
}

}  // namespace aigate::credits
