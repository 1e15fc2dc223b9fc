// "bfl": images from Black Forest Labs' FLUX API (v1), as a sans-I/O state
// machine (see README.md for the API spoken and the mappings).
//
//   POST {base_url}/v1/{model}   {prompt, width, height | aspect_ratio, seed,
//                                 output_format, safety_tolerance}
//       → {id, polling_url}
//   GET  {polling_url}           (or {base_url}/v1/get_result?id={id})
//       → {id, status: Pending | Ready | Request Moderated | Content Moderated |
//                      Error | Task not found, result: {sample: <signed url>}, progress}
// with "x-key: <api key>". Errors are FastAPI's {"detail": "…"} or
// {"detail": [{"loc", "msg", "type"}]} (422). BFL has no cancel.
//
// The state (stored by the host) holds the phase, the task id and polling
// URL and, until BFL accepted it, the request body; never the credential.
#pragma once

#include <aigate/plugin.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace aigate::plugins::bfl {

using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kDefaultBaseUrl = "https://api.bfl.ai";
inline constexpr const char* kDefaultModel = "flux-pro-1.1";
inline constexpr int kMaxThrottledResends = 5;      // 429s answered in a row, then fail
inline constexpr int kDefaultRetryAfterMs = 2'000;  // a 429 without a usable Retry-After
inline constexpr int kMaxRetryAfterMs = 60'000;

// Models taking an aspect_ratio; the others take width and height.
inline const std::set<std::string>& ratioModels() {
  static const std::set<std::string> kModels = {"flux-pro-1.1-ultra", "flux-kontext-pro",
                                                "flux-kontext-max"};
  return kModels;
}
inline const std::set<std::string>& sizeModels() {
  static const std::set<std::string> kModels = {"flux-pro-1.1", "flux-pro", "flux-dev"};
  return kModels;
}

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

// Width and height (multiples of 32, 256..1440, about one megapixel) for one
// of our aspect ratios; {0, 0} when we do not know it.
inline std::pair<int, int> bflSize(const std::string& ours) {
  static const std::map<std::string, std::pair<int, int>> kSizes = {
      {"1:1", {1024, 1024}}, {"16:9", {1344, 768}}, {"9:16", {768, 1344}},
      {"4:5", {896, 1120}},  {"3:4", {864, 1152}},  {"4:3", {1152, 864}},
      {"2:3", {832, 1248}},  {"3:2", {1248, 832}},  {"21:9", {1408, 608}}};
  auto it = kSizes.find(ours);
  return it == kSizes.end() ? std::pair<int, int>{0, 0} : it->second;
}

// The message of an error body: {"detail": "…"}, {"detail": [{"msg"}…]},
// {"message"}; else the body itself, shortened.
inline std::string errorMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    const json& detail = parsed.contains("detail") ? parsed["detail"] : parsed;
    if (detail.is_string()) return detail.get<std::string>();
    if (detail.is_array()) {
      std::string joined;
      for (const auto& item : detail) {
        std::string msg = item.is_string() ? item.get<std::string>() : stringAt(item, "msg");
        if (msg.empty()) continue;
        if (item.is_object() && item.contains("loc") && item["loc"].is_array() &&
            !item["loc"].empty() && item["loc"].back().is_string())
          msg = item["loc"].back().get<std::string>() + ": " + msg;
        if (!joined.empty()) joined += "; ";
        joined += msg;
      }
      if (!joined.empty()) return joined;
    }
    if (auto message = stringAt(parsed, "message"); !message.empty()) return message;
  }
  std::string text = body.substr(0, 300);
  return text.empty() ? std::string("(no body)") : text;
}

// Whether a refusal is BFL's moderation speaking.
inline bool isContentPolicy(const std::string& reason) {
  const std::string text = lower(reason);
  for (const char* word : {"moderat", "safety", "nsfw", "content policy"})
    if (text.find(word) != std::string::npos) return true;
  return false;
}

