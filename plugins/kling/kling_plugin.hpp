// "kling": images and videos from the Kling AI API (v1 task endpoints), as a
// sans-I/O state machine (see README.md for the API spoken and the mappings).
//
//   POST {base_url}/v1/images/generations          {model_name, prompt, aspect_ratio, n: 1}
//   POST {base_url}/v1/videos/text2video            {model_name, prompt, mode, aspect_ratio, duration}
//       → {code: 0, message, request_id, data: {task_id, task_status: "submitted"}}
//   GET  {base_url}/v1/images/generations/{task_id}
//   GET  {base_url}/v1/videos/text2video/{task_id}
//       → data {task_status: submitted | processing | succeed | failed, task_status_msg,
//               task_result: {images: [{index, url}]} | {videos: [{id, url, duration}]}}
// with "Authorization: Bearer <JWT>": an HS256 JWT {iss: access key, exp: now + 1800,
// nbf: now - 5} signed with the secret key, made afresh for every request. The
// credential's api_key is "ACCESS_KEY:SECRET_KEY". Errors carry a business code
// in the JSON `code` field (1000-1004 auth, 1100-1103 account, 1200-1203 params,
// 1300-1304 policy / rate, 5000-5002 server). Kling has no cancel API.
//
// The state (stored by the host) holds the phase, the task id and, until Kling
// accepted it, the request body; never the credential nor a token.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <aigate/plugin.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace aigate::plugins::kling {

using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kDefaultBaseUrl = "https://api-singapore.klingai.com";
inline constexpr int kMaxThrottledResends = 5;      // throttled answers in a row, then fail
inline constexpr int kDefaultRetryAfterMs = 2'000;  // first wait when no Retry-After
inline constexpr int kMaxRetryAfterMs = 60'000;
inline constexpr int64_t kTokenLifetimeS = 1800;    // Kling's documented JWT lifetime
inline constexpr int64_t kTokenNotBeforeSkewS = 5;

inline constexpr const char* kDefaultImageModel = "kling-v2";
inline constexpr const char* kDefaultVideoModel = "kling-v2-1-master";

inline const std::set<std::string>& imageModels() {
  static const std::set<std::string> k = {"kling-v1", "kling-v1-5", "kling-v2", "kling-v2-1"};
  return k;
}
inline const std::set<std::string>& videoModels() {
  static const std::set<std::string> k = {"kling-v1", "kling-v1-6", "kling-v2-master",
                                          "kling-v2-1-master", "kling-v2-5-turbo"};
  return k;
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

// --- JWT (HS256) ---------------------------------------------------------------------

inline std::string base64Url(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;  // no padding, as JWT wants
}

// HMAC-SHA256 of `data` under `key` (raw 32 bytes).
inline std::string hmacSha256(const std::string& key, const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length))
    throw std::runtime_error("kling: HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// The token Kling wants for `access_key`, valid from now - 5 s to now + 30 min.
inline std::string signToken(const std::string& access_key, const std::string& secret_key,
                             int64_t now_s) {
  const json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  const json payload = {{"iss", access_key},
                        {"exp", now_s + kTokenLifetimeS},
                        {"nbf", now_s - kTokenNotBeforeSkewS}};
  const std::string signing_input = base64Url(header.dump()) + "." + base64Url(payload.dump());
  return signing_input + "." + base64Url(hmacSha256(secret_key, signing_input));
}

// The access and secret keys of an api_key "ACCESS_KEY:SECRET_KEY"; false when
// it is not of that form.
inline bool splitApiKey(const std::string& api_key, std::string* access, std::string* secret) {
  const auto colon = api_key.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == api_key.size()) return false;
  *access = api_key.substr(0, colon);
  *secret = api_key.substr(colon + 1);
  return true;
}

// --- mappings -------------------------------------------------------------------------

// Kling's image aspect ratio for one of ours and `model` ("" when unknown): its
// eight pass through (21:9 only on v1.5 and later; kling-v1 gets 16:9), 4:5
// becomes 3:4.
inline std::string imageAspectRatio(const std::string& ours, const std::string& model) {
  static const std::set<std::string> kSame = {"16:9", "9:16", "1:1", "4:3",
                                              "3:4",  "3:2",  "2:3", "21:9"};
  if (ours == "21:9" && model == "kling-v1") return "16:9";
  if (kSame.count(ours)) return ours;
  if (ours == "4:5") return "3:4";
  return {};
}

// Kling's video aspect ratio (16:9, 9:16 or 1:1) for one of ours: landscape
// ratios become 16:9, 3:4 and 2:3 become 9:16, 4:5 becomes 1:1 (nearest).
inline std::string videoAspectRatio(const std::string& ours) {
  if (ours == "16:9" || ours == "4:3" || ours == "3:2" || ours == "21:9") return "16:9";
  if (ours == "9:16" || ours == "3:4" || ours == "2:3") return "9:16";
  if (ours == "1:1" || ours == "4:5") return "1:1";
  return {};
}

