// "luma": images and videos from Luma AI's Dream Machine API (v1), as a
// sans-I/O state machine (see README.md for the API spoken and the mappings).
//
//   POST   {base_url}/generations/image  {prompt, model: photon-*, aspect_ratio}
//   POST   {base_url}/generations/video  {prompt, model: ray-*, aspect_ratio, resolution, duration}
//       → a Generation {id, state: queued | dreaming | completed | failed,
//                       failure_reason, assets: {image | video}}
//   GET    {base_url}/generations/{id}   → the Generation, polled every poll_ms
//   DELETE {base_url}/generations/{id}   → deletes it (Luma has no cancel; this is ours)
// with "Authorization: Bearer <api key>". Errors are {"detail": "…"} (or
// FastAPI's {"detail": [{"msg"}…]} for 422).
//
// The state (stored by the host) holds the phase, the generation id and, until
// Luma accepted it, the request body; never the credential.
#pragma once

#include <aigate/plugin.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace aigate::plugins::luma {

using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kDefaultBaseUrl = "https://api.lumalabs.ai/dream-machine/v1";
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

// Luma's aspect ratio for one of ours ("" when we do not know it): the seven
// Luma has pass through; 4:5 and 2:3 become 3:4, 3:2 becomes 4:3 (nearest).
inline std::string lumaAspectRatio(const std::string& ours) {
  static const std::set<std::string> kSame = {"1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"};
  if (kSame.count(ours)) return ours;
  if (ours == "4:5" || ours == "2:3") return "3:4";
  if (ours == "3:2") return "4:3";
  return {};
}

// Whether a failure reason or refusal is Luma's moderation speaking ("Advanced
// prompt moderation failed", "Frame moderation failed", "Contains blacklisted
// words", …).
inline bool isContentPolicy(const std::string& reason) {
  const std::string text = lower(reason);
  for (const char* word : {"moderation", "moderated", "safety", "policy", "blacklist", "nsfw",
                           "inappropriate", "not allowed"})
    if (text.find(word) != std::string::npos) return true;
  return false;
}

// The message of an error body: {"detail": "…"}, {"detail": [{"msg"}…]},
// {"error": {"message"}} or {"message"}; else the body itself, shortened.
inline std::string errorMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    const json& detail = parsed.contains("detail") ? parsed["detail"] : parsed;
    if (detail.is_string()) return detail.get<std::string>();
    if (detail.is_array()) {
      std::string joined;
      for (const auto& item : detail) {
        const std::string msg = item.is_string() ? item.get<std::string>() : stringAt(item, "msg");
        if (msg.empty()) continue;
        if (!joined.empty()) joined += "; ";
        joined += msg;
      }
      if (!joined.empty()) return joined;
    }
    if (auto error = stringAt(parsed.value("error", json()), "message"); !error.empty())
      return error;
    if (auto message = stringAt(parsed, "message"); !message.empty()) return message;
  }
  std::string text = body.substr(0, 300);
  return text.empty() ? std::string("(no body)") : text;
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
  int ms = kDefaultRetryAfterMs;
  if (number(stringAt(headers, "retry-after-ms"), &value))
    ms = static_cast<int>(std::min<double>(value, kMaxRetryAfterMs));
  else if (number(stringAt(headers, "retry-after"), &value))
    ms = static_cast<int>(std::min<double>(value * 1000.0, kMaxRetryAfterMs));
  return std::clamp(ms, 0, kMaxRetryAfterMs);
}

// The operator's settings, checked once at create().
struct Settings {
  std::string base_url = kDefaultBaseUrl;
  int poll_ms = 3'000;
  int timeout_ms = 60'000;
  std::string video_resolution = "720p";
  std::string video_duration = "5s";

  // Throws std::invalid_argument naming the bad setting.
  static Settings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("luma: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url", "poll_ms", "timeout_ms",
                                                 "video_resolution", "video_duration"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("luma: unknown setting \"" + key +
                                    "\" (known: base_url, poll_ms, timeout_ms, video_resolution, "
                                    "video_duration)");
    Settings s;
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string())
        throw std::invalid_argument("luma: base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument("luma: base_url must start with http:// or https://, got \"" +
                                    s.base_url + "\"");
    }
    s.poll_ms = intSetting(j, "poll_ms", s.poll_ms, 1, 600'000);
    s.timeout_ms = intSetting(j, "timeout_ms", s.timeout_ms, 100, 600'000);
    s.video_resolution =
        choice(j, "video_resolution", s.video_resolution, {"540p", "720p", "1080p", "4k"});
    s.video_duration = choice(j, "video_duration", s.video_duration, {"5s", "9s"});
    return s;
  }

 private:
  static int intSetting(const json& j, const char* key, int fallback, int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(std::string("luma: ") + key + " must be an integer from " +
                                  std::to_string(min) + " to " + std::to_string(max) + ", got " +
                                  v.dump());
    return v.get<int>();
  }
  static std::string choice(const json& j, const char* key, std::string fallback,
                            const std::set<std::string>& allowed) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (v.is_string() && allowed.count(v.get<std::string>())) return v.get<std::string>();
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw std::invalid_argument(std::string("luma: ") + key + " must be one of " + list + ", got " +
                                v.dump());
  }
};

