// "google": images and videos from the Gemini API (v1beta), as a sans-I/O
// state machine (see README.md for the API spoken and the mappings).
//
//   images (synchronous, Gemini image models, "Nano Banana"):
//   POST {base_url}/models/{model}:generateContent
//        {contents: [{role: "user", parts: [{text: prompt}]}],
//         generationConfig: {responseModalities: ["IMAGE"], seed,
//                            imageConfig: {aspectRatio}}}
//     → {candidates: [{content: {parts: [{inlineData: {mimeType, data}}…]}, finishReason}],
//        promptFeedback?: {blockReason}}
//   videos (long-running, Veo):
//   POST {base_url}/models/{model}:predictLongRunning
//        {instances: [{prompt}], parameters: {aspectRatio, durationSeconds?, personGeneration?}}
//     → an Operation {name: "models/{model}/operations/{id}"}
//   GET  {base_url}/{operation name}, every poll_ms, until
//        {done: true, response: {generateVideoResponse: {generatedSamples: [{video: {uri}}],
//                                raiMediaFilteredCount?, raiMediaFilteredReasons?}}}
//        or {done: true, error: {code, message}}
//   GET  {the video uri} with the key (the file needs it), answered as data_base64.
// Every request carries "x-goog-api-key: <api key>". Errors are
// {"error": {"code", "message", "status", "details"}}.
//
// The state (stored by the host) holds the phase, the operation name or the
// video uri and, until Google accepted it, the request body; never the key.
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

