// fal's queue protocol as a sans-I/O state machine, shared by the `fal` and
// `pika` plugins (pika includes this header by path; each stays its own .so).
// Wire format as @fal-ai/client 1.10 speaks it (src/queue.ts):
//
//   POST {base_url}/{model_id}                          the model's JSON input
//       → {request_id, status_url, response_url, cancel_url, queue_position?}
//   GET  {base_url}/{app_id}/requests/{id}/status       polled every poll_ms
//       → {status: IN_QUEUE | IN_PROGRESS | COMPLETED, queue_position?, logs?}
//   GET  {base_url}/{app_id}/requests/{id}              → the model's output
//   PUT  {base_url}/{app_id}/requests/{id}/cancel       → 202 or 400 (already done)
//
// with "Authorization: Key <api key>". The app id is the model id without its
// path ("fal-ai/flux/dev" → "fal-ai/flux"; "workflows/o/a/p" → "workflows/o/a").
// Errors are FastAPI's {"detail": "…"} or {"detail": [{loc, msg, type}]};
// a detail of type "content_policy_violation" is the model's safety checker.
//
// The state (stored by the host) holds the phase, the model and app ids, the
// request id and, until fal accepted it, the input; never the credential.
#pragma once

#include <aigate/plugin.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace aigate::plugins::fal {

using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kQueueBaseUrl = "https://queue.fal.run";
inline constexpr int kMaxThrottledResends = 5;      // 429s answered in a row, then fail
inline constexpr int kDefaultRetryAfterMs = 2'000;  // a 429 without a usable Retry-After
inline constexpr int kMaxRetryAfterMs = 60'000;

// The string at `key` of `object`, or "" when absent or not a string.
inline std::string stringAt(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

inline std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The app id of a model id ("owner/alias[/path…]", or "workflows|comfy/owner/
// alias[/path…]"), or "" when `model_id` is not one: segments of letters,
// digits, '.', '_', '-', none empty, "." or "..".
inline std::string appIdOf(const std::string& model_id) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t slash = model_id.find('/', begin);
    parts.push_back(model_id.substr(begin, slash - begin));
    if (slash == std::string::npos) break;
    begin = slash + 1;
  }
  for (const auto& part : parts) {
    if (part.empty() || part == "." || part == "..") return {};
    for (unsigned char c : part)
      if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return {};
  }
  const size_t app_parts = parts[0] == "workflows" || parts[0] == "comfy" ? 3 : 2;
  if (parts.size() < app_parts) return {};
  std::string app = parts[0];
  for (size_t i = 1; i < app_parts; ++i) app += "/" + parts[i];
  return app;
}

// Whether an error reason is a safety checker speaking.
inline bool isContentPolicy(const std::string& type, const std::string& message) {
  if (lower(type).find("content_policy") != std::string::npos) return true;
  const std::string text = lower(message);
  for (const char* word : {"content policy", "content checker", "content_policy", "nsfw", "safety",
                           "moderation", "inappropriate"})
    if (text.find(word) != std::string::npos) return true;
  return false;
}

// An error body read: its message and whether it is a content-policy refusal.
struct ErrorReason {
  std::string message;
  bool content_policy = false;
};

// {"detail": "…"}, {"detail": [{"msg","type"}…]}, {"error": {"message"}} or
// {"message"}/{"error": "…"}; else the body itself, shortened.
inline ErrorReason errorReason(const std::string& body) {
  ErrorReason reason;
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    const json detail = parsed.contains("detail") ? parsed["detail"] : json();
    if (detail.is_string()) reason.message = detail.get<std::string>();
    if (detail.is_array()) {
      for (const auto& item : detail) {
        const std::string msg = item.is_string() ? item.get<std::string>() : stringAt(item, "msg");
        if (isContentPolicy(stringAt(item, "type"), msg)) reason.content_policy = true;
        if (msg.empty()) continue;
        if (!reason.message.empty()) reason.message += "; ";
        reason.message += msg;
      }
    }
    if (reason.message.empty()) reason.message = stringAt(parsed.value("error", json()), "message");
    if (reason.message.empty()) reason.message = stringAt(parsed, "error");
    if (reason.message.empty()) reason.message = stringAt(parsed, "message");
    if (isContentPolicy(stringAt(parsed, "error_type"), "")) reason.content_policy = true;
  }
  if (reason.message.empty()) reason.message = body.empty() ? "(no body)" : body.substr(0, 300);
  if (isContentPolicy("", reason.message)) reason.content_policy = true;
  return reason;
}

