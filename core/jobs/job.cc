#include "core/jobs/job.h"

#include "core/common/clock.h"
#include "core/common/crypto.h"
#include "core/common/log.h"
#include "core/credits/ledger.h"
#include "core/library/catalog.h"
#include "core/webhooks/outbox.h"
#include "core/limits/limits.h"
#include "core/metrics/gateway_metrics.h"

#include <chrono>
#include <cmath>

namespace aigate::jobs {
namespace {

// The columns readJob() reads, in its order.
#define AIGATE_SELECT_JOB                                                                   \
  "SELECT id, user_id, kind, status, progress, request, chain, chain_pos, credential_ref," \
  " state, pending, attempts, next_at, deadline_at, hold_id, cost, byok, asset_id,"        \
  " error_code, error_message, provider_error, request_id, created_at, updated_at,"    \
  " attempt_log FROM jobs"

std::optional<std::string> optionalText(const SQLite::Column& col) {
  if (col.isNull()) return std::nullopt;
  return col.getString();
}

nlohmann::json parseOrNull(const SQLite::Column& col) {
  if (col.isNull()) return nullptr;
  return nlohmann::json::parse(col.getString(), nullptr, false);
}

Job readJob(SQLite::Statement& q) {
  Job j;
  j.id = q.getColumn(0).getString();
  j.user_id = q.getColumn(1).getString();
  j.kind = q.getColumn(2).getString();
  j.status = q.getColumn(3).getString();
  j.progress = q.getColumn(4).getDouble();
  j.request = parseOrNull(q.getColumn(5));
  const auto chain = parseOrNull(q.getColumn(6));
  if (chain.is_array()) {
    for (const auto& p : chain) {
      if (p.is_string()) {  // rows written before routing: names only
        j.chain.push_back({p.get<std::string>(), "", "operator", 0, 0, 0});
      } else if (p.is_object()) {
        j.chain.push_back({p.value("provider", ""), p.value("model", ""),
                           p.value("credential", "operator"), p.value("timeout_s", 0),
                           p.value("attempts", 0), p.value("credits", int64_t{0})});
      }
    }
  }
  j.chain_pos = q.getColumn(7).getInt();
  if (j.chain.empty()) j.chain.push_back({});
  if (j.chain_pos < 0 || j.chain_pos >= static_cast<int>(j.chain.size())) j.chain_pos = 0;
  j.credential_ref = q.getColumn(8).getString();
  j.state = parseOrNull(q.getColumn(9));
  j.pending = parseOrNull(q.getColumn(10));
  j.attempts = q.getColumn(11).getInt();
  if (!q.getColumn(12).isNull()) j.next_at_ms = q.getColumn(12).getInt64();
  j.deadline_ms = q.getColumn(13).getInt64();
  j.hold_id = q.getColumn(14).isNull() ? std::string() : q.getColumn(14).getString();
  j.cost = q.getColumn(15).getInt64();
  j.byok = q.getColumn(16).getInt() != 0;
  j.asset_id = optionalText(q.getColumn(17));
  j.error_code = q.getColumn(18).isNull() ? "" : q.getColumn(18).getString();
  j.error_message = q.getColumn(19).isNull() ? "" : q.getColumn(19).getString();
  j.provider_error = q.getColumn(20).isNull() ? "" : q.getColumn(20).getString();
  j.request_id = q.getColumn(21).isNull() ? "" : q.getColumn(21).getString();
  j.created_at = q.getColumn(22).getInt64();
  j.updated_at = q.getColumn(23).getInt64();
  j.attempt_log = parseOrNull(q.getColumn(24));
  if (!j.attempt_log.is_array()) j.attempt_log = nlohmann::json::array();
  // Rows written before routing charged the job's cost whichever entry served.
  for (auto& e : j.chain)
    if (e.credits == 0) e.credits = j.cost;
  return j;
}

std::string dumpChain(const std::vector<ChainEntry>& chain) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : chain)
    out.push_back({{"provider", e.provider},
                   {"model", e.model},
                   {"credential", e.credential},
                   {"timeout_s", e.timeout_s},
                   {"attempts", e.attempts},
                   {"credits", e.credits}});
  return out.dump();
}

// What a job transition log line says (never the prompt or a credential).
struct Transition {
  std::string_view job_id;
  std::string_view user_id;
  std::string_view kind;
  std::string_view provider;
  std::string_view request_id;
  int64_t credits = 0;
  std::string_view error;  // the API error code of a failed job
};

void logTransition(std::string_view to, const Transition& t) {
  nlohmann::ordered_json fields = {{"transition", to},
                                   {"job_id", t.job_id},
                                   {"user_id", t.user_id},
                                   {"kind", t.kind},
                                   {"provider", t.provider},
                                   {"request_id", t.request_id},
                                   {"credits", t.credits}};
  if (!t.error.empty()) fields["error"] = t.error;
  log::event("job", fields);
}

int64_t countActiveOf(store::Conn& c, const std::string& user_id) {
  auto& q = c.statement(
      "SELECT COUNT(*) FROM jobs WHERE user_id = ? AND status IN ('queued','running')");
  q.bind(1, user_id);
  q.executeStep();
  const int64_t n = q.getColumn(0).getInt64();
  q.reset();
  return n;
}

}  // namespace

