#include "core/jobs/executor.h"

#include "core/common/clock.h"
#include "core/common/crypto.h"
#include "core/common/log.h"
#include "core/http/transfer.h"
#include "core/library/catalog.h"
#include "core/library/media_probe.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>

namespace aigate::jobs {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int64_t kMaxWaitMs = 24ll * 3600 * 1000;
// A job whose only news is "running" (no provider state to lose yet) is
// written when it runs this long; a quick one only when it ends.
constexpr int64_t kLazySaveMs = 1000;
constexpr size_t kMaxTitleChars = 120;

bool validUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    if (c >= 0x80) {
      if ((c >> 5) == 6) n = 1;
      else if ((c >> 4) == 14) n = 2;
      else if ((c >> 3) == 30) n = 3;
      else return false;
      if (i + n >= s.size()) return false;
      for (size_t k = 1; k <= n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n + 1;
  }
  return true;
}

// The failure codes that are the request's fault: no other provider would do
// better, so the chain stops there.
bool requestsFault(const std::string& code) {
  return code == "content_policy" || code == "invalid_request" || code == "canceled";
}

std::string truncateUtf8(const std::string& s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max_chars)
      return s.substr(0, i) + "…";
  }
  return s;
}

json failAction(const std::string& code, const std::string& message, bool retryable) {
  return {{"action", "fail"}, {"code", code}, {"message", message}, {"retryable", retryable}};
}

// One step of `provider`'s plugin with a pooled instance.
json stepWith(const Provider& provider, const json& event) {
  auto lease = provider.lease();
  if (!lease) return failAction("plugin_error", lease.error().message(), false);
  return (*lease)->step(event);
}

}  // namespace

ExecutorOptions executorOptions(const config::Config& cfg) {
  ExecutorOptions o;
  o.workers = cfg.generation.workers;
  o.max_attempts = cfg.generation.max_attempts;
  o.retry_base_ms = cfg.generation.retry_base_ms;
  o.max_output_bytes = cfg.generation.max_output_bytes;
  o.share_generated = cfg.generation.share_generated;
  return o;
}

