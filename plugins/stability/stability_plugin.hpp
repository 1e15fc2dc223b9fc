// "stability": images from Stability AI's Stable Image API (v2beta), as a
// sans-I/O state machine (see README.md for the API spoken and the mappings).
//
//   POST {base_url}/v2beta/stable-image/generate/core    multipart/form-data:
//   POST {base_url}/v2beta/stable-image/generate/ultra     prompt, aspect_ratio, seed,
//   POST {base_url}/v2beta/stable-image/generate/sd3       output_format (+ model for sd3)
//       with "Authorization: Bearer <key>" and "Accept: image/*"
//       → 200 the image bytes (Content-Type image/png|jpeg|webp), headers
//         "finish-reason: SUCCESS | CONTENT_FILTERED" and "seed"
//         (or, if a proxy answers JSON, {image: base64, finish_reason, seed})
//       → 4xx/5xx {id, name, errors: ["…"]}
// Synchronous: one request, the image comes back in its answer (the host
// hands binary bodies over base64-encoded with body_base64: true).
//
// The state (stored by the host) holds the multipart body until it is
// answered (to resend it after a 429); never the credential.
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
#include <vector>

namespace aigate::plugins::stability {

using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kDefaultBaseUrl = "https://api.stability.ai";
inline constexpr const char* kDefaultModel = "stable-image-core";
inline constexpr int kMaxThrottledResends = 5;      // 429s answered in a row, then fail
inline constexpr int kDefaultRetryAfterMs = 2'000;  // a 429 without a usable Retry-After
inline constexpr int kMaxRetryAfterMs = 60'000;

inline const std::set<std::string>& sd3Models() {
  static const std::set<std::string> kModels = {"sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium",
                                                "sd3.5-flash"};
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

inline std::string trim(const std::string& text) {
  const auto b = text.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return text.substr(b, text.find_last_not_of(" \t\r\n") - b + 1);
}

// Stability's aspect ratio for one of ours ("" when we do not know it): seven
// pass through; 3:4 becomes 4:5 and 4:3 becomes 5:4 (the nearest Stability has).
inline std::string stabilityAspectRatio(const std::string& ours) {
  static const std::set<std::string> kSame = {"1:1", "16:9", "9:16", "21:9", "2:3", "3:2", "4:5"};
  if (kSame.count(ours)) return ours;
  if (ours == "3:4") return "4:5";
  if (ours == "4:3") return "5:4";
  return {};
}

// Decodes standard base64 (padding optional, whitespace skipped); false on
// any other character.
inline bool decodeBase64(const std::string& in, std::string* out) {
  out->clear();
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    else return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return true;
}

inline std::string encodeBase64(const std::string& bytes) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                       (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(n >> s) & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size())
      n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// The text of a response body (decoded when the host base64-encoded it).
inline std::string bodyText(const Event& event) {
  if (!event.raw().value("body_base64", false)) return event.body();
  std::string text;
  return decodeBase64(event.body(), &text) ? text : event.body();
}

// The message of a Stability error body {id, name, errors: ["…"]}; also
// {"message"} and {"error": {"message"}}; else the body itself, shortened.
inline std::string errorMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    if (parsed.contains("errors") && parsed["errors"].is_array()) {
      std::string joined;
      for (const auto& item : parsed["errors"]) {
        if (!item.is_string()) continue;
        if (!joined.empty()) joined += "; ";
        joined += item.get<std::string>();
      }
      if (!joined.empty()) return joined;
    }
    if (auto message = stringAt(parsed, "message"); !message.empty()) return message;
    if (auto error = stringAt(parsed.value("error", json()), "message"); !error.empty())
      return error;
    if (auto name = stringAt(parsed, "name"); !name.empty()) return name;
  }
  std::string text = body.substr(0, 300);
  return text.empty() ? std::string("(no body)") : text;
}

// The "name" of a Stability error body (e.g. "content_moderation"), or "".
inline std::string errorName(const std::string& body) {
  return stringAt(json::parse(body, nullptr, false), "name");
}

// How long a 429 asks us to wait: "retry-after" in seconds; a date or
// nothing gives the default. Capped.
inline int retryAfterMs(const json& headers) {
  const std::string text = trim(stringAt(headers, "retry-after"));
  if (text.empty()) return kDefaultRetryAfterMs;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v < 0)
    return kDefaultRetryAfterMs;
  return static_cast<int>(std::min<double>(v * 1000.0, kMaxRetryAfterMs));
}

// A multipart/form-data body of text fields. The boundary is derived from the
// values and lengthened until no value contains it.
inline std::pair<std::string, std::string> multipart(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a over every value
  for (const auto& [name, value] : fields)
    for (const char c : name + '\0' + value) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  static const char* kHex = "0123456789abcdef";
  std::string boundary = "aigate-";
  for (int i = 0; i < 16; ++i) boundary += kHex[(hash >> (i * 4)) & 0xF];
  const auto clashes = [&] {
    for (const auto& [name, value] : fields)
      if (value.find(boundary) != std::string::npos) return true;
    return false;
  };
  while (clashes()) boundary += kHex[boundary.size() % 16];
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--" + boundary + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n";
    body += value + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return {boundary, body};
}