namespace aigate::plugins::google {

using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kDefaultBaseUrl = "https://generativelanguage.googleapis.com/v1beta";
inline constexpr const char* kDefaultImageModel = "gemini-2.5-flash-image";
inline constexpr const char* kDefaultVideoModel = "veo-3.0-generate-001";
inline constexpr int kMaxThrottledResends = 5;      // 429s answered in a row, then fail
inline constexpr int kDefaultRetryAfterMs = 2'000;  // a 429 without a usable delay
inline constexpr int kMaxRetryAfterMs = 60'000;

// The string at `key` of `object`, or "" when absent or not a string.
inline std::string stringAt(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// object[key] when it is an object or array, else null.
inline const json& childAt(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it != object.end() && (it->is_object() || it->is_array()) ? *it : kNull;
}

inline std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

inline std::string base64(const std::string& bytes) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                       uint32_t(uint8_t(bytes[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Whether a reason is Google's safety filters speaking (block reasons, finish
// reasons, RAI filter texts, "…violate our usage guidelines…").
inline bool isContentPolicy(const std::string& reason) {
  const std::string text = lower(reason);
  for (const char* word : {"safety", "blocklist", "prohibited", "spii", "responsible ai",
                           "usage guidelines", "policy", "policies", "sensitive", "harmful",
                           "filtered", "raifilter", "celebrity", "child", "blocked"})
    if (text.find(word) != std::string::npos) return true;
  return false;
}

// Google's error envelope: {"error": {"code", "message", "status", "details"}}.
struct ApiError {
  int code = 0;
  std::string message;
  std::string status;  // "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", …
  std::string reason;  // details[].reason of a google.rpc.ErrorInfo ("API_KEY_INVALID")
  int retry_delay_ms = -1;  // details[].retryDelay of a google.rpc.RetryInfo ("13s")

  static ApiError parse(const std::string& body) {
    ApiError e;
    const json parsed = json::parse(body, nullptr, false);
    const json& error = childAt(parsed, "error");
    if (error.is_object()) {
      if (error.contains("code") && error["code"].is_number_integer()) e.code = error["code"].get<int>();
      e.message = stringAt(error, "message");
      e.status = stringAt(error, "status");
      const json& details = childAt(error, "details");
      if (details.is_array()) {
        for (const auto& d : details) {
          if (e.reason.empty()) e.reason = stringAt(d, "reason");
          const std::string delay = stringAt(d, "retryDelay");
          if (!delay.empty() && e.retry_delay_ms < 0) {
            char* end = nullptr;
            const double s = std::strtod(delay.c_str(), &end);
            if (end != delay.c_str() && std::isfinite(s) && s >= 0 && std::string(end) == "s")
              e.retry_delay_ms = static_cast<int>(std::min<double>(s * 1000.0, kMaxRetryAfterMs));
          }
        }
      }
    }
    if (e.message.empty()) {
      e.message = body.substr(0, 300);
      if (e.message.empty()) e.message = "(no body)";
    }
    return e;
  }
};

// How long a 429 asks us to wait: "retry-after" in seconds, else the error's
// RetryInfo.retryDelay; a date or nothing gives the default. Capped.
inline int retryAfterMs(const json& headers, const std::string& body) {
  const std::string header = stringAt(headers, "retry-after");
  if (!header.empty()) {
    char* end = nullptr;
    const double v = std::strtod(header.c_str(), &end);
    if (end != header.c_str() && *end == '\0' && std::isfinite(v) && v >= 0)
      return static_cast<int>(std::min<double>(v * 1000.0, kMaxRetryAfterMs));
  }
  const ApiError e = ApiError::parse(body);
  if (e.retry_delay_ms >= 0) return std::clamp(e.retry_delay_ms, 0, kMaxRetryAfterMs);
  return kDefaultRetryAfterMs;
}

// The operator's settings, checked once at create().
struct Settings {
  std::string base_url = kDefaultBaseUrl;
  int poll_ms = 10'000;  // Google's Veo samples poll every 10 s
  int timeout_ms = 120'000;
  int video_duration_s = 0;        // 0: Veo's default (8 s for Veo 3)
  std::string person_generation;   // "": Google's default
  std::string image_size;          // "": Google's default (1K)

  // Throws std::invalid_argument naming the bad setting.
  static Settings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("google: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url",          "poll_ms",
                                                 "timeout_ms",        "video_duration_s",
                                                 "person_generation", "image_size"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("google: unknown setting \"" + key +
                                    "\" (known: base_url, poll_ms, timeout_ms, video_duration_s, "
                                    "person_generation, image_size)");
    Settings s;
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string())
        throw std::invalid_argument("google: base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument("google: base_url must start with http:// or https://, got \"" +
                                    s.base_url + "\"");
    }
    s.poll_ms = intSetting(j, "poll_ms", s.poll_ms, 1, 600'000);
    s.timeout_ms = intSetting(j, "timeout_ms", s.timeout_ms, 100, 600'000);
    s.video_duration_s = intSetting(j, "video_duration_s", 0, 4, 8);
    s.person_generation =
        choice(j, "person_generation", "", {"allow_all", "allow_adult", "dont_allow"});
    s.image_size = choice(j, "image_size", "", {"1K", "2K", "4K"});
    return s;
  }

 private:
  static int intSetting(const json& j, const char* key, int fallback, int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(std::string("google: ") + key + " must be an integer from " +
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
    throw std::invalid_argument(std::string("google: ") + key + " must be one of " + list +
                                ", got " + v.dump());
  }
};

// Whether `model` is a Gemini image model ("gemini-…-image…") or a Veo model.
inline bool isImageModel(const std::string& model) {
  return model.rfind("gemini-", 0) == 0 && model.find("image") != std::string::npos;
}
inline bool isVideoModel(const std::string& model) { return model.rfind("veo-", 0) == 0; }

// Veo renders 16:9 or 9:16 only: landscape ratios get 16:9, portrait ones
// 9:16; "" for a square (refused).
inline std::string veoAspectRatio(const std::string& ours) {
  static const std::set<std::string> kLandscape = {"16:9", "21:9", "3:2", "4:3"};
  static const std::set<std::string> kPortrait = {"9:16", "2:3", "3:4", "4:5"};
  if (kLandscape.count(ours)) return "16:9";
  if (kPortrait.count(ours)) return "9:16";
  return {};
}

// "scheme://host[:port]" of a URL, lowercased; "" when it has no scheme.
inline std::string origin(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  const auto end = url.find_first_of("/?#", scheme + 3);
  return lower(url.substr(0, end));
}

class GooglePlugin : public sdk::Plugin {
 public:
  static json describe() {
    return {{"name", "google"},
            {"version", "1.0.0"},
            {"description",
             "Google Gemini API v1beta: Gemini image models (Nano Banana) and Veo videos."},
            {"kinds", {"image", "video"}},
            {"models",
             {"gemini-2.5-flash-image", "gemini-3.1-flash-image-preview",
              "gemini-3-pro-image-preview", "veo-3.0-generate-001", "veo-3.0-fast-generate-001",
              "veo-3.1-generate-preview", "veo-3.1-fast-generate-preview",
              "veo-2.0-generate-001"}},
            {"default_model", kDefaultImageModel},
            {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
            {"price", {{"image", 10}, {"video", 100}}},
            {"local", false},
            {"can_cancel", false}};
  }

  explicit GooglePlugin(const json& settings) : s_(Settings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    // The Gemini API offers no cancel for Veo operations: stop asking, at once.
    if (type == "cancel")
      return Action::fail("canceled", "google: canceled (the Gemini API cannot cancel upstream)",
                          false);
    if (!event.state().is_object())
      return Action::fail("plugin_error", "google: a \"" + type + "\" event without a state",
                          false);
    if (type == "timer") return send(event, event.state());
    if (type == "http_error")
      return Action::fail("upstream_error", "google: no answer: " + event.message(), true);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "google: unexpected event \"" + type + "\"", false);
  }

 private:
  static std::string apiKey(const Event& event) { return stringAt(event.credential(), "api_key"); }

  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "image" && kind != "video")
      return invalid("kind must be \"image\" or \"video\", got \"" + kind + "\"");
    if (apiKey(event).empty())
      return Action::fail("unauthorized", "google: no API key configured for this provider", false);
    // The host fills in one default_model for both kinds: a model of the
    // other kind (or none) means this kind's default.
    std::string model = stringAt(request, "model");
    if (model.empty() || (kind == "image" ? isVideoModel(model) : isImageModel(model)))
      model = kind == "image" ? kDefaultImageModel : kDefaultVideoModel;
    if (kind == "image" ? !isImageModel(model) : !isVideoModel(model))
      return invalid("\"" + model + "\" is not a Gemini " + kind + " model (" +
                     (kind == "image" ? "gemini-*-image*; Imagen is shut down" : "veo-*") + ")");
    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("1:1");
    static const std::set<std::string> kImageRatios = {"1:1", "9:16", "16:9", "4:5", "3:4",
                                                       "4:3", "2:3",  "3:2",  "21:9"};
    json body;
    std::string path;
    if (kind == "image") {
      if (!kImageRatios.count(ours)) return invalid("unsupported aspect ratio \"" + ours + "\"");
      json image_config = {{"aspectRatio", ours}};
      if (!s_.image_size.empty()) image_config["imageSize"] = s_.image_size;
      json generation = {{"responseModalities", {"IMAGE"}}, {"imageConfig", image_config}};
      if (request.contains("seed") && request["seed"].is_number_integer())
        generation["seed"] = request["seed"];
      body = {{"contents", {{{"role", "user"}, {"parts", {{{"text", stringAt(request, "prompt")}}}}}}},
              {"generationConfig", generation}};
      path = "/models/" + model + ":generateContent";
    } else {
      const std::string ratio = veoAspectRatio(ours);
      if (ratio.empty())
        return invalid("Veo renders 16:9 or 9:16 only, not \"" + ours + "\"");
      json parameters = {{"aspectRatio", ratio}, {"sampleCount", 1}};
      if (s_.video_duration_s > 0) parameters["durationSeconds"] = s_.video_duration_s;
      if (!s_.person_generation.empty()) parameters["personGeneration"] = s_.person_generation;
      body = {{"instances", {{{"prompt", stringAt(request, "prompt")}}}},
              {"parameters", parameters}};
      path = "/models/" + model + ":predictLongRunning";
    }
    json state = {{"phase", kind == "image" ? "generate" : "submit"},
                  {"kind", kind},
                  {"model", model},
                  {"path", path},
                  {"body", body.dump()},
                  {"throttled", 0}};
    return send(event, std::move(state));
  }

  // The request for the state's phase: the submission, a poll or the download.
  Action send(const Event& event, json state) const {
    json headers = {{"x-goog-api-key", apiKey(event)}};
    const std::string phase = stringAt(state, "phase");
    if (phase == "generate" || phase == "submit") {
      headers["content-type"] = "application/json";
      const std::string url = s_.base_url + stringAt(state, "path");
      const std::string body = stringAt(state, "body");
      return Action::http("POST", url, std::move(headers), body, std::move(state), s_.timeout_ms)
          .withProgress(0.05);
    }
    if (phase == "poll") {
      const std::string op = stringAt(state, "operation");
      if (op.empty())
        return Action::fail("plugin_error", "google: a state without an operation", false);
      return Action::http("GET", s_.base_url + "/" + op, std::move(headers), "", std::move(state),
                          s_.timeout_ms)
          .withProgress(0.3);
    }
    if (phase == "download") {
      const std::string uri = stringAt(state, "uri");
      if (uri.empty())
        return Action::fail("plugin_error", "google: a state without a video to fetch", false);
      // The key goes only where it belongs: our base URL's host or Google's.
      const std::string host = origin(uri);
      const bool google = host.size() >= 15 && host.compare(host.size() - 15, 15, ".googleapis.com") == 0 &&
                          host.rfind("https://", 0) == 0;
      if (host != origin(s_.base_url) && !google) headers = json::object();
      return Action::http("GET", uri, std::move(headers), "", std::move(state), s_.timeout_ms)
          .withProgress(0.9);
    }
    return Action::fail("plugin_error", "google: a state with an unknown phase \"" + phase + "\"",
                        false);
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
                            "google: still rate limited after " +
                                std::to_string(kMaxThrottledResends) +
                                " waits: " + ApiError::parse(event.body()).message,
                            true);
      state["throttled"] = throttled;
      return Action::wait(retryAfterMs(event.headers(), event.body()), std::move(state));
    }
    state["throttled"] = 0;
    if (status < 200 || status >= 300) return onError(status, ApiError::parse(event.body()), phase);
    if (phase == "download") return onVideo(event, state);
    const json answer = json::parse(event.body(), nullptr, false);
    if (!answer.is_object()) return malformed("something that is not a JSON object");
    if (phase == "generate") return onImage(answer, state);
    if (phase == "submit") {
      const std::string op = stringAt(answer, "name");
      if (op.empty()) return malformed("an operation without a name");
      state["operation"] = op;
      state["phase"] = "poll";
      state.erase("body");
      state.erase("path");
      return onOperation(event, answer, std::move(state));
    }
    if (phase == "poll") return onOperation(event, answer, std::move(state));
    return Action::fail("plugin_error", "google: a state with an unknown phase \"" + phase + "\"",
                        false);
  }

  static Action onError(int status, const ApiError& e, const std::string& phase) {
    const std::string what = "google answered HTTP " + std::to_string(status) +
                             (e.status.empty() ? "" : " " + e.status) + ": " + e.message;
    if (status >= 500 || status == 408) return Action::fail("upstream_error", what, true);
    if (e.reason == "API_KEY_INVALID" || status == 401 || e.status == "UNAUTHENTICATED" ||
        e.status == "PERMISSION_DENIED" || status == 403)
      return Action::fail("unauthorized", what, false);
    if (phase == "download" || phase == "poll")
      // Asking again about the same operation or file cannot help.
      return Action::fail("upstream_error", what, false);
    if (isContentPolicy(e.message)) return Action::fail("content_policy", "google: " + e.message, false);
    if (status == 400 || status == 404 || e.status == "INVALID_ARGUMENT" ||
        e.status == "FAILED_PRECONDITION" || e.status == "NOT_FOUND")
      return Action::fail("invalid_request", "google: " + e.message, false);
    return Action::fail("upstream_error", what, false);
  }

  // generateContent's answer: the first inline image, or why there is none.
  static Action onImage(const json& answer, const json& state) {
    const std::string block = stringAt(childAt(answer, "promptFeedback"), "blockReason");
    const std::string block_message = stringAt(childAt(answer, "promptFeedback"), "blockReasonMessage");
    if (!block.empty())
      return Action::fail("content_policy",
                          "google blocked the prompt: " + block +
                              (block_message.empty() ? "" : " (" + block_message + ")"),
                          false);
    const json& candidates = childAt(answer, "candidates");
    if (!candidates.is_array() || candidates.empty())
      return malformed("a generateContent response without candidates");
    std::string finish, finish_message, text;
    for (const auto& candidate : candidates) {
      if (finish.empty()) finish = stringAt(candidate, "finishReason");
      if (finish_message.empty()) finish_message = stringAt(candidate, "finishMessage");
      const json& parts = childAt(childAt(candidate, "content"), "parts");
      if (!parts.is_array()) continue;
      for (const auto& part : parts) {
        const json& inline_data =
            part.contains("inlineData") ? childAt(part, "inlineData") : childAt(part, "inline_data");
        std::string data = stringAt(inline_data, "data");
        if (!data.empty()) {
          std::string mime = stringAt(inline_data, "mimeType");
          if (mime.empty()) mime = stringAt(inline_data, "mime_type");
          if (mime.empty()) mime = "image/png";
          json usage = {{"model", state["model"]}};
          if (answer.contains("usageMetadata")) usage["usage_metadata"] = answer["usageMetadata"];
          return Action::done(json::array({{{"data_base64", std::move(data)}, {"mime", mime}}}),
                              std::move(usage));
        }
        if (text.empty()) text = stringAt(part, "text");
      }
    }
    std::string why = finish.empty() ? std::string("no image") : finish;
    if (!finish_message.empty()) why += " (" + finish_message + ")";
    else if (!text.empty()) why += " (" + text.substr(0, 300) + ")";
    if (isContentPolicy(finish) || finish == "IMAGE_PROHIBITED_CONTENT" ||
        isContentPolicy(finish_message))
      return Action::fail("content_policy", "google refused the image: " + why, false);
    // NO_IMAGE, IMAGE_OTHER, a text-only answer: the model may draw next time.
    return Action::fail("upstream_error", "google answered without an image: " + why, true);
  }

  // An operation: still running, failed, filtered or done with a video.
  Action onOperation(const Event& event, const json& op, json state) const {
    if (!op.value("done", false))
      return Action::wait(s_.poll_ms, std::move(state)).withProgress(0.3);
    const json& error = childAt(op, "error");
    if (error.is_object()) {
      const std::string message = stringAt(error, "message");
      const int code = error.contains("code") && error["code"].is_number_integer()
                           ? error["code"].get<int>()
                           : 0;
      if (isContentPolicy(message))
        return Action::fail("content_policy", "google: " + message, false);
      if (code == 3 || code == 9)  // INVALID_ARGUMENT, FAILED_PRECONDITION
        return Action::fail("invalid_request", "google: " + message, false);
      // Polling a failed operation again cannot help: final here, the host
      // moves on to the next provider.
      return Action::fail("generation_failed",
                          "google: the operation failed (code " + std::to_string(code) +
                              "): " + (message.empty() ? std::string("no message") : message),
                          false);
    }
    const json& response = childAt(op, "response");
    const json& video_response = response.contains("generateVideoResponse")
                                     ? childAt(response, "generateVideoResponse")
                                     : response;
    const json& samples = childAt(video_response, "generatedSamples");
    if (samples.is_array()) {
      for (const auto& sample : samples) {
        const json& video = childAt(sample, "video");
        const std::string uri = stringAt(video, "uri");
        if (!uri.empty()) {
          state["phase"] = "download";
          state["uri"] = uri;
          return send(event, std::move(state));
        }
        std::string inline_bytes = stringAt(video, "encodedVideo");
        if (inline_bytes.empty()) inline_bytes = stringAt(video, "bytesBase64Encoded");
        if (!inline_bytes.empty()) return finished(std::move(inline_bytes), state);
      }
    }
    const json& reasons = childAt(video_response, "raiMediaFilteredReasons");
    const bool filtered = (video_response.is_object() &&
                           video_response.value("raiMediaFilteredCount", 0) > 0) ||
                          (reasons.is_array() && !reasons.empty());
    if (filtered) {
      std::string why;
      if (reasons.is_array())
        for (const auto& r : reasons)
          if (r.is_string()) why += (why.empty() ? "" : "; ") + r.get<std::string>();
      return Action::fail("content_policy",
                          "google filtered the video: " + (why.empty() ? std::string("no reason given") : why),
                          false);
    }
    return malformed("a finished operation without a video");
  }

  Action onVideo(const Event& event, const json& state) const {
    std::string body = event.body();
    if (body.empty()) return malformed("an empty video file");
    // Binary bodies come base64 already; a text one (unlikely) is encoded here.
    if (!event.raw().value("body_base64", false)) body = base64(body);
    return finished(std::move(body), state);
  }

  Action finished(std::string data_base64, const json& state) const {
    json output = {{"data_base64", std::move(data_base64)}, {"mime", "video/mp4"}};
    if (s_.video_duration_s > 0) output["duration_s"] = s_.video_duration_s;
    json usage = {{"model", state["model"]}, {"provider_job_id", state["operation"]}};
    return Action::done(json::array({std::move(output)}), std::move(usage));
  }

  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "google: " + message, false);
  }
  static Action malformed(const std::string& what) {
    return Action::fail("upstream_error", "google answered " + what, true);
  }

  Settings s_;
};

}  // namespace aigate::plugins::google