struct Executor::Active {
  enum class Phase { kStepping, kHttp, kTimer, kDownload, kFinishing };
  Job job;
  const Provider* provider = nullptr;
  json credential;              // for the plugin's events; never stored
  std::string breaker;          // routing::breakerKey of the current entry
  int64_t entry_started_ms = 0;
  int64_t entry_deadline_ms = 0;  // the entry's timeout_s, capped by the job's deadline
  Phase phase = Phase::kStepping;
  std::unique_ptr<http::Transfer> transfer;
  int64_t timer_at = 0;  // unix ms, in kTimer
  json timer_event;      // {"event":"timer"}, or {"retry":"http"|"start"}
  json output;           // in kDownload: the plugin's output being fetched
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
    Clock::time_point until;
    Watcher watcher;
  };
  std::vector<WatchEntry> watchers;
  std::mt19937_64 rng{std::random_device{}()};

  explicit Loop(Executor& e) : ex(e), multi(curl_multi_init()) {}
  ~Loop() {
    for (auto& [id, a] : jobs)
      if (a->transfer) curl_multi_remove_handle(multi, a->transfer->handle());
    for (auto& t : detached) curl_multi_remove_handle(multi, t->handle());
    curl_multi_cleanup(multi);
  }

  Active* find(const std::string& id) {
    auto it = jobs.find(id);
    return it == jobs.end() ? nullptr : it->second.get();
  }

  void save(Active& a) {
    a.unsaved_since = 0;
    ex.store_.write([job = a.job](store::Conn& c) {
      saveJob(c, job);
      return Status::Ok();
    }, [](const Status&) {});
  }

  // --- starting and resuming ---------------------------------------------

  void add(Job job, bool resumed) {
    if (jobs.count(job.id)) return;
    auto a = std::make_unique<Active>();
    a->job = std::move(job);
    Active& ref = *a;
    jobs.emplace(ref.job.id, std::move(a));
    ex.active_count_ = jobs.size();
    if (unixMillis() >= ref.job.deadline_ms) return expire(ref);
    const json& pending = ref.job.pending;
    const std::string type = pending.is_object() ? pending.value("type", "") : "";
    // Resuming after a restart: the same entry, where it stopped.
    const bool open_attempt = !ref.job.attempt_log.empty() &&
                              !ref.job.attempt_log.back().contains("ended_at");
    // (Rows from before attempt logs resume too.)
    const bool resumable = open_attempt || ref.job.attempt_log.empty();
    if (resumed && resumable && (type == "http" || type == "wait") && bindEntry(ref, true)) {
      if (type == "http") {
        auto request = http::requestFromJson(pending["request"]);
        if (request) return send(ref, *request);
      } else {
        ref.phase = Active::Phase::kTimer;
        ref.timer_at = ref.job.next_at_ms.value_or(0);
        ref.timer_event = {{"event", "timer"}};
        return;
      }
    }
    if (resumed && open_attempt) closeAttempt(ref, "failed", "restarted with the gateway");
    enterEntry(ref);
  }

  // --- the chain -----------------------------------------------------------

  // Prepares the current entry: its provider, credential and breaker. False
  // (with the reason logged on the job) when it cannot serve now.
  bool bindEntry(Active& a, bool resumed) {
    const ChainEntry& e = a.job.entry();
    a.provider = ex.providers_->find(e.provider);
    if (!a.provider) return skipEntry(a, "not configured on this gateway any more"), false;
    const bool byok = e.credential == "byok";
    a.breaker = routing::breakerKey(e.provider, byok ? "byok:" + a.job.user_id : "operator");
    const int64_t now = unixMillis();
    if (!resumed && ex.health_ && !ex.health_->allows(a.breaker, now))
      return skipEntry(a, "circuit open"), false;
    if (byok) {
      if (!ex.credentials_) return skipEntry(a, "no key store for users' own keys"), false;
      auto key = ex.credentials_(a.job.user_id, e.provider);
      if (!key) return skipEntry(a, "the user's key cannot be used: " + key.error().message()), false;
      a.credential = {{"api_key", std::move(*key)}};
    } else {
      a.credential = a.provider->credential();
    }
    if (resumed && !a.job.attempt_log.empty())
      a.entry_started_ms = a.job.attempt_log.back().value("started_at", now);
    else
      a.entry_started_ms = now;
    a.entry_deadline_ms = a.job.deadline_ms;
    if (e.timeout_s > 0)
      a.entry_deadline_ms = std::min(a.entry_deadline_ms, a.entry_started_ms + int64_t{e.timeout_s} * 1000);
    if (ex.health_) ex.health_->begin(a.breaker, now);
    return true;
  }

  void skipEntry(Active& a, const std::string& why) {
    const ChainEntry& e = a.job.entry();
    a.job.attempt_log.push_back({{"provider", e.provider},
                                 {"model", e.model},
                                 {"credential", e.credential},
                                 {"started_at", unixMillis()},
                                 {"ended_at", unixMillis()},
                                 {"outcome", "skipped"},
                                 {"error", why}});
  }

  // Starts the current entry, or the first later one that can serve.
  void enterEntry(Active& a) {
    while (true) {
      if (bindEntry(a, false)) {
        const ChainEntry& e = a.job.entry();
        a.job.attempts = 0;
        a.job.attempt_log.push_back({{"provider", e.provider},
                                     {"model", e.model},
                                     {"credential", e.credential},
                                     {"started_at", a.entry_started_ms}});
        return startProvider(a);
      }
      if (a.job.chain_pos + 1 >= static_cast<int>(a.job.chain.size())) break;
      ++a.job.chain_pos;
    }
    std::string why;
    for (const auto& attempt : a.job.attempt_log)
      why += (why.empty() ? "" : "; ") + attempt.value("provider", "") + ": " + attempt.value("error", "");
    finish(a, "failed", "generation_unavailable", "No provider could serve the job: " + why, "");
  }

  void closeAttempt(Active& a, const std::string& outcome, const std::string& error) {
    if (a.job.attempt_log.empty()) return;
    json& last = a.job.attempt_log.back();
    if (last.contains("ended_at")) return;
    last["ended_at"] = unixMillis();
    last["outcome"] = outcome;
    if (!error.empty()) last["error"] = truncateUtf8(error, 300);
  }

  // Written later (tick) or with the job's end: nothing a restart needs yet.
  void saveLater(Active& a) {
    if (a.unsaved_since == 0) a.unsaved_since = unixMillis();
  }

  void startProvider(Active& a) {
    if (a.job.status == "queued") {
      a.job.status = "running";
      logRunning(a.job);
    }
    a.job.state = nullptr;
    a.job.pending = {{"type", "start"}};
    a.job.next_at_ms.reset();
    a.at_start = true;
    saveLater(a);
    json request = a.job.request;
    if (!a.job.entry().model.empty()) {
      request["model"] = a.job.entry().model;
    } else if (!request.contains("model") || request["model"].is_null()) {
      const auto& d = a.provider->plugin().description();
      request["model"] = d.value("default_model", std::string());
    }
    feed(a, {{"event", "start"}, {"job_id", a.job.id}, {"request", std::move(request)}});
  }

  // --- plugin steps ------------------------------------------------------

  void feed(Active& a, json event) {
    if (a.at_start) a.at_start = event.value("event", "") == "start";
    event["credential"] = a.credential;
    if (!event.contains("state")) event["state"] = a.job.state;
    a.phase = Active::Phase::kStepping;
    if (!a.provider->local()) return onAction(a.job.id, stepWith(*a.provider, event));
    ex.runOnPool([ex = &ex, provider = a.provider, id = a.job.id, event = std::move(event)] {
      json action = stepWith(*provider, event);
      ex->post([ex, id, action = std::move(action)]() mutable {
        ex->loop_->onAction(id, std::move(action));
      });
    });
  }

  void onAction(const std::string& id, json action) {
    Active* a = find(id);
    if (!a || a->phase != Active::Phase::kStepping) return;
    if (a->cancel_requested) return doCancel(*a);
    const std::string type = action.value("action", "");
    if (auto it = action.find("progress"); it != action.end() && it->is_number())
      a->job.progress = std::clamp(it->get<double>(), 0.0, 1.0);
    if (type != "fail") {
      if (auto it = action.find("state"); it != action.end()) a->job.state = *it;
    }
    if (type == "http") {
      auto request = http::requestFromJson(action.value("request", json()));
      if (!request) return onFail(*a, "plugin_error", request.error().message(), false);
      a->job.pending = {{"type", "http"}, {"request", std::move(action["request"])}};
      a->job.next_at_ms.reset();
      // A request made from what the provider answered (its job id…) must
      // survive a restart; the entry's first one is made again from "start".
      if (a->at_start) saveLater(*a);
      else save(*a);
      return send(*a, *request);
    }
    if (type == "wait") {
      const auto ms = std::clamp<int64_t>(action.value("ms", int64_t{1000}), 0, kMaxWaitMs);
      a->job.pending = {{"type", "wait"}};
      a->job.next_at_ms = unixMillis() + ms;
      save(*a);
      a->phase = Active::Phase::kTimer;
      a->timer_at = *a->job.next_at_ms;
      a->timer_event = {{"event", "timer"}};
      return;
    }
    if (type == "done") {
      if (ex.health_) {
        const int64_t now = unixMillis();
        ex.health_->success(a->breaker, now);
        ex.health_->recordLatency(a->provider->name(), a->job.kind,
                                  static_cast<double>(now - a->entry_started_ms));
      }
      return materialize(*a, action.value("outputs", json::array()));
    }
    if (type == "fail") {
      return onFail(*a, action.value("code", std::string("upstream_error")),
                    action.value("message", std::string("the provider failed")),
                    action.value("retryable", false));
    }
    onFail(*a, "plugin_error", "the plugin answered an unknown action \"" + type + "\"", false);
  }

  // --- HTTP ----------------------------------------------------------------

  void send(Active& a, http::HttpRequest request) {
    const int64_t now = unixMillis();
    if (now >= a.job.deadline_ms) return expire(a);
    if (now >= a.entry_deadline_ms) return entryTimeout(a);
    const int64_t left = a.entry_deadline_ms - now;
    request.timeout_ms = static_cast<int>(std::min<int64_t>(request.timeout_ms, left));
    a.transfer = std::make_unique<http::Transfer>(request, ex.options_.max_response_bytes);
    if (!a.transfer->handle()) {
      a.transfer.reset();
      return onFail(a, "internal_error", "cannot create an HTTP transfer", true);
    }
    transfer_job[a.transfer.get()] = a.job.id;
    curl_multi_add_handle(multi, a.transfer->handle());
    a.phase = Active::Phase::kHttp;
  }

  void dropTransfer(Active& a) {
    if (!a.transfer) return;
    curl_multi_remove_handle(multi, a.transfer->handle());
    transfer_job.erase(a.transfer.get());
    a.transfer.reset();
  }

  void onTransferDone(http::Transfer* t, CURLcode code) {
    auto detached_it = std::find_if(detached.begin(), detached.end(),
                                    [&](const auto& d) { return d.get() == t; });
    if (detached_it != detached.end()) {
      curl_multi_remove_handle(multi, t->handle());
      detached.erase(detached_it);
      return;
    }
    auto it = transfer_job.find(t);
    if (it == transfer_job.end()) return;
    Active* a = find(it->second);
    if (!a) return;
    auto response = t->finish(code);
    dropTransfer(*a);
    if (a->phase == Active::Phase::kDownload) return onDownloaded(*a, std::move(response));
    // Cut short by the job's deadline or the entry's timeout (clamped to them).
    if (!response && unixMillis() + 10 >= a->job.deadline_ms) return expire(*a);
    if (!response && unixMillis() + 10 >= a->entry_deadline_ms) return entryTimeout(*a);
    json event;
    if (!response) {
      event = {{"event", "http_error"}, {"message", response.error().message()}};
    } else {
      json headers = json::object();
      for (const auto& [name, value] : response->headers) headers[name] = value;
      const bool text = validUtf8(response->body);
      event = {{"event", "http_response"},
               {"status", response->status},
               {"headers", std::move(headers)},
               {"body", text ? std::move(response->body) : http::encodeBase64(response->body)},
               {"body_base64", !text}};
    }
    feed(*a, std::move(event));
  }

  // --- failures, retries, fallbacks ------------------------------------------

  void onFail(Active& a, const std::string& code, const std::string& message, bool retryable) {
    const int64_t now = unixMillis();
    if (ex.health_) {
      if (requestsFault(code)) ex.health_->neutral(a.breaker);
      else ex.health_->failure(a.breaker, now);
    }
    const int max_attempts = a.job.entry().attempts > 0 ? a.job.entry().attempts : ex.options_.max_attempts;
    if (retryable && a.job.attempts + 1 < max_attempts) {
      const double base = ex.options_.retry_base_ms * std::pow(2.0, a.job.attempts);
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      const auto delay = static_cast<int64_t>(base * jitter(rng));
      if (now + delay < a.entry_deadline_ms) {
        ++a.job.attempts;
        const bool resend = a.job.pending.is_object() && a.job.pending.value("type", "") == "http";
        a.phase = Active::Phase::kTimer;
        a.timer_at = now + delay;
        a.timer_event = {{"retry", resend ? "http" : "start"}};
        a.job.next_at_ms = a.timer_at;
        save(a);
        return;
      }
    }
    closeAttempt(a, "failed", code + ": " + message);
    fallBack(a, code, message);
  }

  // The current entry has failed for good: the next one, unless the failure
  // is the request's fault (no other provider would do better).
  void fallBack(Active& a, const std::string& code, const std::string& message) {
    const std::string provider = a.job.provider();
    if (!requestsFault(code) && a.job.chain_pos + 1 < static_cast<int>(a.job.chain.size())) {
      ++a.job.chain_pos;
      std::cerr << "aigate: job " << a.job.id << ": " << provider << " failed (" << code << ": "
                << message << "), trying " << a.job.provider() << std::endl;
      return enterEntry(a);
    }
    finish(a, "failed", requestsFault(code) ? "upstream_error" : "generation_unavailable",
           provider + ": " + message, code);
  }

  // The entry's own timeout passed before the job's deadline: next entry.
  void entryTimeout(Active& a) {
    dropTransfer(a);
    cancelUpstream(a);
    if (ex.health_) ex.health_->failure(a.breaker, unixMillis());
    const std::string message =
        "no result within its timeout_s (" + std::to_string(a.job.entry().timeout_s) + " s)";
    closeAttempt(a, "timeout", message);
    fallBack(a, "timeout", message);
  }

  void expire(Active& a) {
    cancelUpstream(a);
    if (ex.health_ && !a.breaker.empty()) ex.health_->failure(a.breaker, unixMillis());
    closeAttempt(a, "timeout", "the job's deadline passed");
    finish(a, "failed", "generation_unavailable",
           "The job did not finish before its deadline.", "timeout");
  }

  // Asks the provider to cancel the job upstream when its plugin can; the
  // answer is not waited for.
  void cancelUpstream(Active& a) {
    if (!a.provider || !a.provider->canCancel() || a.job.state.is_null()) return;
    json action = stepWith(*a.provider, {{"event", "cancel"},
                                         {"state", a.job.state},
                                         {"credential", a.credential}});
    if (action.value("action", "") != "http") return;
    auto request = http::requestFromJson(action.value("request", json()));
    if (!request) return;
    request->timeout_ms = std::min(request->timeout_ms, 10'000);
    auto t = std::make_unique<http::Transfer>(*request, ex.options_.max_response_bytes);
    if (!t->handle()) return;
    curl_multi_add_handle(multi, t->handle());
    detached.push_back(std::move(t));
  }

  void doCancel(Active& a) {
    dropTransfer(a);
    if (a.provider && !a.provider->local()) cancelUpstream(a);
    if (ex.health_ && !a.breaker.empty()) ex.health_->neutral(a.breaker);
    closeAttempt(a, "canceled", "");
    finish(a, "canceled", "", "", "");
  }

  // --- the end of a job --------------------------------------------------------

  // `a.job` as it ends: a success has progress 1 and costs the serving
  // entry's credits (BYOK per its credential); anything else costs nothing.
  static Job ended(const Active& a, const std::string& status, const std::string& code,
                   const std::string& message, const std::string& provider_error) {
    Job job = a.job;
    job.status = status;
    job.error_code = code;
    job.error_message = message;
    job.provider_error = provider_error;
    job.pending = nullptr;
    job.next_at_ms.reset();
    job.updated_at = unixSeconds();
    if (status == "succeeded") {
      job.progress = 1;
      job.cost = job.entry().credits;
      job.byok = job.entry().credential == "byok";
    }
    return job;
  }

  // Writes the final status (capturing or releasing the hold), then completes.
  void finish(Active& a, const std::string& status, const std::string& code,
              const std::string& message, const std::string& provider_error) {
    dropTransfer(a);
    a.phase = Active::Phase::kFinishing;
    auto job = std::make_shared<Job>(ended(a, status, code, message, provider_error));
    ex.store_.write(
        [job](store::Conn& c) -> Status {
          if (!finishJob(c, *job)) return Error(ErrorCode::kInvalidRequest, "the job ended meanwhile");
          return Status::Ok();
        },
        [ex = &ex, job](const Status& status) { ex->loop_->postCompleted(std::move(job), status.ok()); });
  }

  // After the final write: `job` is what was written when `written`, else
  // the row (the job ended another way meanwhile) is read back.
  void postCompleted(std::shared_ptr<Job> job, bool written) {
    ex.post([ex = &ex, job = std::move(job), written] {
      const std::string id = job->id;
      std::optional<Job> final_job;
      if (written) final_job = std::move(*job);
      else final_job = findJob(ex->store_.reader(), id);
      ex->loop_->completed(id, std::move(final_job));
    });
  }

  // The job's final row is committed: answer whoever waits, forget the job.
  void completed(const std::string& id, std::optional<Job> job) {
    if (Active* a = find(id)) {
      for (auto& w : a->cancel_waiters) w(job);
      jobs.erase(id);
      ex.active_count_ = jobs.size();
    }
    for (auto it = watchers.begin(); it != watchers.end();) {
      if (it->job_id == id) {
        Watcher w = std::move(it->watcher);
        it = watchers.erase(it);
        w(job);
      } else {
        ++it;
      }
    }
  }

  // The provider is done: its first output becomes the job's asset. A URL is
  // downloaded here, on the loop's connections (kept alive per host);
  // decoding, probing and storing the bytes happen on the pool.
  void materialize(Active& a, json outputs) {
    if (!outputs.is_array() || outputs.empty() || !outputs[0].is_object())
      return onFail(a, "plugin_error", "the plugin finished without an output", false);
    closeAttempt(a, "succeeded", "");
    a.output = std::move(outputs[0]);
    const auto data = a.output.find("data_base64");
    const auto url = a.output.find("url");
    if ((data == a.output.end() || !data->is_string()) && url != a.output.end() && url->is_string()) {
      http::HttpRequest request;
      request.url = url->get<std::string>();
      request.timeout_ms = static_cast<int>(
          std::clamp<int64_t>(a.job.deadline_ms - unixMillis(), 1, ex.options_.download_timeout_ms));
      a.transfer = std::make_unique<http::Transfer>(request, ex.options_.max_output_bytes);
      if (!a.transfer->handle()) {
        a.transfer.reset();
        return outputFailed(a, "cannot create an HTTP transfer");
      }
      a.transfer->followRedirects(5);
      transfer_job[a.transfer.get()] = a.job.id;
      curl_multi_add_handle(multi, a.transfer->handle());
      a.phase = Active::Phase::kDownload;
      return;
    }
    settle(a, std::nullopt);
  }

  void onDownloaded(Active& a, Result<http::HttpResponse> response) {
    if (!response) return outputFailed(a, "downloading the output: " + response.error().message());
    if (response->status != 200)
      return outputFailed(a, "downloading the output: HTTP " + std::to_string(response->status));
    settle(a, std::move(response->body));
  }

  // The output could not be had: the attempt is open again and fails.
  void outputFailed(Active& a, const std::string& message) {
    a.phase = Active::Phase::kStepping;
    a.output = nullptr;
    if (!a.job.attempt_log.empty()) a.job.attempt_log.back().erase("ended_at");
    onFail(a, "output_unavailable", message, true);
  }

  // On the pool: the output's bytes stored and recorded as an asset, and the
  // job settled, in one transaction.
  void settle(Active& a, std::optional<std::string> downloaded) {
    a.phase = Active::Phase::kFinishing;
    auto job = std::make_shared<Job>(ended(a, "succeeded", "", "", ""));
    ex.runOnPool([ex = &ex, job, output = std::move(a.output), downloaded = std::move(downloaded),
                  provider = a.provider->name()]() mutable {
      auto asset = ex->loop_->storeOutput(*job, output, std::move(downloaded), provider);
      if (!asset) {
        ex->post([ex, id = job->id, error = asset.error()] {
          if (Active* a = ex->loop_->find(id)) ex->loop_->outputFailed(*a, error.message());
        });
        return;
      }
      ex->store_.write(
          [job, asset = std::move(asset.value())](store::Conn& c) -> Status {
            auto inserted = library::insertAsset(c, asset);
            job->asset_id = inserted.id;
            job->asset = std::make_shared<const library::Asset>(std::move(inserted.asset));
            if (!finishJob(c, *job)) return Error(ErrorCode::kInvalidRequest, "the job ended meanwhile");
            return Status::Ok();
          },
          [ex, job](const Status& status) { ex->loop_->postCompleted(job, status.ok()); });
    });
  }

  // Runs on a worker: the output's bytes (downloaded, or its data_base64)
  // into storage, described as an asset.
  Result<library::Asset> storeOutput(const Job& job, const json& output,
                                     std::optional<std::string> downloaded, const std::string& provider) {
    const int64_t limit = ex.options_.max_output_bytes;
    std::string bytes;
    if (downloaded) {
      bytes = std::move(*downloaded);
    } else if (auto it = output.find("data_base64"); it != output.end() && it->is_string()) {
      if (static_cast<int64_t>(it->get_ref<const std::string&>().size()) / 4 * 3 > limit + 3)
        return Error(ErrorCode::kUpstreamError, "the output is larger than the limit");
      auto decoded = http::decodeBase64(it->get_ref<const std::string&>());
      if (!decoded) return Error(ErrorCode::kUpstreamError, "the output's data_base64 is not base64");
      bytes = std::move(*decoded);
    } else {
      return Error(ErrorCode::kUpstreamError, "the output has neither url nor data_base64");
    }
    std::string problem;
    auto info = library::probeMedia(bytes, &problem);
    if (!info) return Error(ErrorCode::kUpstreamError, "the output is not a media file we serve: " + problem);
    if (info->type != job.kind)
      return Error(ErrorCode::kUpstreamError, "the output is a " + info->type + ", not a " + job.kind);
    library::Asset asset;
    asset.sha256 = toHex(sha256(bytes));
    asset.file = storage::contentKey(asset.sha256, info->ext);
    if (auto stored = ex.storage_.putBytes(asset.file, bytes); !stored)
      return Error(ErrorCode::kInternalError, "storing the output: " + stored.error().message());
    const std::string prompt = job.request.value("prompt", std::string());
    asset.type = info->type;
    asset.mime = info->mime;
    asset.bytes = bytes.size();
    asset.title = truncateUtf8(prompt, kMaxTitleChars);
    asset.description = "Generated by " + provider + " from the prompt: " + prompt;
    asset.topic = job.request.value("topic", std::string());
    asset.aspect_ratio = library::bucketAspectRatio(info->width, info->height);
    asset.width = info->width;
    asset.height = info->height;
    asset.duration_s = info->duration_s;
    asset.source = "generated";
    asset.provider = provider;
    if (!ex.options_.share_generated) asset.owner_id = job.user_id;
    asset.prompt = prompt;
    return asset;
  }

  // --- the clock ---------------------------------------------------------------

  // Fires due timers, deadlines and watcher timeouts; returns the ms until
  // the next one (at most 1000).
  int64_t tick() {
    const int64_t now = unixMillis();
    int64_t next = 1000;
    std::vector<std::string> due;
    for (auto& [id, a] : jobs) {
      if (a->unsaved_since != 0 && now - a->unsaved_since >= kLazySaveMs &&
          a->phase != Active::Phase::kFinishing)
        save(*a);
      // A download is bounded by its own timeout, within the job's deadline.
      if (a->phase == Active::Phase::kFinishing || a->phase == Active::Phase::kStepping ||
          a->phase == Active::Phase::kDownload)
        continue;
      if (now >= a->entry_deadline_ms ||
          (a->phase == Active::Phase::kTimer && now >= a->timer_at)) {
        due.push_back(id);
        continue;
      }
      next = std::min(next, a->entry_deadline_ms - now);
      if (a->phase == Active::Phase::kTimer) next = std::min(next, a->timer_at - now);
    }
    for (const auto& id : due) {
      Active* a = find(id);
      if (!a) continue;
      if (now >= a->job.deadline_ms) {
        dropTransfer(*a);
        expire(*a);
        continue;
      }
      if (now >= a->entry_deadline_ms) {
        entryTimeout(*a);
        continue;
      }
      const json event = std::move(a->timer_event);
      const std::string retry = event.value("retry", "");
      if (retry == "http") {
        auto request = http::requestFromJson(a->job.pending.value("request", json()));
        if (request) {
          send(*a, *request);
          continue;
        }
      }
      if (retry == "http" || retry == "start") {
        if (ex.health_) ex.health_->begin(a->breaker, now);
        startProvider(*a);
        continue;
      }
      feed(*a, {{"event", "timer"}});
    }
    const auto steady_now = Clock::now();
    for (auto it = watchers.begin(); it != watchers.end();) {
      if (it->until <= steady_now) {
        Watcher w = std::move(it->watcher);
        it = watchers.erase(it);
        w(std::nullopt);
      } else {
        next = std::min<int64_t>(
            next, std::chrono::duration_cast<std::chrono::milliseconds>(it->until - steady_now).count() + 1);
        ++it;
      }
    }
    return std::max<int64_t>(next, 0);
  }

  void releaseWatchers() {
    auto all = std::move(watchers);
    watchers.clear();
    for (auto& w : all) w.watcher(std::nullopt);
  }

  void run() {
    std::vector<std::function<void()>> tasks;  // swapped with the inbox: no allocation per turn
    while (true) {
      tasks.clear();
      {
        std::lock_guard lock(ex.mutex_);
        if (ex.stopping_) break;
        tasks.swap(ex.inbox_);
      }
      log::HoldLines lines;  // this turn's log lines, written together
      for (auto& task : tasks) task();
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        void* priv = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        onTransferDone(static_cast<http::Transfer*>(priv), msg->data.result);
      }
      const int64_t wait_ms = tick();
      {
        std::lock_guard lock(ex.mutex_);
        if (ex.stopping_) break;
        if (!ex.inbox_.empty()) continue;
      }
      lines.flush();  // before waiting
      curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait_ms), nullptr);
    }
    releaseWatchers();
    for (auto& [id, a] : jobs)
      for (auto& w : a->cancel_waiters) w(std::nullopt);
  }
};