int64_t unixMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<Job> createJob(store::Conn& c, Job job, int max_active) {
  if (max_active > 0) {
    const int64_t active = countActiveOf(c, job.user_id);
    if (active >= max_active) {
      metrics::countRateLimited("concurrent_generations");
      return limits::concurrencyError(active, max_active);
    }
  }
  if (job.id.empty()) job.id = newId("job");
  job.created_at = job.updated_at = unixSeconds();
  if (job.cost > 0) {
    auto held = credits::hold(c, job.user_id, job.cost, {job.id, job.kind + " generation"});
    if (!held) return held.error();
    job.hold_id = held->id;
  }
  auto& q = c.statement(
      "INSERT INTO jobs (id, user_id, kind, status, progress, request, chain, chain_pos,"
      " credential_ref, state, pending, attempts, next_at, deadline_at, hold_id, cost, byok,"
      " request_id, created_at, updated_at, provider)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, NULL, 0, NULL, ?10, ?11, ?12, ?13, ?14,"
      " ?15, ?15, ?16)");
  q.bind(1, job.id);
  q.bind(2, job.user_id);
  q.bind(3, job.kind);
  q.bind(4, job.status);
  q.bind(5, job.progress);
  q.bind(6, job.request.dump());
  q.bind(7, dumpChain(job.chain));
  q.bind(8, job.chain_pos);
  q.bind(9, job.credential_ref);
  q.bind(10, job.deadline_ms);
  if (!job.hold_id.empty()) q.bind(11, job.hold_id);
  q.bind(12, job.cost);
  q.bind(13, job.byok ? 1 : 0);
  if (!job.request_id.empty()) q.bind(14, job.request_id);
  q.bind(15, job.created_at);
  q.bind(16, job.provider());
  q.exec();
  metrics::countJobCreated(job.kind);
  logTransition("created", {job.id, job.user_id, job.kind, job.provider(), job.request_id, job.cost, ""});
  return job;
}

void logRunning(const Job& job) {
  logTransition("running", {job.id, job.user_id, job.kind, job.provider(), job.request_id, job.cost, ""});
}

void saveJob(store::Conn& c, const Job& job) {
  auto& q = c.statement(
      "UPDATE jobs SET status = ?2, progress = ?3, chain_pos = ?4, state = ?5, pending = ?6,"
      " attempts = ?7, next_at = ?8, updated_at = ?9, provider = ?10, attempt_log = ?11"
      " WHERE id = ?1 AND status IN ('queued','running')");
  q.bind(1, job.id);
  q.bind(2, job.status);
  q.bind(3, job.progress);
  q.bind(4, job.chain_pos);
  if (!job.state.is_null()) q.bind(5, job.state.dump());
  if (!job.pending.is_null()) q.bind(6, job.pending.dump());
  q.bind(7, job.attempts);
  if (job.next_at_ms) q.bind(8, *job.next_at_ms);
  q.bind(9, unixSeconds());
  q.bind(10, job.provider());
  q.bind(11, job.attempt_log.dump());
  q.exec();
}

namespace {

// What every end shares, once the row is final: settles the hold (a success
// captures job.cost, anything else releases), queues the webhook events with
// the status, counts and logs.
// Returns the owner's balance after.
std::optional<credits::Balance> settle(store::Conn& c, const Job& job, const std::string& hold_id) {
  const bool succeeded = job.status == "succeeded";
  std::optional<credits::Balance> after;
  if (!hold_id.empty()) {
    auto settled = succeeded ? credits::capture(c, hold_id, job.cost) : credits::release(c, hold_id);
    if (!settled)
      throw std::runtime_error("job " + job.id + ": cannot settle hold " + hold_id + ": " +
                               settled.error().message());
    after = *settled;
  }
  webhooks::enqueueForJob(c, job);  // the event commits with the status, or neither does
  metrics::countJobEnded(job.kind, job.provider(), job.status);
  logTransition(job.status, {job.id, job.user_id, job.kind, job.provider(), job.request_id,
                             succeeded ? job.cost : 0, job.error_code});
  return after;
}

std::string holdOf(SQLite::Statement& q) {
  std::string hold_id = q.getColumn(0).isNull() ? "" : q.getColumn(0).getString();
  while (q.executeStep()) {
  }
  return hold_id;
}

}  // namespace