// How long a 429 asks us to wait: "retry-after-ms", else "retry-after" in
// seconds; a date or nothing gives the default. Capped.
inline int retryAfterMs(const json& headers) {
  auto number = [](const std::string& text, double* out) {
    if (text.empty()) return false;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v < 0) return false;
    *out = v;
    return true;
  };
  double value = 0;
  if (number(stringAt(headers, "retry-after-ms"), &value))
    return static_cast<int>(std::min<double>(value, kMaxRetryAfterMs));
  if (number(stringAt(headers, "retry-after"), &value))
    return static_cast<int>(std::min<double>(value * 1000.0, kMaxRetryAfterMs));
  return kDefaultRetryAfterMs;
}

// The settings every fal-queue plugin has, checked once at create().
struct QueueSettings {
  std::string base_url = kQueueBaseUrl;
  int poll_ms = 1'000;
  int timeout_ms = 60'000;

  // Reads base_url, poll_ms and timeout_ms of `j` (an object) over the
  // defaults; throws std::invalid_argument naming `plugin` and the setting.
  static QueueSettings fromJson(const json& j, const std::string& plugin, QueueSettings s) {
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string())
        throw std::invalid_argument(plugin + ": base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument(
            plugin + ": base_url must start with http:// or https://, got \"" + s.base_url + "\"");
    }
    s.poll_ms = intSetting(j, plugin, "poll_ms", s.poll_ms, 1, 600'000);
    s.timeout_ms = intSetting(j, plugin, "timeout_ms", s.timeout_ms, 100, 600'000);
    return s;
  }

  static int intSetting(const json& j, const std::string& plugin, const char* key, int fallback,
                        int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(plugin + ": " + key + " must be an integer from " +
                                  std::to_string(min) + " to " + std::to_string(max) + ", got " +
                                  v.dump());
    return v.get<int>();
  }
};

// One request's walk through fal's queue. `name` prefixes every message.
class FalQueue {
 public:
  // Turns the model's output into the job's end (done, or a fail).
  using OnResult = std::function<Action(const json& output, const json& state)>;

  FalQueue(std::string name, QueueSettings settings)
      : name_(std::move(name)), s_(std::move(settings)) {}

  const QueueSettings& settings() const { return s_; }

  // Submits `input` to `model_id`; `extra` (an object: kind…) is kept in the
  // state for the OnResult. No key → fails at once, nothing sent.
  Action submit(const Event& event, const std::string& model_id, const json& input,
                json extra) const {
    if (apiKey(event).empty())
      return Action::fail("unauthorized", name_ + ": no API key configured for this provider",
                          false);
    const std::string app = appIdOf(model_id);
    if (app.empty())
      return invalid("\"" + model_id + "\" is not a fal model id (owner/app[/path])");
    json state = extra.is_object() ? std::move(extra) : json::object();
    state["phase"] = "submit";
    state["model"] = model_id;
    state["app"] = app;
    state["input"] = input.dump();
    state["throttled"] = 0;
    return send(event, std::move(state));
  }

  // Every event but "start".
  Action step(const Event& event, const OnResult& on_result) const {
    const std::string type = event.type();
    if (!event.state().is_object() || stringAt(event.state(), "app").empty())
      return Action::fail("plugin_error", name_ + ": a \"" + type + "\" event without a state",
                          false);
    if (type == "cancel") return cancel(event);
    if (type == "timer") return send(event, event.state());
    if (type == "http_error") {
      if (stringAt(event.state(), "phase") == "cancel") return canceled();
      return Action::fail("upstream_error", name_ + ": no answer: " + event.message(), true);
    }
    if (type == "http_response") return onResponse(event, on_result);
    return Action::fail("plugin_error", name_ + ": unexpected event \"" + type + "\"", false);
  }

  Action invalid(const std::string& message) const {
    return Action::fail("invalid_request", name_ + ": " + message, false);
  }
  Action malformed(const std::string& what) const {
    return Action::fail("upstream_error", name_ + ": fal answered " + what, true);
  }
  Action contentPolicy(const std::string& message) const {
    return Action::fail("content_policy", name_ + ": " + message, false);
  }

 private:
  static std::string apiKey(const Event& event) { return stringAt(event.credential(), "api_key"); }