Executor::Executor(ExecutorOptions options, store::Store& store, storage::AssetStorage& storage,
                   std::shared_ptr<const Providers> providers)
    : options_(options), store_(store), storage_(storage), providers_(std::move(providers)) {
  static const bool curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!curl_ready) throw std::runtime_error("libcurl failed to initialise");
  loop_ = std::make_unique<Loop>(*this);
}

Executor::~Executor() { stop(); }

void Executor::start() {
  if (started_) return;
  started_ = true;
  std::vector<Job> unfinished;
  auto status = store_.writeSync([&](store::Conn& c) {
    const int released = releaseOrphanHolds(c);
    if (released > 0)
      std::cerr << "aigate: released " << released << " hold(s) no unfinished job owns" << std::endl;
    unfinished = activeJobs(c);
    return Status::Ok();
  });
  if (!status) throw std::runtime_error("cannot load unfinished jobs: " + status.error().message());
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { workerLoop(); });
  for (auto& job : unfinished)
    post([this, job = std::move(job)]() mutable { loop_->add(std::move(job), true); });
  if (!unfinished.empty())
    std::cerr << "aigate: resuming " << unfinished.size() << " unfinished job(s)" << std::endl;
  thread_ = std::thread([this] { loop(); });
}

void Executor::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  curl_multi_wakeup(loop_->multi);
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(pool_mutex_);
    pool_stopping_ = true;
  }
  pool_wake_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
  // Writes queued by this executor call back into it: let them finish first.
  (void)store_.writeSync([](store::Conn&) { return Status::Ok(); });
  {
    std::lock_guard lock(mutex_);
    inbox_.clear();
  }
}

