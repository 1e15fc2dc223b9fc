// The job executor: drives generation jobs through their provider plugins.
//
// One thread runs a libcurl multi loop: it sends the plugins' HTTP requests,
// feeds back the responses, fires their timers, enforces per-request timeouts
// and each job's deadline, and retries retryable failures with jittered
// exponential backoff before falling back to the next provider of the job's
// chain. Steps of local plugins (renderers) and output downloads run on a
// small worker pool. Every step is recorded in the job's row, so start()
// resumes unfinished jobs after a restart (or a kill -9) where they stopped.
//
// Threading: every public function may be called from any thread. Callbacks
// (watchers, cancel results) run on the executor thread and must not block.
#pragma once

#include "core/jobs/job.h"
#include "core/jobs/providers.h"
#include "routing/health.h"
#include "core/storage/storage.h"
#include "core/store/store.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace aigate::jobs {

struct ExecutorOptions {
  int workers = 2;
  int max_attempts = 3;
  int retry_base_ms = 500;
  int64_t max_output_bytes = 256ll << 20;
  int64_t max_response_bytes = 16ll << 20;  // a plugin's API responses
  int download_timeout_ms = 300'000;
  bool share_generated = false;
};

ExecutorOptions executorOptions(const config::Config& cfg);

class Executor {
 public:
  Executor(ExecutorOptions options, store::Store& store, storage::AssetStorage& storage,
           std::shared_ptr<const Providers> providers);
  ~Executor();  // stop()
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Settles holds that no unfinished job owns, loads the unfinished jobs and
  // starts the threads. Call once.
  void start();
  // Stops the threads. Unfinished jobs stay in the store as they are and
  // resume at the next start(); nothing is charged or released by stopping.
  void stop();

  const Providers& providers() const { return *providers_; }

  // Where provider outcomes and latencies are reported (breakers, `fastest`).
  // Set before start(); null: nothing is reported.
  void setHealth(std::shared_ptr<routing::Health> health) { health_ = std::move(health); }
  // The user's own key for a provider (BYOK entries), decrypted just for the
  // job; set before start(). Without it, BYOK entries are skipped.
  using CredentialSource =
      std::function<Result<std::string>(const std::string& user_id, const std::string& provider)>;
  void setCredentialSource(CredentialSource source) { credentials_ = std::move(source); }

  // Runs a job whose row (with its hold) was just committed.
  void submit(Job job);

  // Calls `watcher` exactly once: with the final job as soon as it ends, or
  // with nullopt at `until`, when the job is not running here, or when
  // watchers are released.
  using Watcher = std::function<void(std::optional<Job>)>;
  void watch(const std::string& job_id, std::chrono::steady_clock::time_point until,
             Watcher watcher);

  // Cancels a running job: stops its work, asks the provider to cancel when
  // the plugin can, and releases its hold. `done` gets the final job, or
  // nullopt when the job is not running here (already final).
  void cancel(const std::string& job_id, Watcher done);

  // Answers every watcher now with nullopt (the server is draining).
  void releaseWatchers();

  // Jobs currently running here (for tests and metrics).
  size_t activeCount() const { return active_count_.load(); }

  // Runs `task` on the worker pool (work too slow for the executor thread,
  // such as reading stored outputs). Returns false, without running it, once
  // the executor is stopping.
  bool runOnPool(std::function<void()> task);

 private:
  struct Active;
  struct Loop;

  void post(std::function<void()> task);
  void loop();
  void workerLoop();

  const ExecutorOptions options_;
  store::Store& store_;
  storage::AssetStorage& storage_;
  const std::shared_ptr<const Providers> providers_;
  std::shared_ptr<routing::Health> health_;
  CredentialSource credentials_;
  std::unique_ptr<Loop> loop_;  // state of the executor thread

  std::mutex mutex_;
  std::vector<std::function<void()>> inbox_;  // Guarded by mutex_
  bool stopping_ = false;                    // Guarded by mutex_
  std::thread thread_;

  std::mutex pool_mutex_;
  std::condition_variable pool_wake_;
  std::deque<std::function<void()>> pool_queue_;  // Guarded by pool_mutex_
  bool pool_stopping_ = false;                    // Guarded by pool_mutex_
  std::vector<std::thread> workers_;

  std::atomic<size_t> active_count_{0};
  bool started_ = false;
};

}  // namespace aigate::jobs