// How long a 429 asks us to wait: "retry-after" in seconds; a date or
// nothing gives the default. Capped.
inline int retryAfterMs(const json& headers) {
  const std::string text = stringAt(headers, "retry-after");
  if (text.empty()) return kDefaultRetryAfterMs;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v < 0)
    return kDefaultRetryAfterMs;
  return static_cast<int>(std::min<double>(v * 1000.0, kMaxRetryAfterMs));
}

// The operator's settings, checked once at create().
struct Settings {
  std::string base_url = kDefaultBaseUrl;
  int poll_ms = 1'500;
  int timeout_ms = 60'000;
  std::string output_format = "jpeg";
  int safety_tolerance = 2;
  // Poll the polling_url BFL answers (it names the region serving the task);
  // false: always {base_url}/v1/get_result?id= (e.g. behind a proxy).
  bool use_polling_url = true;

  // Throws std::invalid_argument naming the bad setting.
  static Settings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("bfl: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url",      "poll_ms",          "timeout_ms",
                                                 "output_format", "safety_tolerance",
                                                 "use_polling_url"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("bfl: unknown setting \"" + key +
                                    "\" (known: base_url, poll_ms, timeout_ms, output_format, "
                                    "safety_tolerance, use_polling_url)");
    Settings s;
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string()) throw std::invalid_argument("bfl: base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument("bfl: base_url must start with http:// or https://, got \"" +
                                    s.base_url + "\"");
    }
    s.poll_ms = intSetting(j, "poll_ms", s.poll_ms, 1, 600'000);
    s.timeout_ms = intSetting(j, "timeout_ms", s.timeout_ms, 100, 600'000);
    s.safety_tolerance = intSetting(j, "safety_tolerance", s.safety_tolerance, 0, 6);
    if (j.contains("output_format")) {
      const json& v = j["output_format"];
      if (!v.is_string() || (v != "jpeg" && v != "png"))
        throw std::invalid_argument("bfl: output_format must be jpeg or png, got " + v.dump());
      s.output_format = v.get<std::string>();
    }
    if (j.contains("use_polling_url")) {
      if (!j["use_polling_url"].is_boolean())
        throw std::invalid_argument("bfl: use_polling_url must be true or false");
      s.use_polling_url = j["use_polling_url"].get<bool>();
    }
    return s;
  }

 private:
  static int intSetting(const json& j, const char* key, int fallback, int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(std::string("bfl: ") + key + " must be an integer from " +
                                  std::to_string(min) + " to " + std::to_string(max) + ", got " +
                                  v.dump());
    return v.get<int>();
  }
};

class BflPlugin : public sdk::Plugin {
 public:
  static json describe() {
    return {{"name", "bfl"},
            {"version", "1.0.0"},
            {"description", "Black Forest Labs FLUX API v1: FLUX 1.1 [pro], Ultra, dev and Kontext images."},
            {"kinds", {"image"}},
            {"models",
             {"flux-pro-1.1", "flux-pro-1.1-ultra", "flux-pro", "flux-dev", "flux-kontext-pro",
              "flux-kontext-max"}},
            {"default_model", kDefaultModel},
            {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
            {"price", {{"image", 10}}},
            {"local", false},
            {"can_cancel", false}};
  }

  explicit BflPlugin(const json& settings) : s_(Settings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    // BFL has no cancel: the task runs out upstream; we stop asking.
    if (type == "cancel")
      return Action::fail("canceled", "bfl: canceled (BFL has no cancel; the task is abandoned)",
                          false);
    if (!event.state().is_object())
      return Action::fail("plugin_error", "bfl: a \"" + type + "\" event without a state", false);
    if (type == "timer") return send(event, event.state());
    if (type == "http_error")
      return Action::fail("upstream_error", "bfl: no answer: " + event.message(), true);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "bfl: unexpected event \"" + type + "\"", false);
  }