bool finishJob(store::Conn& c, Job& job) {
  auto& q = c.statement(
      "UPDATE jobs SET status = ?2, asset_id = ?3, error_code = ?4, error_message = ?5,"
      " provider_error = ?6, progress = ?7, chain_pos = ?8, attempts = ?9, state = ?10,"
      " pending = NULL, next_at = NULL, updated_at = ?11, provider = ?12, attempt_log = ?13,"
      " cost = ?14, byok = ?15"
      " WHERE id = ?1 AND status IN ('queued','running') RETURNING hold_id");
  q.bind(1, job.id);
  q.bind(2, job.status);
  if (job.asset_id) q.bind(3, *job.asset_id);
  if (!job.error_code.empty()) q.bind(4, job.error_code);
  if (!job.error_message.empty()) q.bind(5, job.error_message);
  if (!job.provider_error.empty()) q.bind(6, job.provider_error);
  q.bind(7, job.progress);
  q.bind(8, job.chain_pos);
  q.bind(9, job.attempts);
  if (!job.state.is_null()) q.bind(10, job.state.dump());
  q.bind(11, job.updated_at);
  q.bind(12, job.provider());
  q.bind(13, job.attempt_log.dump());
  q.bind(14, job.cost);
  q.bind(15, job.byok ? 1 : 0);
  if (!q.executeStep()) return false;
  auto after = settle(c, job, holdOf(q));
  if (!after) {
    auto balance = credits::balanceOf(c, job.user_id);
    if (balance) after = *balance;
  }
  if (after) job.balance_after = after->available();
  return true;
}

bool endJob(store::Conn& c, const std::string& job_id, const std::string& status,
            const std::string& error_code, const std::string& message,
            const std::string& provider_error) {
  auto& q = c.statement(
      "UPDATE jobs SET status = ?2, error_code = ?3, error_message = ?4, provider_error = ?5,"
      " pending = NULL, next_at = NULL, updated_at = ?6"
      " WHERE id = ?1 AND status IN ('queued','running') RETURNING hold_id");
  q.bind(1, job_id);
  q.bind(2, status);
  if (!error_code.empty()) q.bind(3, error_code);
  if (!message.empty()) q.bind(4, message);
  if (!provider_error.empty()) q.bind(5, provider_error);
  q.bind(6, unixSeconds());
  if (!q.executeStep()) return false;
  const std::string hold_id = holdOf(q);
  auto job = findJob(c, job_id);
  if (!job) throw std::runtime_error("job " + job_id + " vanished while it ended");
  settle(c, *job, hold_id);
  return true;
}

std::optional<Job> findJob(store::Conn& c, const std::string& id) {
  auto& q = c.statement(AIGATE_SELECT_JOB " WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  Job job = readJob(q);
  q.reset();  // a statement left on its row keeps the connection's snapshot old
  return job;
}

ActiveCounts countActive(store::Conn& c) {
  auto& q = c.statement(
      "SELECT status, COUNT(*) FROM jobs WHERE status IN ('queued','running') GROUP BY status");
  ActiveCounts counts;
  while (q.executeStep()) {
    const std::string status = q.getColumn(0).getString();
    (status == "queued" ? counts.queued : counts.running) = q.getColumn(1).getInt64();
  }
  return counts;
}

std::vector<Job> activeJobs(store::Conn& c) {
  auto& q = c.statement(AIGATE_SELECT_JOB
                        " WHERE status IN ('queued','running') ORDER BY created_at, id");
  std::vector<Job> out;
  while (q.executeStep()) out.push_back(readJob(q));
  return out;
}

int releaseOrphanHolds(store::Conn& c) {
  auto& q = c.statement(
      "SELECT h.id FROM holds h WHERE h.state = 'open' AND NOT EXISTS"
      " (SELECT 1 FROM jobs j WHERE j.hold_id = h.id AND j.status IN ('queued','running'))");
  std::vector<std::string> orphans;
  while (q.executeStep()) orphans.push_back(q.getColumn(0).getString());
  for (const auto& id : orphans) {
    auto released = credits::release(c, id);
    if (!released) throw std::runtime_error("cannot release hold " + id + ": " + released.error().message());
  }
  return static_cast<int>(orphans.size());
}

nlohmann::json jobJson(const Job& job, const std::optional<library::Asset>& asset,
                       const std::string& base_url) {
  nlohmann::json error = nullptr;
  if (job.status == "failed") {
    error = {{"error", job.error_code.empty() ? "upstream_error" : job.error_code},
             {"message", job.error_message}};
    if (!job.provider_error.empty()) error["provider_error"] = job.provider_error;
  }
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& a : job.attempt_log) {
    if (!a.is_object()) continue;
    auto time = [&](const char* key) -> nlohmann::json {
      if (!a.contains(key) || !a[key].is_number()) return nullptr;
      return isoTime(a[key].get<int64_t>() / 1000);
    };
    attempts.push_back({{"provider", a.value("provider", "")},
                        {"model", a.value("model", "")},
                        {"byok", a.value("credential", "") == "byok"},
                        {"outcome", a.value("outcome", "running")},
                        {"error", a.contains("error") ? a["error"] : nlohmann::json(nullptr)},
                        {"started_at", time("started_at")},
                        {"ended_at", time("ended_at")}});
  }
  return {{"id", job.id},
          {"kind", job.kind},
          {"status", job.status},
          {"progress", std::round(job.progress * 100) / 100},
          {"provider", job.provider()},
          {"seed", job.request.value("seed", nlohmann::json())},
          {"asset", asset ? library::assetJson(*asset, base_url) : nlohmann::json(nullptr)},
          {"error", error},
          {"byok", job.byok},
          {"attempts", std::move(attempts)},
          {"created_at", isoTime(job.created_at)},
          {"updated_at", isoTime(job.updated_at)}};
}

}  // namespace aigate::jobs
