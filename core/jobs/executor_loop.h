// Internal to the job executor (core/jobs/executor*.cc); nothing else includes
// it. Declares a running job (Executor::Active) and the executor thread's state
// (Executor::Loop), whose functions are defined by concern: the loop itself in
// executor.cc, starting jobs and walking their provider chain in
// executor_chain.cc, ending jobs and storing their outputs in
// executor_outputs.cc.
#pragma once

#include "core/http/transfer.h"
#include "core/jobs/executor.h"

#include <curl/curl.h>

#include <random>

namespace aigate::jobs {

// Shared by executor_chain.cc and executor_outputs.cc.
std::string truncateUtf8(const std::string& s, size_t max_chars);

struct Executor::Active {
  enum class Phase { kStepping, kHttp, kTimer, kDownload, kFinishing };
  Job job;
  const Provider* provider = nullptr;
  nlohmann::json credential;    // for the plugin's events; never stored
  std::string breaker;          // routing::breakerKey of the current entry
  int64_t entry_started_ms = 0;
  int64_t entry_deadline_ms = 0;  // the entry's timeout_s, capped by the job's deadline
  Phase phase = Phase::kStepping;
  std::unique_ptr<http::Transfer> transfer;
  int64_t timer_at = 0;        // unix ms, in kTimer
  nlohmann::json timer_event;  // {"event":"timer"}, or {"retry":"http"|"start"}
  nlohmann::json output;       // in kDownload: the plugin's output being fetched
  int64_t unsaved_since = 0;  // unix ms of the oldest change not written; 0: none
  bool at_start = false;      // the entry's plugin has seen nothing but "start"
  bool cancel_requested = false;
  std::vector<Watcher> cancel_waiters;
};

// Everything the executor thread owns.
struct Executor::Loop {
  Executor& ex;
  CURLM* multi = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Active>> jobs;
  std::unordered_map<const http::Transfer*, std::string> transfer_job;
  std::vector<std::unique_ptr<http::Transfer>> detached;  // upstream cancels, answers ignored
  struct WatchEntry {
    std::string job_id;
    std::chrono::steady_clock::time_point until;
    Watcher watcher;
  };
  std::vector<WatchEntry> watchers;
  std::mt19937_64 rng{std::random_device{}()};

  explicit Loop(Executor& e);
  ~Loop();
  Active* find(const std::string& id);
  void save(Active& a);

  // --- starting and resuming (executor_chain.cc) ----------------------------

  void add(Job job, bool resumed);

  // --- the chain -----------------------------------------------------------

  // Prepares the current entry: its provider, credential and breaker. False
  // (with the reason logged on the job) when it cannot serve now.
  bool bindEntry(Active& a, bool resumed);

  void skipEntry(Active& a, const std::string& why);

  // Starts the current entry, or the first later one that can serve.
  void enterEntry(Active& a);

  void closeAttempt(Active& a, const std::string& outcome, const std::string& error);

  // Written later (tick) or with the job's end: nothing a restart needs yet.
  void saveLater(Active& a);

  void startProvider(Active& a);

  // --- plugin steps ------------------------------------------------------

  void feed(Active& a, nlohmann::json event);
  void onAction(const std::string& id, nlohmann::json action);

  // --- HTTP ----------------------------------------------------------------

  void send(Active& a, http::HttpRequest request);
  void dropTransfer(Active& a);
  void onTransferDone(http::Transfer* t, CURLcode code);

  // --- failures, retries, fallbacks ------------------------------------------

  void onFail(Active& a, const std::string& code, const std::string& message, bool retryable);

  // The current entry has failed for good: the next one, unless the failure
  // is the request's fault (no other provider would do better).
  void fallBack(Active& a, const std::string& code, const std::string& message);

  // The entry's own timeout passed before the job's deadline: next entry.
  void entryTimeout(Active& a);

  void expire(Active& a);

  // Asks the provider to cancel the job upstream when its plugin can; the
  // answer is not waited for.
  void cancelUpstream(Active& a);

  void doCancel(Active& a);

  // --- the end of a job (executor_outputs.cc) ---------------------------------

  // `a.job` as it ends: a success has progress 1 and costs the serving
  // entry's credits (BYOK per its credential); anything else costs nothing.
  static Job ended(const Active& a, const std::string& status, const std::string& code,
                   const std::string& message, const std::string& provider_error);

  // Writes the final status (capturing or releasing the hold), then completes.
  void finish(Active& a, const std::string& status, const std::string& code,
              const std::string& message, const std::string& provider_error);

  // After the final write: `job` is what was written when `written`, else
  // the row (the job ended another way meanwhile) is read back.
  void postCompleted(std::shared_ptr<Job> job, bool written);

  // The job's final row is committed: answer whoever waits, forget the job.
  void completed(const std::string& id, std::optional<Job> job);

  // The provider is done: its first output becomes the job's asset. A URL is
  // downloaded here, on the loop's connections (kept alive per host);
  // decoding, probing and storing the bytes happen on the pool.
  void materialize(Active& a, nlohmann::json outputs);

  void onDownloaded(Active& a, Result<http::HttpResponse> response);

  // The output could not be had: the attempt is open again and fails.
  void outputFailed(Active& a, const std::string& message);

  // On the pool: the output's bytes stored and recorded as an asset, and the
  // job settled, in one transaction.
  void settle(Active& a, std::optional<std::string> downloaded);

  // Runs on a worker: the output's bytes (downloaded, or its data_base64)
  // into storage, described as an asset.
  Result<library::Asset> storeOutput(const Job& job, const nlohmann::json& output,
                                     std::optional<std::string> downloaded,
                                     const std::string& provider);

  // --- the clock (executor.cc) ---------------------------------------------------

  // Fires due timers, deadlines and watcher timeouts; returns the ms until
  // the next one (at most 1000).
  int64_t tick();
  void releaseWatchers();
  void run();
};

}  // namespace aigate::jobs