  // The request for the state's phase.
  Action send(const Event& event, json state) const {
    json headers = {{"authorization", "Key " + apiKey(event)}, {"accept", "application/json"}};
    const std::string phase = stringAt(state, "phase");
    if (phase == "submit") {
      headers["content-type"] = "application/json";
      const std::string url = s_.base_url + "/" + stringAt(state, "model");
      const std::string body = stringAt(state, "input");
      return Action::http("POST", url, std::move(headers), body, std::move(state), s_.timeout_ms);
    }
    const std::string id = stringAt(state, "request_id");
    if (id.empty() || (phase != "status" && phase != "result" && phase != "cancel"))
      return Action::fail("plugin_error", name_ + ": a state without a request to ask about",
                          false);
    const std::string url = s_.base_url + "/" + stringAt(state, "app") + "/requests/" + id;
    if (phase == "cancel")
      return Action::http("PUT", url + "/cancel", std::move(headers), "", std::move(state),
                          s_.timeout_ms);
    if (phase == "result")
      return Action::http("GET", url, std::move(headers), "", std::move(state), s_.timeout_ms)
          .withProgress(0.9);
    const double progress = progressOf(stringAt(state, "fal_status"));
    return Action::http("GET", url + "/status", std::move(headers), "", std::move(state),
                        s_.timeout_ms)
        .withProgress(progress);
  }

  static double progressOf(const std::string& fal_status) {
    return fal_status == "IN_PROGRESS" ? 0.5 : 0.1;
  }

  Action cancel(const Event& event) const {
    json state = event.state();
    if (stringAt(state, "request_id").empty())
      return Action::fail("canceled", name_ + ": canceled before fal accepted the request", false);
    state["phase"] = "cancel";
    return send(event, std::move(state));
  }

  Action canceled() const {
    return Action::fail("canceled", name_ + ": canceled; fal was asked to cancel the request",
                        false);
  }

  Action onResponse(const Event& event, const OnResult& on_result) const {
    json state = event.state();
    const std::string phase = stringAt(state, "phase");
    if (phase == "cancel") return canceled();
    const int status = event.status();
    if (status == 429) {
      const json& before = state["throttled"];
      const int throttled = (before.is_number_integer() ? before.get<int>() : 0) + 1;
      if (throttled > kMaxThrottledResends)
        return Action::fail("rate_limited",
                            name_ + ": still rate limited after " +
                                std::to_string(kMaxThrottledResends) +
                                " waits: " + errorReason(event.body()).message,
                            true);
      state["throttled"] = throttled;
      return Action::wait(retryAfterMs(event.headers()), std::move(state));
    }
    state["throttled"] = 0;
    const std::string what = "fal answered HTTP " + std::to_string(status) + ": ";
    if (status >= 500 || status == 408)
      return Action::fail("upstream_error", name_ + ": " + what + errorReason(event.body()).message,
                          true);
    if (status == 400 || status == 422) {
      const ErrorReason reason = errorReason(event.body());
      return reason.content_policy ? contentPolicy(reason.message) : invalid(reason.message);
    }
    if (status == 401 || status == 403)
      return Action::fail("unauthorized",
                          name_ + ": fal refused the API key (HTTP " + std::to_string(status) +
                              "): " + errorReason(event.body()).message,
                          false);
    if (status < 200 || status >= 300)
      return Action::fail("upstream_error", name_ + ": " + what + errorReason(event.body()).message,
                          false);
    const json body = json::parse(event.body(), nullptr, false);
    if (!body.is_object()) return malformed("a body that is not a JSON object");
    if (phase == "submit") {
      const std::string id = stringAt(body, "request_id");
      if (id.empty()) return malformed("a submission without a request_id");
      state["request_id"] = id;
      state["phase"] = "status";
      state["fal_status"] = "IN_QUEUE";
      state.erase("input");
      return Action::wait(s_.poll_ms, std::move(state)).withProgress(0.1);
    }
    if (phase == "status") {
      const std::string fal_status = stringAt(body, "status");
      if (fal_status == "COMPLETED") {
        state["phase"] = "result";
        state["fal_status"] = fal_status;
        return send(event, std::move(state));
      }
      if (fal_status != "IN_QUEUE" && fal_status != "IN_PROGRESS")
        return malformed("a status that is not IN_QUEUE, IN_PROGRESS or COMPLETED");
      state["fal_status"] = fal_status;
      return Action::wait(s_.poll_ms, std::move(state)).withProgress(progressOf(fal_status));
    }
    if (phase == "result") return on_result(body, state);
    return Action::fail("plugin_error", name_ + ": a state in an unknown phase", false);
  }

  std::string name_;
  QueueSettings s_;
};

}  // namespace aigate::plugins::fal
