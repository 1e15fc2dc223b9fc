// The delivery worker: sends the webhook outbox (outbox.h) at least once.
//
// One thread drives a libcurl multi handle. It picks pending deliveries that
// are due, vets each URL again with the SSRF guard (DNS may have changed) and
// connects to the vetted address only, signs the body per Standard Webhooks,
// and records every attempt through the store's writer: 2xx delivered; 410
// disables the endpoint (its pending deliveries fail); anything else is
// retried after the next delay of the schedule (±20% jitter) until the
// schedule runs out. A delivery interrupted by a crash is still pending and
// is sent again after the restart, with the same webhook-id.
//
// The body is built at the first attempt from the job (jobs::jobJson, with
// `base_url` for asset links) and kept, so every attempt sends the same bytes.
//
// Threading: every public function may be called from any thread.
#pragma once

#include "config/config.h"
#include "core/http/ssrf.h"
#include "core/store/store.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace aigate::webhooks {

struct DispatcherOptions {
  std::vector<int> retry_schedule_s = {5, 300, 1800, 7200, 18000, 36000, 50400};
  int timeout_ms = 10'000;
  http::SsrfPolicy ssrf;
  std::string base_url;  // where clients reach this gateway, for asset URLs
  int poll_ms = 500;     // how often new outbox rows are looked for
  int max_in_flight = 16;
  int64_t max_response_bytes = 1 << 20;  // a longer answer fails the attempt
};

// The options from the config; `base_url` as App::baseUrl would give it.
DispatcherOptions dispatcherOptions(const config::Config& cfg, std::string base_url);

// The delay before the retry after `attempts` failed attempts, jittered by
// ±20%; nullopt when the schedule is exhausted.
std::optional<int64_t> retryDelayMs(const std::vector<int>& schedule_s, int attempts,
                                    std::mt19937_64& rng);

class Dispatcher {
 public:
  Dispatcher(DispatcherOptions options, store::Store& store);
  ~Dispatcher();  // stop()
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // Abandons attempts in flight (they stay pending and are sent again at the
  // next start) and waits for the attempts already being recorded.
  void stop();
  // Looks for due deliveries now instead of at the next poll.
  void wake();

 private:
  struct Loop;
  void run();
  // Called on the writer thread once an attempt's row is written.
  void recorded(int64_t seq);

  const DispatcherOptions options_;
  store::Store& store_;
  void* multi_ = nullptr;  // CURLM*, created in start()
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  std::mutex mutex_;
  std::condition_variable idle_;
  std::set<int64_t> in_flight_;  // Guarded by mutex_: seqs sent or being recorded
  int recording_ = 0;            // Guarded by mutex_: attempt writes not yet done
};

}  // namespace aigate::webhooks