// Whether a task failure message is Kling's risk control / content review.
inline bool isContentPolicy(const std::string& reason) {
  const std::string text = lower(reason);
  for (const char* word : {"risk", "policy", "sensitive", "security", "moderation",
                           "inappropriate", "violat", "not allowed", "prohibited"})
    if (text.find(word) != std::string::npos) return true;
  return false;
}

// How long a throttled answer asks us to wait: "retry-after" in seconds, else
// 2 s doubling with each throttled answer in a row. Capped at 60 s.
inline int throttleWaitMs(const json& headers, int throttled) {
  const std::string text = stringAt(headers, "retry-after");
  if (!text.empty()) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() && *end == '\0' && std::isfinite(v) && v >= 0)
      return static_cast<int>(std::min<double>(v * 1000.0, kMaxRetryAfterMs));
  }
  const int shift = std::clamp(throttled - 1, 0, 10);
  return std::min(kDefaultRetryAfterMs << shift, kMaxRetryAfterMs);
}

// The operator's settings, checked once at create().
struct Settings {
  std::string base_url = kDefaultBaseUrl;
  int poll_ms = 5'000;
  int timeout_ms = 60'000;
  std::string video_mode = "std";
  std::string video_duration = "5";

  // Throws std::invalid_argument naming the bad setting.
  static Settings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("kling: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url", "poll_ms", "timeout_ms", "video_mode",
                                                 "video_duration"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("kling: unknown setting \"" + key +
                                    "\" (known: base_url, poll_ms, timeout_ms, video_mode, "
                                    "video_duration)");
    Settings s;
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string())
        throw std::invalid_argument("kling: base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument("kling: base_url must start with http:// or https://, got \"" +
                                    s.base_url + "\"");
    }
    s.poll_ms = intSetting(j, "poll_ms", s.poll_ms, 1, 600'000);
    s.timeout_ms = intSetting(j, "timeout_ms", s.timeout_ms, 100, 600'000);
    s.video_mode = choice(j, "video_mode", s.video_mode, {"std", "pro"});
    s.video_duration = choice(j, "video_duration", s.video_duration, {"5", "10"});
    return s;
  }

 private:
  static int intSetting(const json& j, const char* key, int fallback, int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(std::string("kling: ") + key + " must be an integer from " +
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
    for (const auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
    throw std::invalid_argument(std::string("kling: ") + key + " must be one of " + list +
                                ", got " + v.dump());
  }
};

class KlingPlugin : public sdk::Plugin {
 public:
  // Seconds since the epoch; the JWT's clock.
  using Clock = std::function<int64_t()>;

  static json describe() {
    return {{"name", "kling"},
            {"version", "1.0.0"},
            {"description", "Kling AI API: Kling text-to-image and text-to-video."},
            {"kinds", {"image", "video"}},
            {"models",
             {"kling-v1", "kling-v1-5", "kling-v2", "kling-v2-1", "kling-v1-6", "kling-v2-master",
              "kling-v2-1-master", "kling-v2-5-turbo"}},
            {"default_model", kDefaultVideoModel},
            {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
            {"price", {{"image", 10}, {"video", 100}}},
            {"local", false},
            {"can_cancel", false}};
  }

  explicit KlingPlugin(const json& settings) : s_(Settings::fromJson(settings)) {}

  // Tests pin the JWT's clock; by default it is the system clock.
  void setClock(Clock clock) { clock_ = std::move(clock); }

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    if (type == "cancel")
      return Action::fail("canceled", "kling: canceled (Kling has no cancel API; the task runs on)",
                          false);
    if (!event.state().is_object())
      return Action::fail("plugin_error", "kling: a \"" + type + "\" event without a state", false);
    if (type == "timer") return send(event, event.state());
    if (type == "http_error")
      return Action::fail("upstream_error", "kling: no answer: " + event.message(), true);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "kling: unexpected event \"" + type + "\"", false);
  }

 private:
  int64_t now() const {
    if (clock_) return clock_();
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "image" && kind != "video")
      return invalid("kind must be \"image\" or \"video\", got \"" + kind + "\"");
    std::string access, secret;
    if (!splitApiKey(stringAt(event.credential(), "api_key"), &access, &secret))
      return noKey();
    const auto& models = kind == "image" ? imageModels() : videoModels();
    // The host fills in one default_model for both kinds: a model of the other
    // kind only (or none) means this kind's default.
    std::string model = stringAt(request, "model");
    const auto& other = kind == "image" ? videoModels() : imageModels();
    if (model.empty() || (!models.count(model) && other.count(model)))
      model = kind == "image" ? kDefaultImageModel : kDefaultVideoModel;
    if (!models.count(model)) {
      std::string list;
      for (const auto& m : models) list += (list.empty() ? "" : ", ") + m;
      return invalid("Kling has no " + kind + " model \"" + model + "\" (" + list + ")");
    }
    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("1:1");
    const std::string ratio =
        kind == "image" ? imageAspectRatio(ours, model) : videoAspectRatio(ours);
    if (ratio.empty()) return invalid("unsupported aspect ratio \"" + ours + "\"");

    json body = {{"model_name", model},
                 {"prompt", stringAt(request, "prompt")},
                 {"aspect_ratio", ratio}};
    if (kind == "image") {
      body["n"] = 1;
    } else {
      body["mode"] = s_.video_mode;
      body["duration"] = s_.video_duration;
    }
    json state = {{"phase", "submit"},
                  {"kind", kind},
                  {"model", model},
                  {"body", body.dump()},
                  {"throttled", 0}};
    return send(event, std::move(state));
  }

  static std::string pathOf(const std::string& kind) {
    return kind == "image" ? "/v1/images/generations" : "/v1/videos/text2video";
  }

  // The request for the state's phase (the submission or a poll), with a
  // token signed now from the event's credential.
  Action send(const Event& event, json state) const {
    std::string access, secret;
    if (!splitApiKey(stringAt(event.credential(), "api_key"), &access, &secret)) return noKey();
    const std::string kind = stringAt(state, "kind");
    const std::string phase = stringAt(state, "phase");
    if (kind != "image" && kind != "video")
      return Action::fail("plugin_error", "kling: a state without a kind", false);
    json headers = {{"authorization", "Bearer " + signToken(access, secret, now())},
                    {"accept", "application/json"}};
    if (phase == "submit") {
      headers["content-type"] = "application/json";
      const std::string body = stringAt(state, "body");
      return Action::http("POST", s_.base_url + pathOf(kind), std::move(headers), body,
                          std::move(state), s_.timeout_ms);
    }
    const std::string id = stringAt(state, "task_id");
    if (phase != "poll" || id.empty())
      return Action::fail("plugin_error", "kling: a state without a task to ask about", false);
    const double progress = stringAt(state, "task_status") == "processing" ? 0.5 : 0.1;
    return Action::http("GET", s_.base_url + pathOf(kind) + "/" + id, std::move(headers), "",
                        std::move(state), s_.timeout_ms)
        .withProgress(progress);
  }

  Action onResponse(const Event& event) const {
    json state = event.state();
    const int status = event.status();
    const json answer = json::parse(event.body(), nullptr, false);
    const int code = answer.is_object() && answer.contains("code") && answer["code"].is_number_integer()
                         ? answer["code"].get<int>()
                         : -1;
    const std::string message = errorMessage(answer, event.body());
    const bool throttled_code = code == 1302 || code == 1303;
    const bool ok_code = code == 0 || (code == -1 && status >= 200 && status < 300);

    // Throttling: 1302 (rate) and 1303 (concurrency), or a bare 429. A 429 with
    // an account code (1100-1102: arrears, empty pack) is not throttling.
    if (throttled_code || (status == 429 && code == -1)) {
      const json& before = state["throttled"];
      const int throttled = (before.is_number_integer() ? before.get<int>() : 0) + 1;
      if (throttled > kMaxThrottledResends)
        return Action::fail("rate_limited",
                            "kling: still rate limited after " +
                                std::to_string(kMaxThrottledResends) + " waits: " + message,
                            true);
      state["throttled"] = throttled;
      const int ms = throttleWaitMs(event.headers(), throttled);
      return Action::wait(ms, std::move(state));
    }
    state["throttled"] = 0;
    if (!ok_code) return onError(status, code, message, stringAt(state, "phase"));
    if (status < 200 || status >= 300)
      return Action::fail("upstream_error",
                          "kling answered HTTP " + std::to_string(status) + ": " + message,
                          status >= 500);
    if (!answer.is_object()) return malformed("something that is not JSON");
    const json& data = answer.contains("data") ? answer["data"] : json();
    if (!data.is_object()) return malformed("an answer without data");
    if (stringAt(state, "phase") == "submit") {
      const std::string id = stringAt(data, "task_id");
      if (id.empty()) return malformed("a task without a task_id");
      state["task_id"] = id;
      state["phase"] = "poll";
      state.erase("body");
    }
    return onTask(data, std::move(state));
  }

  // A refusal: by Kling's business code when it has one, else by HTTP status.
  static Action onError(int status, int code, const std::string& message,
                        const std::string& phase) {
    const std::string what =
        "kling refused (HTTP " + std::to_string(status) +
        (code >= 0 ? ", code " + std::to_string(code) : std::string()) + "): " + message;
    if (code >= 1000 && code <= 1004)
      return Action::fail("unauthorized", what, false);
    if (code == 1100 || code == 1101 || code == 1102)
      return Action::fail("account_error", what, false);  // arrears, empty resource pack
    if (code == 1103 || code == 1304)
      return Action::fail("unauthorized", what, false);  // no access, IP whitelist
    if (code == 1300 || code == 1301) return Action::fail("content_policy", message, false);
    if (code == 1200 || code == 1201) return Action::fail("invalid_request", message, false);
    if (code == 1202 || code == 1203) {
      // On a poll, "not found" means the task is gone; on a submission, a bad
      // model or path.
      if (phase == "poll") return Action::fail("upstream_error", what, false);
      return Action::fail("invalid_request", message, false);
    }
    if (code >= 5000 || status >= 500 || status == 408)
      return Action::fail("upstream_error", what, true);
    if (status == 401 || status == 403) return Action::fail("unauthorized", what, false);
    if (status == 400 || status == 422) return Action::fail("invalid_request", message, false);
    return Action::fail("upstream_error", what, false);
  }

  Action onTask(const json& data, json state) const {
    const std::string task_status = stringAt(data, "task_status");
    const std::string kind = stringAt(state, "kind");
    if (task_status == "succeed") {
      const json result = data.value("task_result", json());
      const json list = result.is_object() ? result.value(kind == "image" ? "images" : "videos",
                                                          json())
                                           : json();
      if (!list.is_array() || list.empty() || stringAt(list[0], "url").empty())
        return malformed("a finished task without task_result." +
                         std::string(kind == "image" ? "images" : "videos"));
      const std::string url = stringAt(list[0], "url");
      json output = {{"url", url}, {"mime", mimeOf(kind, url)}};
      json usage = {{"provider_job_id", state["task_id"]}, {"model", state["model"]}};
      if (const std::string units = stringAt(data, "final_unit_deduction"); !units.empty())
        usage["units"] = units;
      if (kind == "video") {
        output["duration_s"] = durationOf(list[0]);
        usage["mode"] = s_.video_mode;
        usage["duration"] = s_.video_duration;
      }
      return Action::done(json::array({std::move(output)}), std::move(usage));
    }
    if (task_status == "failed") {
      std::string reason = stringAt(data, "task_status_msg");
      if (reason.empty()) reason = "the task failed without a reason";
      // Asking about a failed task again cannot help: a failure that is not
      // risk control is final here and the host moves to the next provider.
      return Action::fail(isContentPolicy(reason) ? "content_policy" : "generation_failed",
                          "kling: " + reason, false);
    }
    if (task_status != "submitted" && task_status != "processing")
      return malformed("a task in an unknown status \"" + task_status + "\"");
    state["task_status"] = task_status;
    return Action::wait(s_.poll_ms, std::move(state))
        .withProgress(task_status == "processing" ? 0.5 : 0.1);
  }

  // A video's length: its "duration" ("5", a string, or a number), else ours.
  double durationOf(const json& video) const {
    if (video.is_object() && video.contains("duration")) {
      const json& d = video["duration"];
      if (d.is_number()) return d.get<double>();
      if (d.is_string()) {
        const std::string text = d.get<std::string>();
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end != text.c_str() && *end == '\0' && std::isfinite(v) && v > 0) return v;
      }
    }
    return s_.video_duration == "10" ? 10 : 5;
  }

  // Kling serves PNG images (JPEG for some models) and MP4 videos.
  static std::string mimeOf(const std::string& kind, const std::string& url) {
    if (kind == "video") return "video/mp4";
    const std::string path = lower(url.substr(0, url.find_first_of("?#")));
    const auto ends = [&](const std::string& ext) {
      return path.size() >= ext.size() &&
             path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
    };
    if (ends(".jpg") || ends(".jpeg")) return "image/jpeg";
    if (ends(".webp")) return "image/webp";
    return "image/png";
  }

  // The message of a Kling answer ({"code", "message", "request_id"}), else
  // the body itself, shortened.
  static std::string errorMessage(const json& answer, const std::string& body) {
    if (answer.is_object()) {
      if (auto message = stringAt(answer, "message"); !message.empty()) return message;
      if (auto error = stringAt(answer.value("error", json()), "message"); !error.empty())
        return error;
    }
    std::string text = body.substr(0, 300);
    return text.empty() ? std::string("(no body)") : text;
  }

  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "kling: " + message, false);
  }
  static Action noKey() {
    return Action::fail("unauthorized",
                        "kling: the API key must be \"ACCESS_KEY:SECRET_KEY\" (Kling signs a JWT "
                        "with both)",
                        false);
  }
  static Action malformed(const std::string& what) {
    return Action::fail("upstream_error", "kling answered " + what, true);
  }

  Settings s_;
  Clock clock_;
};

}  // namespace aigate::plugins::kling