void Executor::loop() { loop_->run(); }

void Executor::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    inbox_.push_back(std::move(task));
  }
  curl_multi_wakeup(loop_->multi);
}

bool Executor::runOnPool(std::function<void()> task) {
  {
    std::lock_guard lock(pool_mutex_);
    if (pool_stopping_) return false;
    pool_queue_.push_back(std::move(task));
  }
  pool_wake_.notify_one();
  return true;
}

void Executor::workerLoop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(pool_mutex_);
      pool_wake_.wait(lock, [&] { return pool_stopping_ || !pool_queue_.empty(); });
      if (pool_stopping_) return;
      task = std::move(pool_queue_.front());
      pool_queue_.pop_front();
    }
    task();
  }
}

void Executor::submit(Job job) {
  post([this, job = std::move(job)]() mutable { loop_->add(std::move(job), false); });
}

void Executor::watch(const std::string& job_id, std::chrono::steady_clock::time_point until,
                     Watcher watcher) {
  auto shared = std::make_shared<Watcher>(std::move(watcher));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      (*shared)(std::nullopt);
      return;
    }
  }
  post([this, job_id, until, shared] {
    if (!loop_->find(job_id)) return (*shared)(std::nullopt);
    loop_->watchers.push_back({job_id, until, std::move(*shared)});
  });
}

void Executor::cancel(const std::string& job_id, Watcher done) {
  auto shared = std::make_shared<Watcher>(std::move(done));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      (*shared)(std::nullopt);
      return;
    }
  }
  post([this, job_id, shared] {
    Active* a = loop_->find(job_id);
    if (!a) return (*shared)(std::nullopt);
    a->cancel_waiters.push_back(std::move(*shared));
    if (a->phase == Active::Phase::kFinishing || a->cancel_requested) return;
    if (a->phase == Active::Phase::kStepping) {
      a->cancel_requested = true;  // acted on when the step answers
      return;
    }
    loop_->doCancel(*a);
  });
}

void Executor::releaseWatchers() {
  post([this] { loop_->releaseWatchers(); });
}

}  // namespace aigate::jobs