 private:
  static std::string apiKey(const Event& event) { return stringAt(event.credential(), "api_key"); }

  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "image") return invalid("FLUX makes images only, not \"" + kind + "\"");
    if (apiKey(event).empty())
      return Action::fail("unauthorized", "bfl: no API key configured for this provider", false);
    std::string model = stringAt(request, "model");
    if (model.empty()) model = kDefaultModel;
    const bool by_ratio = ratioModels().count(model) != 0;
    if (!by_ratio && !sizeModels().count(model))
      return invalid("BFL has no model \"" + model +
                     "\" (flux-pro-1.1, flux-pro-1.1-ultra, flux-pro, flux-dev, "
                     "flux-kontext-pro, flux-kontext-max)");
    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("1:1");
    const auto [width, height] = bflSize(ours);
    if (width == 0) return invalid("unsupported aspect ratio \"" + ours + "\"");

    json body = {{"prompt", stringAt(request, "prompt")},
                 {"output_format", s_.output_format},
                 {"safety_tolerance", s_.safety_tolerance}};
    if (by_ratio) {
      body["aspect_ratio"] = ours;  // every one of ours is within 21:9..9:21
    } else {
      body["width"] = width;
      body["height"] = height;
    }
    if (request.contains("seed") && request["seed"].is_number_integer())
      body["seed"] = request["seed"];
    json state = {{"phase", "submit"},
                  {"model", model},
                  {"body", body.dump()},
                  {"throttled", 0}};
    if (!by_ratio) {
      state["width"] = width;
      state["height"] = height;
    }
    return send(event, std::move(state));
  }

  // The request for the state's phase: the submission or a poll.
  Action send(const Event& event, json state) const {
    json headers = {{"x-key", apiKey(event)}, {"accept", "application/json"}};
    const std::string phase = stringAt(state, "phase");
    if (phase == "submit") {
      const std::string model = stringAt(state, "model");
      const std::string body = stringAt(state, "body");
      if (model.empty() || body.empty())
        return Action::fail("plugin_error", "bfl: a state without a request to send", false);
      headers["content-type"] = "application/json";
      return Action::http("POST", s_.base_url + "/v1/" + model, std::move(headers), body,
                          std::move(state), s_.timeout_ms)
          .withProgress(0.05);
    }
    const std::string id = stringAt(state, "id");
    if (phase != "poll" || id.empty())
      return Action::fail("plugin_error", "bfl: a state without a task to ask about", false);
    std::string url = stringAt(state, "polling_url");
    if (url.empty() || !s_.use_polling_url) url = s_.base_url + "/v1/get_result?id=" + escape(id);
    double progress = 0.1;
    if (state.contains("progress") && state["progress"].is_number())
      progress = 0.1 + 0.8 * std::clamp(state["progress"].get<double>(), 0.0, 1.0);
    return Action::http("GET", url, std::move(headers), "", std::move(state), s_.timeout_ms)
        .withProgress(progress);
  }

  Action onResponse(const Event& event) const {
    json state = event.state();
    const std::string phase = stringAt(state, "phase");
    const int status = event.status();
    if (status == 429) {
      const json& before = state["throttled"];
      const int throttled = (before.is_number_integer() ? before.get<int>() : 0) + 1;
      if (throttled > kMaxThrottledResends)
        return Action::fail("rate_limited",
                            "bfl: still rate limited after " + std::to_string(kMaxThrottledResends) +
                                " waits: " + errorMessage(event.body()),
                            true);
      state["throttled"] = throttled;
      return Action::wait(retryAfterMs(event.headers()), std::move(state));
    }
    state["throttled"] = 0;
    const std::string what =
        "bfl answered HTTP " + std::to_string(status) + ": " + errorMessage(event.body());
    if (status >= 500 || status == 408) return Action::fail("upstream_error", what, true);
    if (status == 400 || status == 422) {
      const std::string reason = errorMessage(event.body());
      return Action::fail(isContentPolicy(reason) ? "content_policy" : "invalid_request",
                          "bfl: " + reason, false);
    }
    if (status == 401 || status == 403)
      return Action::fail("unauthorized", "bfl refused the API key (HTTP " +
                                              std::to_string(status) +
                                              "): " + errorMessage(event.body()),
                          false);
    if (status == 402)
      return Action::fail("upstream_quota", "bfl: " + errorMessage(event.body()), false);
    if (status == 404 && phase == "poll")
      return Action::fail("generation_failed", "bfl: the task is gone: " + errorMessage(event.body()),
                          false);
    if (status < 200 || status >= 300) return Action::fail("upstream_error", what, false);
    const json answer = json::parse(event.body(), nullptr, false);
    if (!answer.is_object()) return malformed("something that is not a JSON object");
    if (phase == "submit") {
      const std::string id = stringAt(answer, "id");
      if (id.empty()) return malformed("a submission without an id");
      const std::string polling_url = stringAt(answer, "polling_url");
      state["phase"] = "poll";
      state["id"] = id;
      if (polling_url.rfind("http://", 0) == 0 || polling_url.rfind("https://", 0) == 0)
        state["polling_url"] = polling_url;
      state.erase("body");
      return Action::wait(s_.poll_ms, std::move(state)).withProgress(0.1);
    }
    return onResult(answer, std::move(state));
  }

  Action onResult(const json& answer, json state) const {
    const std::string status = stringAt(answer, "status");
    if (status.empty()) return malformed("a result without a status");
    if (status == "Ready") {
      const std::string sample = stringAt(answer.value("result", json()), "sample");
      if (sample.empty()) return malformed("a Ready result without result.sample");
      json output = {{"url", sample}, {"mime", "image/" + s_.output_format}};
      if (state.contains("width")) {
        output["width"] = state["width"];
        output["height"] = state["height"];
      }
      json usage = {{"provider_job_id", state["id"]}, {"model", state["model"]}};
      const json& result = answer["result"];
      if (result.is_object() && result.contains("seed") && result["seed"].is_number_integer())
        usage["seed"] = result["seed"];
      return Action::done(json::array({std::move(output)}), std::move(usage));
    }
    if (status == "Request Moderated" || status == "Content Moderated") {
      std::string reason = status;
      const json& details = answer.value("details", json());
      if (details.is_object()) {
        const json& reasons = details.value("Moderation Reasons", json());
        if (reasons.is_array() && !reasons.empty()) {
          reason += ":";
          for (const auto& r : reasons)
            if (r.is_string()) reason += " " + r.get<std::string>();
        }
      }
      return Action::fail("content_policy", "bfl: " + reason, false);
    }
    if (status == "Error" || status == "Failed")
      return Action::fail("generation_failed",
                          "bfl: the generation failed" + detailsText(answer), false);
    if (status == "Task not found")
      return Action::fail("generation_failed", "bfl: the task was not found (expired or lost)",
                          false);
    if (status != "Pending")
      return malformed("an unknown status \"" + status + "\"");
    if (answer.contains("progress") && answer["progress"].is_number())
      state["progress"] = answer["progress"];
    double progress = 0.1;
    if (state.contains("progress") && state["progress"].is_number())
      progress = 0.1 + 0.8 * std::clamp(state["progress"].get<double>(), 0.0, 1.0);
    return Action::wait(s_.poll_ms, std::move(state)).withProgress(progress);
  }

  static std::string detailsText(const json& answer) {
    const json& details = answer.value("details", json());
    if (details.is_null()) return "";
    return ": " + (details.is_string() ? details.get<std::string>() : details.dump());
  }

  // Percent-encodes a task id for a query string.
  static std::string escape(const std::string& text) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
    }
    return out;
  }

  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "bfl: " + message, false);
  }
  static Action malformed(const std::string& what) {
    return Action::fail("upstream_error", "bfl answered " + what, true);
  }

  Settings s_;
};

}  // namespace aigate::plugins::bfl