// The operator's settings, checked once at create().
struct Settings {
  std::string base_url = kDefaultBaseUrl;
  std::string endpoint = "core";  // for requests naming no model (or the default)
  std::string sd3_model = "sd3.5-large";
  std::string output_format = "png";
  int timeout_ms = 120'000;

  // Throws std::invalid_argument naming the bad setting.
  static Settings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("stability: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url", "endpoint", "sd3_model",
                                                 "output_format", "timeout_ms", "poll_ms"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("stability: unknown setting \"" + key +
                                    "\" (known: base_url, endpoint, sd3_model, output_format, "
                                    "timeout_ms, poll_ms)");
    Settings s;
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string())
        throw std::invalid_argument("stability: base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument("stability: base_url must start with http:// or https://, got \"" +
                                    s.base_url + "\"");
    }
    s.endpoint = choice(j, "endpoint", s.endpoint, {"core", "ultra", "sd3"});
    s.sd3_model = choice(j, "sd3_model", s.sd3_model, sd3Models());
    s.output_format = choice(j, "output_format", s.output_format, {"png", "jpeg", "webp"});
    s.timeout_ms = intSetting(j, "timeout_ms", s.timeout_ms, 1'000, 600'000);
    intSetting(j, "poll_ms", 0, 1, 600'000);  // accepted for uniformity; nothing is polled
    return s;
  }

 private:
  static int intSetting(const json& j, const char* key, int fallback, int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(std::string("stability: ") + key + " must be an integer from " +
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
    throw std::invalid_argument(std::string("stability: ") + key + " must be one of " + list +
                                ", got " + v.dump());
  }
};

class StabilityPlugin : public sdk::Plugin {
 public:
  static json describe() {
    return {{"name", "stability"},
            {"version", "1.0.0"},
            {"description",
             "Stability AI Stable Image API v2beta: Stable Image Core, Ultra and SD 3.5 images."},
            {"kinds", {"image"}},
            {"models",
             {"stable-image-core", "stable-image-ultra", "sd3.5-large", "sd3.5-large-turbo",
              "sd3.5-medium", "sd3.5-flash"}},
            {"default_model", kDefaultModel},
            {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
            {"price", {{"image", 10}}},
            {"local", false},
            {"can_cancel", false}};
  }

  explicit StabilityPlugin(const json& settings) : s_(Settings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    // Synchronous API: nothing to cancel upstream; the host drops the request.
    if (type == "cancel")
      return Action::fail("canceled", "stability: canceled (Stability has no cancel)", false);
    if (!event.state().is_object())
      return Action::fail("plugin_error", "stability: a \"" + type + "\" event without a state",
                          false);
    if (type == "timer") return send(event, event.state());
    if (type == "http_error")
      return Action::fail("upstream_error", "stability: no answer: " + event.message(), true);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "stability: unexpected event \"" + type + "\"", false);
  }

