// "minimax": videos from MiniMax's Hailuo video generation API (v1), as a
// sans-I/O state machine (see README.md for the API spoken and the mappings).
//
//   POST {base_url}/v1/video_generation  {model, prompt, duration?, resolution?}
//     → {task_id, base_resp: {status_code, status_msg}}
//   GET  {base_url}/v1/query/video_generation?task_id=…, every poll_ms
//     → {task_id, status: Preparing | Queueing | Processing | Success | Fail,
//        file_id, video_width, video_height, base_resp}
//   GET  {base_url}/v1/files/retrieve?file_id=…
//     → {file: {file_id, bytes, filename, download_url, …}, base_resp}
// with "Authorization: Bearer <api key>". MiniMax answers most errors with
// HTTP 200 and a non-zero base_resp.status_code (1002 rate limit, 1004 auth,
// 1008 balance, 1026/1027 sensitive content, 2013 invalid parameters, …).
// The download_url is a pre-signed link the host fetches itself.
//
// The state (stored by the host) holds the phase, the task and file ids and,
// until MiniMax accepted it, the request body; never the credential.
#pragma once

#include <aigate/plugin.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace aigate::plugins::minimax {

using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kDefaultBaseUrl = "https://api.minimax.io";
inline constexpr const char* kDefaultModel = "MiniMax-Hailuo-2.3";
inline constexpr int kMaxThrottledResends = 5;      // rate limits answered in a row, then fail
inline constexpr int kDefaultRetryAfterMs = 2'000;  // a rate limit without a usable Retry-After
inline constexpr int kMaxRetryAfterMs = 60'000;

// The string at `key` of `object`, or "" when absent or not a string.
inline std::string stringAt(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An id MiniMax may send as a string or a number, as text ("" when absent).
inline std::string idAt(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  if (it == object.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return {};
}

inline std::string urlEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// MiniMax's status: base_resp {status_code, status_msg}, or the newer error
// envelope {"type": "error", "error": {"message": "… (1026)", "http_code"}}.
struct Status {
  int code = 0;
  std::string message;

  static Status of(const json& answer) {
    Status s;
    if (!answer.is_object()) return s;
    auto base = answer.find("base_resp");
    if (base != answer.end() && base->is_object()) {
      const json& c = base->value("status_code", json());
      if (c.is_number_integer()) s.code = c.get<int>();
      s.message = stringAt(*base, "status_msg");
      return s;
    }
    auto error = answer.find("error");
    if (error != answer.end() && error->is_object()) {
      s.message = stringAt(*error, "message");
      // "invalid params (2013)": the code is the number in the last parentheses.
      const auto open = s.message.rfind('(');
      const auto close = s.message.rfind(')');
      if (open != std::string::npos && close != std::string::npos && close > open + 1) {
        const std::string digits = s.message.substr(open + 1, close - open - 1);
        if (std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }) &&
            digits.size() < 9)
          s.code = std::atoi(digits.c_str());
      }
      if (s.code == 0) s.code = -1;  // an error without a code
    }
    return s;
  }
};

// How long a rate limit asks us to wait: "retry-after" in seconds; a date or
// nothing gives the default. Capped.
inline int retryAfterMs(const json& headers) {
  const std::string text = stringAt(headers, "retry-after");
  if (text.empty()) return kDefaultRetryAfterMs;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v < 0) return kDefaultRetryAfterMs;
  return static_cast<int>(std::min<double>(v * 1000.0, kMaxRetryAfterMs));
}

// The operator's settings, checked once at create().
struct Settings {
  std::string base_url = kDefaultBaseUrl;
  int poll_ms = 10'000;  // MiniMax's guides poll every 10 s
  int timeout_ms = 60'000;
  std::string resolution = "768P";  // Hailuo models only
  int duration_s = 6;               // Hailuo models only
  bool prompt_optimizer = true;

