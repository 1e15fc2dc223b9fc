// Generation jobs as stored: one row per job in the `jobs` table, with the
// hold of its credits. Creating a job holds its cost in the same transaction;
// finishing it captures (succeeded) or releases (failed, canceled) the hold in
// the same transaction as the status change, so no credit is lost or taken
// twice, whatever crashes when. The same transaction writes the job's
// webhook events to the outbox (webhooks/outbox.h).
//
// Writes REQUIRE a Store write; reads take any connection.
#pragma once

#include "core/common/errors.h"
#include "core/library/asset.h"
#include "core/store/store.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aigate::jobs {

// One provider of a job's chain, as routing chose it.
struct ChainEntry {
  std::string provider;
  std::string model;                    // "" = the request's or the provider's default
  std::string credential = "operator";  // or "byok": the user's own key
  int timeout_s = 0;                    // 0: until the job's deadline
  int attempts = 0;                     // 0: generation.max_attempts
  int64_t credits = 0;                  // charged if this entry serves
};

struct Job {
  std::string id;  // "job_…"
  std::string user_id;
  std::string kind;              // "image" | "video"
  std::string status = "queued";  // queued | running | succeeded | failed | canceled
  double progress = 0;
  nlohmann::json request;  // {"kind","prompt","aspect_ratio","topic","model","seed"}
  std::vector<ChainEntry> chain;  // providers, tried in order
  int chain_pos = 0;
  std::string credential_ref = "operator";
  nlohmann::json state;    // the plugin's state after its last action
  nlohmann::json pending;  // the action in flight; null before start
  int attempts = 0;        // failed tries of the current provider
  std::optional<int64_t> next_at_ms;
  int64_t deadline_ms = 0;
  std::string hold_id;
  int64_t cost = 0;  // held at creation (the dearest entry); charged: the serving entry's
  bool byok = false;
  // One object per provider attempt: provider, model, credential, started_at,
  // ended_at (unix ms), outcome (succeeded|failed|timeout|skipped|canceled), error.
  nlohmann::json attempt_log = nlohmann::json::array();
  std::optional<std::string> asset_id;
  std::string error_code;  // API error code when failed
  std::string error_message;
  std::string provider_error;  // the plugin's own code ("content_policy"…)
  std::string request_id;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  // Not stored: what the executor's end of the job produced, for the reply
  // to whoever waited (so that it reads nothing back).
  std::shared_ptr<const library::Asset> asset;  // the asset_id's row
  std::optional<int64_t> balance_after;          // the owner's available credits

  const ChainEntry& entry() const { return chain.at(static_cast<size_t>(chain_pos)); }
  const std::string& provider() const { return entry().provider; }
  bool active() const { return status == "queued" || status == "running"; }
};

int64_t unixMillis();

// Holds `job.cost` from the user's credits and inserts the job (id and times
// filled in). insufficient_credits when the user cannot cover it; 429
// rate_limit when `max_active` > 0 and the user already has that many jobs
// queued or running (counted in this transaction, so exact under any
// concurrency).
Result<Job> createJob(store::Conn& c, Job job, int max_active = 0);

// Records progress of an active job (status, progress, provider position,
// state, pending action, attempts, next timer, attempt log). A no-op once it
// is final.
void saveJob(store::Conn& c, const Job& job);

// Writes `job` as the executor ends it, in one statement: its final status
// (succeeded with asset_id, failed with error_code/error_message/
// provider_error, or canceled), attempt log and position. A success charges
// the serving entry's credits from the hold (releasing the rest), any other
// end releases it; the webhook events are queued in the same transaction.
// Returns false (and changes nothing) when the row was already final; else
// sets job.balance_after.
bool finishJob(store::Conn& c, Job& job);

// The job log's "running" line (the executor has started its first entry).
void logRunning(const Job& job);

// Marks an active job failed or canceled by id (a job no executor holds) and
// releases its hold. Returns false (and changes nothing) when it was final.
bool endJob(store::Conn& c, const std::string& job_id, const std::string& status,
            const std::string& error_code, const std::string& message,
            const std::string& provider_error);

std::optional<Job> findJob(store::Conn& c, const std::string& id);

// How many jobs are queued and how many running (from an index: cheap).
struct ActiveCounts {
  int64_t queued = 0;
  int64_t running = 0;
};
ActiveCounts countActive(store::Conn& c);

// Every queued or running job, oldest first.
std::vector<Job> activeJobs(store::Conn& c);

// Releases every open hold that no active job owns (a crash between steps
// cannot leave one, but a hand-edited or older store may). Returns how many.
int releaseOrphanHolds(store::Conn& c);

// The API's Job object.
nlohmann::json jobJson(const Job& job, const std::optional<library::Asset>& asset,
                       const std::string& base_url);

}  // namespace aigate::jobs