 private:
  static std::string apiKey(const Event& event) { return stringAt(event.credential(), "api_key"); }

  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "image") return invalid("Stability makes images only, not \"" + kind + "\"");
    if (apiKey(event).empty())
      return Action::fail("unauthorized", "stability: no API key configured for this provider",
                          false);
    // Which endpoint and model: the default model follows settings.endpoint.
    std::string model = stringAt(request, "model");
    std::string endpoint;
    std::string sd3_model;
    if (model.empty() || model == kDefaultModel) {
      endpoint = s_.endpoint;
      if (endpoint == "sd3") sd3_model = s_.sd3_model;
    } else if (model == "stable-image-ultra") {
      endpoint = "ultra";
    } else if (sd3Models().count(model)) {
      endpoint = "sd3";
      sd3_model = model;
    } else {
      return invalid("Stability has no model \"" + model +
                     "\" (stable-image-core, stable-image-ultra, sd3.5-large, sd3.5-large-turbo, "
                     "sd3.5-medium, sd3.5-flash)");
    }
    model = endpoint == "core" ? "stable-image-core"
            : endpoint == "ultra" ? "stable-image-ultra"
                                  : sd3_model;
    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("1:1");
    const std::string ratio = stabilityAspectRatio(ours);
    if (ratio.empty()) return invalid("unsupported aspect ratio \"" + ours + "\"");
    // SD 3.5 makes PNG and JPEG only.
    const std::string format =
        endpoint == "sd3" && s_.output_format == "webp" ? std::string("png") : s_.output_format;

    std::vector<std::pair<std::string, std::string>> fields = {
        {"prompt", stringAt(request, "prompt")},
        {"aspect_ratio", ratio},
        {"output_format", format}};
    if (request.contains("seed") && request["seed"].is_number_integer()) {
      const int64_t seed = request["seed"].get<int64_t>();
      if (seed >= 0 && seed <= 4294967294LL) fields.emplace_back("seed", std::to_string(seed));
    }
    if (endpoint == "sd3") {
      fields.emplace_back("model", sd3_model);
      fields.emplace_back("mode", "text-to-image");
    }
    auto [boundary, body] = multipart(fields);
    json state = {{"endpoint", endpoint},
                  {"model", model},
                  {"format", format},
                  {"boundary", boundary},
                  {"body", body},
                  {"throttled", 0}};
    return send(event, std::move(state));
  }

  Action send(const Event& event, json state) const {
    const std::string endpoint = stringAt(state, "endpoint");
    const std::string body = stringAt(state, "body");
    const std::string boundary = stringAt(state, "boundary");
    if (endpoint.empty() || body.empty() || boundary.empty())
      return Action::fail("plugin_error", "stability: a state without a request to send", false);
    json headers = {{"authorization", "Bearer " + apiKey(event)},
                    {"accept", "image/*"},
                    {"content-type", "multipart/form-data; boundary=" + boundary}};
    return Action::http("POST", s_.base_url + "/v2beta/stable-image/generate/" + endpoint,
                        std::move(headers), body, std::move(state), s_.timeout_ms)
        .withProgress(0.1);
  }

  Action onResponse(const Event& event) const {
    json state = event.state();
    const int status = event.status();
    if (status == 429) {
      const json& before = state["throttled"];
      const int throttled = (before.is_number_integer() ? before.get<int>() : 0) + 1;
      if (throttled > kMaxThrottledResends)
        return Action::fail("rate_limited",
                            "stability: still rate limited after " +
                                std::to_string(kMaxThrottledResends) +
                                " waits: " + errorMessage(bodyText(event)),
                            true);
      state["throttled"] = throttled;
      return Action::wait(retryAfterMs(event.headers()), std::move(state));
    }
    if (status < 200 || status >= 300) return onError(event);
    return onImage(event, state);
  }

  static Action onError(const Event& event) {
    const int status = event.status();
    const std::string body = bodyText(event);
    const std::string message = errorMessage(body);
    const std::string name = errorName(body);
    const std::string what =
        "stability answered HTTP " + std::to_string(status) + ": " + message;
    if (status >= 500 || status == 408) return Action::fail("upstream_error", what, true);
    if (name == "content_moderation" || (status == 403 && isModeration(message)))
      return Action::fail("content_policy", "stability: " + message, false);
    if (status == 400 || status == 404 || status == 413 || status == 422)
      return Action::fail("invalid_request", "stability: " + message, false);
    if (status == 401 || status == 403)
      return Action::fail("unauthorized", "stability refused the API key (HTTP " +
                                              std::to_string(status) + "): " + message,
                          false);
    if (status == 402)
      return Action::fail("upstream_quota", "stability: " + message, false);
    return Action::fail("upstream_error", what, false);
  }

  static bool isModeration(const std::string& message) {
    const std::string text = lower(message);
    for (const char* word : {"moderation", "flagged", "content policy", "safety"})
      if (text.find(word) != std::string::npos) return true;
    return false;
  }

  Action onImage(const Event& event, const json& state) const {
    const std::string content_type = lower(stringAt(event.headers(), "content-type"));
    std::string finish = stringAt(event.headers(), "finish-reason");
    std::string seed = stringAt(event.headers(), "seed");
    std::string data;
    std::string mime;
    if (content_type.rfind("image/", 0) == 0) {
      mime = trim(content_type.substr(0, content_type.find(';')));
      // The host hands binary bodies over base64-encoded (body_base64: true);
      // a body it passed as text is the bytes themselves (the host's probe
      // then judges them).
      data = event.raw().value("body_base64", false) ? event.body() : encodeBase64(event.body());
    } else {
      // Accept: application/json answers {image, finish_reason, seed}.
      const json answer = json::parse(event.body(), nullptr, false);
      if (!answer.is_object() || stringAt(answer, "image").empty())
        return malformed("neither an image nor {\"image\"} (content-type \"" + content_type +
                         "\")");
      data = stringAt(answer, "image");
      if (finish.empty()) finish = stringAt(answer, "finish_reason");
      if (seed.empty() && answer.contains("seed") && answer["seed"].is_number_integer())
        seed = std::to_string(answer["seed"].get<int64_t>());
      // "application/json; type=image/png"
      const auto type = content_type.find("type=image/");
      mime = type != std::string::npos
                 ? trim(content_type.substr(type + 5, content_type.find(';', type) - type - 5))
                 : "image/" + stringAt(state, "format");
    }
    if (finish == "CONTENT_FILTERED")
      return Action::fail("content_policy",
                          "stability: the image was filtered by Stability's content moderation "
                          "(finish-reason CONTENT_FILTERED)",
                          false);
    if (!finish.empty() && finish != "SUCCESS")
      return Action::fail("upstream_error", "stability: the generation finished with " + finish,
                          true);
    if (data.empty()) return malformed("an empty image");
    json usage = {{"model", state.value("model", json())},
                  {"endpoint", state.value("endpoint", json())}};
    if (!seed.empty()) usage["seed"] = seed;
    return Action::done(json::array({{{"data_base64", std::move(data)}, {"mime", mime}}}),
                        std::move(usage));
  }

  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "stability: " + message, false);
  }
  static Action malformed(const std::string& what) {
    return Action::fail("upstream_error", "stability answered " + what, true);
  }

  Settings s_;
};

}  // namespace aigate::plugins::stability