  // Throws std::invalid_argument naming the bad setting.
  static Settings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("minimax: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url",   "poll_ms",    "timeout_ms",
                                                 "resolution", "duration_s", "prompt_optimizer"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("minimax: unknown setting \"" + key +
                                    "\" (known: base_url, poll_ms, timeout_ms, resolution, "
                                    "duration_s, prompt_optimizer)");
    Settings s;
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string())
        throw std::invalid_argument("minimax: base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument(
            "minimax: base_url must start with http:// or https://, got \"" + s.base_url + "\"");
    }
    s.poll_ms = intSetting(j, "poll_ms", s.poll_ms, 1, 600'000);
    s.timeout_ms = intSetting(j, "timeout_ms", s.timeout_ms, 100, 600'000);
    if (j.contains("resolution")) {
      const json& v = j["resolution"];
      if (!v.is_string() || (v != "768P" && v != "1080P"))
        throw std::invalid_argument("minimax: resolution must be \"768P\" or \"1080P\", got " +
                                    v.dump());
      s.resolution = v.get<std::string>();
    }
    if (j.contains("duration_s")) {
      const json& v = j["duration_s"];
      if (!v.is_number_integer() || (v.get<int64_t>() != 6 && v.get<int64_t>() != 10))
        throw std::invalid_argument("minimax: duration_s must be 6 or 10, got " + v.dump());
      s.duration_s = v.get<int>();
    }
    if (s.resolution == "1080P" && s.duration_s == 10)
      throw std::invalid_argument(
          "minimax: resolution 1080P allows duration_s 6 only (10 s needs 768P)");
    if (j.contains("prompt_optimizer")) {
      if (!j["prompt_optimizer"].is_boolean())
        throw std::invalid_argument("minimax: prompt_optimizer must be true or false");
      s.prompt_optimizer = j["prompt_optimizer"].get<bool>();
    }
    return s;
  }

 private:
  static int intSetting(const json& j, const char* key, int fallback, int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(std::string("minimax: ") + key + " must be an integer from " +
                                  std::to_string(min) + " to " + std::to_string(max) + ", got " +
                                  v.dump());
    return v.get<int>();
  }
};

// Text-to-video models; the Hailuo ones take resolution and duration, the
// T2V-01 ones render 720P for 6 s only.
inline bool isHailuo(const std::string& model) { return model.rfind("MiniMax-Hailuo-", 0) == 0; }

class MinimaxPlugin : public sdk::Plugin {
 public:
  static json describe() {
    return {{"name", "minimax"},
            {"version", "1.0.0"},
            {"description", "MiniMax video generation API v1: Hailuo text-to-video (16:9)."},
            {"kinds", {"video"}},
            {"models", {"MiniMax-Hailuo-2.3", "MiniMax-Hailuo-02", "T2V-01-Director", "T2V-01"}},
            {"default_model", kDefaultModel},
            {"aspect_ratios", {"16:9"}},
            {"price", {{"video", 100}}},
            {"local", false},
            {"can_cancel", false}};
  }

