// The job executor's Loop (executor_loop.h), starting and resuming jobs and
// walking their provider chain: binding each entry, feeding its plugin's
// steps, sending its HTTP requests, and retrying, falling back to the next
// entry, timing out or canceling.
#include "core/jobs/executor_loop.h"

#include <algorithm>
#include <cmath>
#include <iostream>

namespace aigate::jobs {
namespace {

using nlohmann::json;

constexpr int64_t kMaxWaitMs = 24ll * 3600 * 1000;

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

// --- starting and resuming ---------------------------------------------

void Executor::Loop::add(Job job, bool resumed) {
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

bool Executor::Loop::bindEntry(Active& a, bool resumed) {
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

void Executor::Loop::skipEntry(Active& a, const std::string& why) {
  const ChainEntry& e = a.job.entry();
  a.job.attempt_log.push_back({{"provider", e.provider},
                               {"model", e.model},
                               {"credential", e.credential},
                               {"started_at", unixMillis()},
                               {"ended_at", unixMillis()},
                               {"outcome", "skipped"},
                               {"error", why}});
}

void Executor::Loop::enterEntry(Active& a) {
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

void Executor::Loop::closeAttempt(Active& a, const std::string& outcome, const std::string& error) {
  if (a.job.attempt_log.empty()) return;
  json& last = a.job.attempt_log.back();
  if (last.contains("ended_at")) return;
  last["ended_at"] = unixMillis();
  last["outcome"] = outcome;
  if (!error.empty()) last["error"] = truncateUtf8(error, 300);
}

void Executor::Loop::saveLater(Active& a) {
  if (a.unsaved_since == 0) a.unsaved_since = unixMillis();
}

void Executor::Loop::startProvider(Active& a) {
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

void Executor::Loop::feed(Active& a, json event) {
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

void Executor::Loop::onAction(const std::string& id, json action) {
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

void Executor::Loop::send(Active& a, http::HttpRequest request) {
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

void Executor::Loop::dropTransfer(Active& a) {
  if (!a.transfer) return;
  curl_multi_remove_handle(multi, a.transfer->handle());
  transfer_job.erase(a.transfer.get());
  a.transfer.reset();
}

void Executor::Loop::onTransferDone(http::Transfer* t, CURLcode code) {
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

void Executor::Loop::onFail(Active& a, const std::string& code, const std::string& message,
                            bool retryable) {
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

void Executor::Loop::fallBack(Active& a, const std::string& code, const std::string& message) {
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

void Executor::Loop::entryTimeout(Active& a) {
  dropTransfer(a);
  cancelUpstream(a);
  if (ex.health_) ex.health_->failure(a.breaker, unixMillis());
  const std::string message =
      "no result within its timeout_s (" + std::to_string(a.job.entry().timeout_s) + " s)";
  closeAttempt(a, "timeout", message);
  fallBack(a, "timeout", message);
}

void Executor::Loop::expire(Active& a) {
  cancelUpstream(a);
  if (ex.health_ && !a.breaker.empty()) ex.health_->failure(a.breaker, unixMillis());
  closeAttempt(a, "timeout", "the job's deadline passed");
  finish(a, "failed", "generation_unavailable",
         "The job did not finish before its deadline.", "timeout");
}

void Executor::Loop::cancelUpstream(Active& a) {
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

void Executor::Loop::doCancel(Active& a) {
  dropTransfer(a);
  if (a.provider && !a.provider->local()) cancelUpstream(a);
  if (ex.health_ && !a.breaker.empty()) ex.health_->neutral(a.breaker);
  closeAttempt(a, "canceled", "");
  finish(a, "canceled", "", "", "");
}

}  // namespace aigate::jobs