class LumaPlugin : public sdk::Plugin {
 public:
  static json describe() {
    return {{"name", "luma"},
            {"version", "1.0.0"},
            {"description", "Luma AI Dream Machine API v1: Photon images and Ray videos."},
            {"kinds", {"image", "video"}},
            {"models", {"photon-1", "photon-flash-1", "ray-2", "ray-flash-2"}},
            {"default_model", "photon-1"},
            {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
            {"price", {{"image", 10}, {"video", 100}}},
            {"local", false},
            {"can_cancel", true}};
  }

  explicit LumaPlugin(const json& settings) : s_(Settings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    if (type == "cancel") return cancel(event);
    if (!event.state().is_object())
      return Action::fail("plugin_error", "luma: a \"" + type + "\" event without a state", false);
    if (type == "timer") return send(event, event.state());
    if (type == "http_error") return onHttpError(event);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "luma: unexpected event \"" + type + "\"", false);
  }

 private:
  static std::string apiKey(const Event& event) { return stringAt(event.credential(), "api_key"); }

  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "image" && kind != "video")
      return invalid("kind must be \"image\" or \"video\", got \"" + kind + "\"");
    if (apiKey(event).empty())
      return Action::fail("unauthorized", "luma: no API key configured for this provider", false);
    // The host fills in one default_model for both kinds: a model of the
    // other kind (or none) means this kind's default.
    std::string model = stringAt(request, "model");
    const bool other_kind = model.rfind(kind == "image" ? "ray-" : "photon-", 0) == 0;
    if (model.empty() || other_kind) model = kind == "image" ? "photon-1" : "ray-2";
    static const std::set<std::string> kImageModels = {"photon-1", "photon-flash-1"};
    static const std::set<std::string> kVideoModels = {"ray-2", "ray-flash-2"};
    if (!(kind == "image" ? kImageModels : kVideoModels).count(model))
      return invalid("Luma has no " + kind + " model \"" + model + "\" (" +
                     (kind == "image" ? "photon-1, photon-flash-1" : "ray-2, ray-flash-2") + ")");
    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("1:1");
    const std::string ratio = lumaAspectRatio(ours);
    if (ratio.empty()) return invalid("unsupported aspect ratio \"" + ours + "\"");

    json body = {
        {"prompt", stringAt(request, "prompt")}, {"model", model}, {"aspect_ratio", ratio}};
    if (kind == "video") {
      body["resolution"] = s_.video_resolution;
      body["duration"] = s_.video_duration;
    }
    json state = {{"phase", "submit"},
                  {"kind", kind},
                  {"model", model},
                  {"path", kind == "image" ? "/generations/image" : "/generations/video"},
                  {"body", body.dump()},
                  {"throttled", 0}};
    return send(event, std::move(state));
  }

  // The request for the state's phase: the submission, a poll or the delete.
  Action send(const Event& event, json state) const {
    json headers = {{"authorization", "Bearer " + apiKey(event)}, {"accept", "application/json"}};
    const std::string phase = stringAt(state, "phase");
    if (phase == "submit") {
      headers["content-type"] = "application/json";
      const std::string url = s_.base_url + stringAt(state, "path");
      const std::string body = stringAt(state, "body");
      return Action::http("POST", url, std::move(headers), body, std::move(state), s_.timeout_ms);
    }
    const std::string id = stringAt(state, "id");
    if (id.empty() || (phase != "poll" && phase != "cancel"))
      return Action::fail("plugin_error", "luma: a state without a generation to ask about", false);
    const std::string url = s_.base_url + "/generations/" + id;
    if (phase == "cancel")
      return Action::http("DELETE", url, std::move(headers), "", std::move(state), s_.timeout_ms);
    const double progress = stringAt(state, "luma_state") == "dreaming" ? 0.5 : 0.1;
    return Action::http("GET", url, std::move(headers), "", std::move(state), s_.timeout_ms)
        .withProgress(progress);
  }

  Action cancel(const Event& event) const {
    json state = event.state();
    if (stringAt(state, "id").empty())
      return Action::fail("canceled", "luma: canceled before Luma accepted the generation", false);
    state["phase"] = "cancel";
    return send(event, std::move(state));
  }

  static Action onHttpError(const Event& event) {
    if (stringAt(event.state(), "phase") == "cancel") return canceled();
    return Action::fail("upstream_error", "luma: no answer: " + event.message(), true);
  }

  Action onResponse(const Event& event) const {
    json state = event.state();
    const std::string phase = stringAt(state, "phase");
    if (phase == "cancel") return canceled();
    const int status = event.status();
    if (status == 429) {
      const json& before = state["throttled"];
      const int throttled = (before.is_number_integer() ? before.get<int>() : 0) + 1;
      if (throttled > kMaxThrottledResends)
        return Action::fail("rate_limited",
                            "luma: still rate limited after " +
                                std::to_string(kMaxThrottledResends) +
                                " waits: " + errorMessage(event.body()),
                            true);
      state["throttled"] = throttled;
      return Action::wait(retryAfterMs(event.headers()), std::move(state));
    }
    state["throttled"] = 0;
    if (status >= 500 || status == 408)
      return Action::fail(
          "upstream_error",
          "luma answered HTTP " + std::to_string(status) + ": " + errorMessage(event.body()), true);
    if (status == 400 || status == 422) {
      const std::string reason = errorMessage(event.body());
      return Action::fail(isContentPolicy(reason) ? "content_policy" : "invalid_request",
                          "luma: " + reason, false);
    }
    if (status == 401 || status == 403)
      return Action::fail("unauthorized",
                          "luma refused the API key (HTTP " + std::to_string(status) +
                              "): " + errorMessage(event.body()),
                          false);
    if (status < 200 || status >= 300)
      return Action::fail(
          "upstream_error",
          "luma answered HTTP " + std::to_string(status) + ": " + errorMessage(event.body()),
          false);
    const json generation = json::parse(event.body(), nullptr, false);
    if (!generation.is_object() || stringAt(generation, "state").empty())
      return malformed("a generation without a state");
    if (phase == "submit") {
      const std::string id = stringAt(generation, "id");
      if (id.empty()) return malformed("a generation without an id");
      state["id"] = id;
      state["phase"] = "poll";
      state.erase("body");
      state.erase("path");
    }
    return onGeneration(generation, std::move(state));
  }

  Action onGeneration(const json& generation, json state) const {
    const std::string luma_state = stringAt(generation, "state");
    const std::string kind = stringAt(state, "kind");
    if (luma_state == "completed") {
      const std::string url = stringAt(generation.value("assets", json()), kind.c_str());
      if (url.empty()) return malformed("a completed generation without assets." + kind);
      json output = {{"url", url}, {"mime", mimeOf(kind, url)}};
      json usage = {{"provider_job_id", state["id"]}, {"model", state["model"]}};
      if (kind == "video") {
        output["duration_s"] = s_.video_duration == "9s" ? 9 : 5;
        usage["resolution"] = s_.video_resolution;
        usage["duration"] = s_.video_duration;
      }
      return Action::done(json::array({std::move(output)}), std::move(usage));
    }
    if (luma_state == "failed") {
      std::string reason = stringAt(generation, "failure_reason");
      if (reason.empty()) reason = "the generation failed without a reason";
      // Polling a failed generation again cannot help, so a failure that is
      // not moderation is final here and the host moves to the next provider.
      return Action::fail(isContentPolicy(reason) ? "content_policy" : "generation_failed",
                          "luma: " + reason, false);
    }
    state["luma_state"] = luma_state;
    return Action::wait(s_.poll_ms, std::move(state))
        .withProgress(luma_state == "dreaming" ? 0.5 : 0.1);
  }

  // Luma serves JPEG by default and PNG when asked; videos are MP4.
  static std::string mimeOf(const std::string& kind, const std::string& url) {
    if (kind == "video") return "video/mp4";
    std::string path = lower(url.substr(0, url.find_first_of("?#")));
    const auto ends = [&](const std::string& ext) {
      return path.size() >= ext.size() &&
             path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
    };
    if (ends(".png")) return "image/png";
    if (ends(".webp")) return "image/webp";
    return "image/jpeg";
  }

  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "luma: " + message, false);
  }
  static Action malformed(const std::string& what) {
    return Action::fail("upstream_error", "luma answered " + what, true);
  }
  static Action canceled() {
    return Action::fail("canceled", "luma: canceled; the generation was deleted at Luma", false);
  }

  Settings s_;
};

}  // namespace aigate::plugins::luma