  explicit MinimaxPlugin(const json& settings) : s_(Settings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    // MiniMax has no cancel: stop asking, at once.
    if (type == "cancel")
      return Action::fail("canceled", "minimax: canceled (MiniMax cannot cancel a task upstream)",
                          false);
    if (!event.state().is_object())
      return Action::fail("plugin_error", "minimax: a \"" + type + "\" event without a state",
                          false);
    if (type == "timer") return send(event, event.state());
    if (type == "http_error")
      return Action::fail("upstream_error", "minimax: no answer: " + event.message(), true);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "minimax: unexpected event \"" + type + "\"", false);
  }

 private:
  static std::string apiKey(const Event& event) { return stringAt(event.credential(), "api_key"); }

  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "video") return invalid("MiniMax makes videos only, not \"" + kind + "\"");
    if (apiKey(event).empty())
      return Action::fail("unauthorized", "minimax: no API key configured for this provider",
                          false);
    std::string model = stringAt(request, "model");
    if (model.empty()) model = kDefaultModel;
    static const std::set<std::string> kModels = {"MiniMax-Hailuo-2.3", "MiniMax-Hailuo-02",
                                                  "T2V-01-Director", "T2V-01"};
    if (!kModels.count(model))
      return invalid("MiniMax has no text-to-video model \"" + model +
                     "\" (MiniMax-Hailuo-2.3, MiniMax-Hailuo-02, T2V-01-Director, T2V-01)");
    const std::string ratio =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("16:9");
    if (ratio != "16:9")
      return invalid("MiniMax renders text-to-video in 16:9 only, not \"" + ratio + "\"");
    const std::string prompt = stringAt(request, "prompt");
    if (prompt.empty()) return invalid("the prompt is empty");

    json body = {{"model", model}, {"prompt", prompt}, {"prompt_optimizer", s_.prompt_optimizer}};
    if (isHailuo(model)) {
      body["duration"] = s_.duration_s;
      body["resolution"] = s_.resolution;
    }
    json state = {{"phase", "submit"}, {"model", model}, {"body", body.dump()}, {"throttled", 0}};
    return send(event, std::move(state));
  }

  // The request for the state's phase: the submission, a poll or the file.
  Action send(const Event& event, json state) const {
    json headers = {{"authorization", "Bearer " + apiKey(event)}};
    const std::string phase = stringAt(state, "phase");
    if (phase == "submit") {
      headers["content-type"] = "application/json";
      const std::string body = stringAt(state, "body");
      return Action::http("POST", s_.base_url + "/v1/video_generation", std::move(headers), body,
                          std::move(state), s_.timeout_ms)
          .withProgress(0.05);
    }
    if (phase == "poll") {
      const std::string task = stringAt(state, "task_id");
      if (task.empty()) return Action::fail("plugin_error", "minimax: a state without a task", false);
      const double progress = stringAt(state, "minimax_status") == "Processing" ? 0.5 : 0.1;
      return Action::http("GET", s_.base_url + "/v1/query/video_generation?task_id=" + urlEncode(task),
                          std::move(headers), "", std::move(state), s_.timeout_ms)
          .withProgress(progress);
    }
    if (phase == "file") {
      const std::string file = stringAt(state, "file_id");
      if (file.empty()) return Action::fail("plugin_error", "minimax: a state without a file", false);
      return Action::http("GET", s_.base_url + "/v1/files/retrieve?file_id=" + urlEncode(file),
                          std::move(headers), "", std::move(state), s_.timeout_ms)
          .withProgress(0.9);
    }
    return Action::fail("plugin_error", "minimax: a state with an unknown phase \"" + phase + "\"",
                        false);
  }

  Action throttled(const Event& event, json state, const std::string& why) const {
    const json& before = state["throttled"];
    const int count = (before.is_number_integer() ? before.get<int>() : 0) + 1;
    if (count > kMaxThrottledResends)
      return Action::fail("rate_limited",
                          "minimax: still rate limited after " +
                              std::to_string(kMaxThrottledResends) + " waits: " + why,
                          true);
    state["throttled"] = count;
    return Action::wait(retryAfterMs(event.headers()), std::move(state));
  }

  Action onResponse(const Event& event) const {
    json state = event.state();
    const std::string phase = stringAt(state, "phase");
    const int http = event.status();
    const json answer = json::parse(event.body(), nullptr, false);
    const Status status = Status::of(answer);
    const std::string message =
        status.message.empty() ? event.body().substr(0, 300) : status.message;
    if (http == 429 || status.code == 1002 || status.code == 1039)
      return throttled(event, std::move(state), message);
    state["throttled"] = 0;
    if (http >= 500 || http == 408)
      return Action::fail("upstream_error",
                          "minimax answered HTTP " + std::to_string(http) + ": " + message, true);
    if (http < 200 || http >= 300 || status.code != 0)
      return onStatus(http, status.code, message, phase);
    if (!answer.is_object()) return malformed("something that is not a JSON object");
    if (phase == "submit") {
      const std::string task = idAt(answer, "task_id");
      if (task.empty()) return malformed("a submission without a task_id");
      state["task_id"] = task;
      state["phase"] = "poll";
      state.erase("body");
      return Action::wait(s_.poll_ms, std::move(state)).withProgress(0.1);
    }
    if (phase == "poll") return onTask(event, answer, std::move(state));
    if (phase == "file") return onFile(answer, state);
    return Action::fail("plugin_error", "minimax: a state with an unknown phase \"" + phase + "\"",
                        false);
  }

  // A refusal: base_resp.status_code (or the HTTP status when there is none).
  static Action onStatus(int http, int code, const std::string& message, const std::string& phase) {
    const std::string what = "minimax: " + message + " (status_code " + std::to_string(code) +
                             ", HTTP " + std::to_string(http) + ")";
    switch (code) {
      case 1026:  // the prompt has sensitive content
      case 1027:  // the generated video has sensitive content
        return Action::fail("content_policy", "minimax: " + message, false);
      case 2013:  // invalid parameters
      case 1042:  // too many invisible or illegal characters
        return Action::fail("invalid_request", "minimax: " + message, false);
      case 1004:  // authentication failed
      case 2049:  // invalid API key
        return Action::fail("unauthorized", what, false);
      case 1008:  // insufficient balance
        return Action::fail("insufficient_balance", what, false);
      case 1000:  // unknown error
      case 1001:  // timeout
      case 1024:  // internal error
      case 1033:  // system or downstream error
        return Action::fail("upstream_error", what, true);
      default:
        break;
    }
    if (http == 401 || http == 403) return Action::fail("unauthorized", what, false);
    if (http == 402) return Action::fail("insufficient_balance", what, false);
    if ((http == 400 || http == 422) && phase == "submit")
      return Action::fail("invalid_request", "minimax: " + message, false);
    return Action::fail("upstream_error", what, false);
  }

  Action onTask(const Event& event, const json& task, json state) const {
    const std::string status = stringAt(task, "status");
    if (status == "Success") {
      const std::string file = idAt(task, "file_id");
      if (file.empty()) return malformed("a successful task without a file_id");
      state["phase"] = "file";
      state["file_id"] = file;
      for (const char* key : {"video_width", "video_height"})
        if (task.contains(key) && task[key].is_number_integer() && task[key].get<int>() > 0)
          state[key] = task[key];
      return send(event, std::move(state));
    }
    if (status == "Fail") {
      std::string reason = stringAt(task, "error_message");
      if (reason.empty()) reason = stringAt(task.value("base_resp", json()), "status_msg");
      if (reason.empty()) reason = "the task failed without a reason";
      const std::string text = reason;
      std::string lowered(text.size(), ' ');
      std::transform(text.begin(), text.end(), lowered.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lowered.find("sensitive") != std::string::npos)
        return Action::fail("content_policy", "minimax: " + reason, false);
      // Polling a failed task again cannot help: final here, the host moves
      // on to the next provider.
      return Action::fail("generation_failed", "minimax: " + reason, false);
    }
    if (status != "Preparing" && status != "Queueing" && status != "Processing")
      return malformed("a task with the unknown status \"" + status + "\"");
    state["minimax_status"] = status;
    return Action::wait(s_.poll_ms, std::move(state))
        .withProgress(status == "Processing" ? 0.5 : 0.1);
  }

  Action onFile(const json& answer, const json& state) const {
    const std::string url = stringAt(answer.value("file", json()), "download_url");
    if (url.empty()) return malformed("a file without a download_url");
    json output = {{"url", url}, {"mime", "video/mp4"}};
    const std::string model = stringAt(state, "model");
    output["duration_s"] = isHailuo(model) ? s_.duration_s : 6;
    if (state.contains("video_width") && state.contains("video_height")) {
      output["width"] = state["video_width"];
      output["height"] = state["video_height"];
    }
    json usage = {{"provider_job_id", state["task_id"]}, {"model", model}};
    if (isHailuo(model)) {
      usage["resolution"] = s_.resolution;
      usage["duration"] = s_.duration_s;
    }
    return Action::done(json::array({std::move(output)}), std::move(usage));
  }

  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "minimax: " + message, false);
  }
  static Action malformed(const std::string& what) {
    return Action::fail("upstream_error", "minimax answered " + what, true);
  }

  Settings s_;
};

}  // namespace aigate::plugins::minimax
